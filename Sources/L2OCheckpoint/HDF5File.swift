import CHDF5
import Foundation

/// Reading and writing whole HDF5 files as in-memory `HDF5Group` trees.
///
/// This is the generic layer under checkpoints and problem-instance sets, usable for any HDF5 file:
/// `read` checks the file before handing it to HDF5 (missing, folder, empty, no HDF5 signature,
/// truncated) and turns every failure into a `CheckpointError`; `write` is atomic (see `AtomicFile`).
public enum HDF5File {
    /// Reads the whole file at `url`.
    public static func read(from url: URL) throws -> HDF5Group {
        let file = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw CheckpointError.fileNotFound(file: file)
        }
        if isDirectory.boolValue { throw CheckpointError.notHDF5(file: file, detail: "it is a folder") }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        if size == 0 { throw CheckpointError.notHDF5(file: file, detail: "the file is empty") }
        return try HDF5Library.locked {
            let context = HDF5Context(file: file, writing: false)
            let signature = H5Fis_hdf5(file)
            if signature < 0 {
                throw CheckpointError.unreadable(file: file, detail: HDF5Library.takeErrorStack())
            }
            if signature == 0 {
                _ = HDF5Library.takeErrorStack()
                throw CheckpointError.notHDF5(file: file, detail: "no HDF5 signature in its \(size) bytes")
            }
            let fapl = try context.handle(H5Pcreate(l2o_H5P_FILE_ACCESS()), closer: H5Pclose, "create file-access list for", file)
            try context.check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG), "configure", file)
            let id = H5Fopen(file, l2o_H5F_ACC_RDONLY(), fapl.id)
            guard id >= 0 else {
                let stack = HDF5Library.takeErrorStack()
                if stack.contains("truncated") { throw CheckpointError.truncated(file: file, detail: stack) }
                throw CheckpointError.unreadable(file: file, detail: stack)
            }
            let handle = HDF5Handle(id, closer: H5Fclose)
            // Keep the file open until the whole tree is read (its handle closes on release).
            return try withExtendedLifetime(handle) { try HDF5Reader(context: context).readRoot(of: handle.id) }
        }
    }

    /// Writes `root` as the whole file at `url`, atomically replacing any previous file; creates
    /// the folder if needed.
    public static func write(_ root: HDF5Group, to url: URL) throws {
        try write(root, to: url, beforeRename: nil)
    }

    /// `write(_:to:)` with a test seam called before the rename (see `AtomicFile.BeforeRename`).
    static func write(_ root: HDF5Group, to url: URL, beforeRename: AtomicFile.BeforeRename?) throws {
        let context = HDF5Context(file: url.path, writing: true)
        try AtomicFile.write(to: url, beforeRename: beforeRename) { temporary in
            try HDF5Library.locked {
                try HDF5Writer(context: context).write(root, toNewFileAt: temporary.path)
            }
        }
    }
}
