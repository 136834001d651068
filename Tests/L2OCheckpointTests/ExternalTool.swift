import Foundation
import XCTest

/// Runs an external program and returns its standard output, standard error and exit status.
func runTool(_ executable: String, _ arguments: [String]) throws -> (stdout: String, stderr: String, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self), process.terminationStatus)
}

/// The first of `candidates` that exists and is executable.
func findExecutable(_ candidates: [String]) -> String? {
    candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// What `h5dump` printed for one dataset or attribute.
struct H5DumpObject {
    var datatype: String
    var dataspace: String
    /// The DATA entries, in order, without `(i):` index prefixes.
    var values: [String]
}

/// Runs `h5dump` on one object (`-d PATH` or `-a PATH`) with round-trip float formatting and parses
/// its DATATYPE, DATASPACE and DATA sections.
func h5dump(_ option: String, _ path: String, file: URL, floatFormat: String = "%.17g") throws -> H5DumpObject {
    guard let tool = findExecutable(["/usr/bin/h5dump", "/usr/local/bin/h5dump"]) else {
        throw XCTSkip("h5dump not found: install Debian hdf5-tools (make test does)")
    }
    let result = try runTool(tool, ["-y", "-w", "0", "-m", floatFormat, option, path, file.path])
    guard result.status == 0 else {
        throw NSError(domain: "h5dump", code: Int(result.status), userInfo: [NSLocalizedDescriptionKey: result.stderr])
    }
    let lines = result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    var object = H5DumpObject(datatype: "", dataspace: "", values: [])
    var inData = false
    for line in lines {
        if inData {
            if line == "}" { inData = false; continue }
            var entry = line
            if entry.hasPrefix("("), let close = entry.firstIndex(of: ":") { entry = String(entry[entry.index(after: close)...]) }
            object.values += entry.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else if line.hasPrefix("DATATYPE") {
            object.datatype = line.dropFirst("DATATYPE".count).trimmingCharacters(in: .whitespaces)
        } else if line.hasPrefix("DATASPACE") {
            object.dataspace = line.dropFirst("DATASPACE".count).trimmingCharacters(in: .whitespaces)
        } else if line == "DATA {" {
            inData = true
        }
    }
    return object
}
