import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe replacement of a file: write a temporary file in the same folder, flush it to disk,
/// then rename it over the destination.
///
/// `rename(2)` within one file system is atomic, so at every instant the destination is either the
/// complete old file or the complete new one; a crash or a full disk at any point leaves the old
/// file byte-identical (plus, after a hard crash, a stray `.*.tmp.h5` file, removed by the next
/// successful write of the same destination). On every error the temporary file is removed
/// before the error is rethrown.
enum AtomicFile {
    /// Test seam: called with the temporary file's URL after it has been written and synced and
    /// right before the rename. Throwing from it simulates a crash at the worst moment.
    typealias BeforeRename = (URL) throws -> Void

    /// The temporary path used for a write to `destination`: hidden, unique, in the same folder, and
    /// ending in `.tmp.h5` (ignored by git).
    static func temporaryURL(for destination: URL) -> URL {
        let token = UUID().uuidString.prefix(8)
        let name = ".\(destination.lastPathComponent).\(getpid())-\(token).tmp.h5"
        return destination.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Writes `destination` atomically: `produce` must create the file at the URL it is given.
    static func write(to destination: URL, beforeRename: BeforeRename? = nil, _ produce: (URL) throws -> Void) throws {
        let file = destination.path
        let folder = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CheckpointError.writeFailed(file: file, detail: "the path is a folder")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError.writeFailed(file: file, detail: "cannot create folder \(folder.path): \(error.localizedDescription)")
        }
        let temporary = temporaryURL(for: destination)
        do {
            try produce(temporary)
            try sync(path: temporary.path, reportAs: file)
            try beforeRename?(temporary)
            guard rename(temporary.path, file) == 0 else {
                throw CheckpointError.writeFailed(file: file, detail: "rename failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            _ = unlink(temporary.path)
            throw error
        }
        try? sync(path: folder.path, reportAs: file)  // persist the rename itself; best effort
        removeStrayTemporaries(for: destination)
    }

    /// Removes temporary files of earlier writes of `destination` that were cut short by a crash
    /// or a kill (`.NAME.PID-TOKEN.tmp.h5` whose process no longer runs). Temporaries of a live
    /// process (another writer right now) are left alone. Best effort: errors are ignored.
    static func removeStrayTemporaries(for destination: URL) {
        let folder = destination.deletingLastPathComponent()
        let prefix = ".\(destination.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp.h5") {
            let middle = name.dropFirst(prefix.count).dropLast(".tmp.h5".count)  // PID-TOKEN
            guard let dash = middle.firstIndex(of: "-"), let pid = Int32(middle[..<dash]), pid > 0 else { continue }
            let alive = pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM)
            if !alive { _ = unlink(folder.appendingPathComponent(name).path) }
        }
    }

    /// `fsync(2)` on a file or folder, so its contents reach the disk before the rename.
    static func sync(path: String, reportAs file: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw CheckpointError.writeFailed(file: file, detail: "cannot open \(path) to sync: \(String(cString: strerror(errno)))")
        }
        defer { _ = close(fd) }
        guard fsync(fd) == 0 else {
            throw CheckpointError.writeFailed(file: file, detail: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }
}
