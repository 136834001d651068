import Foundation
import L2O

/// Checks made on output paths before any computing starts, so that a typo in `--out` fails in a
/// second rather than after hours of work.
enum OutputFolder {
    /// Creates the folder `path` (and its parents) if needed and checks that a file can be written
    /// in it; returns its URL. Errors name the flag.
    static func prepare(_ path: String, flag: String) throws -> URL {
        guard !path.isEmpty else { throw InputError("\(flag) is empty; give a folder, e.g. runs/evaluate") }
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw InputError("\(flag) \(path) is a file; give a folder (it will hold several output files)")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw InputError("\(flag) \(path): cannot create the folder (\(error.localizedDescription)); check the path and its permissions")
        }
        try probeWrite(in: url, flag: flag, shown: path)
        return url
    }

    /// Checks that the file `path` can be written: its folder exists (or is created) and is
    /// writable, and the path is not a folder. `extensions`, when given, are the accepted endings.
    static func prepareFile(_ path: String, flag: String, extensions: [String] = []) throws -> URL {
        guard !path.isEmpty else { throw InputError("\(flag) is empty; give a file path") }
        let url = URL(fileURLWithPath: path)
        if !extensions.isEmpty && !extensions.contains(url.pathExtension) {
            throw InputError("\(flag) \(path) must end in \(extensions.map { "." + $0 }.joined(separator: " or "))")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw InputError("\(flag) \(path) is a folder; give a file path")
        }
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw InputError("\(flag) \(path): cannot create the folder \(folder.path) (\(error.localizedDescription))")
        }
        try probeWrite(in: folder, flag: flag, shown: path)
        return url
    }

    private static func probeWrite(in folder: URL, flag: String, shown: String) throws {
        let probe = folder.appendingPathComponent(".l2o-write-check-\(ProcessInfo.processInfo.processIdentifier)")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw InputError("\(flag) \(shown): the folder \(folder.path) is not writable; choose another path or fix its permissions")
        }
        try? FileManager.default.removeItem(at: probe)
    }
}

/// After an evaluation: one stderr line per diverged run, and a non-zero exit when every run of
/// every method diverged (nothing usable was measured).
func reportDivergence(_ traces: [EvaluationTrace]) throws {
    let diverged = traces.filter(\.diverged)
    for t in diverged {
        printErr("warning: \(t.method) diverged on \(t.instance) at iteration \(t.points.last?.iteration ?? 0) (non-finite objective); its step size \(formatNumber(t.stepSize)) is too large for these problems")
    }
    if !traces.isEmpty && diverged.count == traces.count {
        throw InputError("every run diverged; nothing was measured. Re-tune the step sizes (`l2o tune`) or check the problems")
    }
}
