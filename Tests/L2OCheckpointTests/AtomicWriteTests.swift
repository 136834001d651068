import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// Writes are atomic: an interrupted write leaves the previous file byte-identical and no temporary file.
final class AtomicWriteTests: XCTestCase {
    private struct SimulatedCrash: Error {}

    private func files(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    func testInterruptedWriteLeavesPreviousCheckpointIntact() throws {
        let folder = try makeTemporaryFolder(self)
        let url = folder.appendingPathComponent("milodo.h5")
        try sampleResumeCheckpoint().write(to: url)
        let before = try Data(contentsOf: url)

        var replacement = sampleResumeCheckpoint()
        replacement.kind = "other"
        var seenTemporary: URL?
        XCTAssertThrowsError(try replacement.write(to: url, beforeRename: { temporary in
            seenTemporary = temporary
            // The temporary file is complete and valid at this point: only the rename is missing.
            XCTAssertEqual(temporary.deletingLastPathComponent().standardizedFileURL.path, folder.standardizedFileURL.path)
            XCTAssertTrue(temporary.lastPathComponent.hasSuffix(".tmp.h5"))
            XCTAssertEqual(try Checkpoint.read(from: temporary).kind, "other")
            throw SimulatedCrash()
        })) { XCTAssertTrue($0 is SimulatedCrash) }

        XCTAssertNotNil(seenTemporary)
        XCTAssertEqual(try Data(contentsOf: url), before, "the old checkpoint must be byte-identical")
        XCTAssertEqual(try files(in: folder), ["milodo.h5"], "the temporary file must be removed")
        XCTAssertEqual(try Checkpoint.read(from: url).kind, "milodo")
    }

    func testFailureWhileWritingDataLeavesNoTrace() throws {
        let folder = try makeTemporaryFolder(self)
        let url = folder.appendingPathComponent("x.h5")
        try HDF5File.write(HDF5Group(attributes: ["v": .integer(1)]), to: url)
        let before = try Data(contentsOf: url)
        // An unsupported dataset fails in the middle of the HDF5 write, after the temporary file exists.
        let root = HDF5Group(children: [
            "a": .dataset(HDF5Dataset(.float32(Tensor<Float>(1)))),
            "b": .dataset(HDF5Dataset(content: .unsupported(type: "int32", shape: [2]))),
        ])
        guard case .writeFailed(let file, _)? = assertCheckpointError(try HDF5File.write(root, to: url)) else { return XCTFail() }
        XCTAssertEqual(file, url.path)
        XCTAssertEqual(try Data(contentsOf: url), before)
        XCTAssertEqual(try files(in: folder), ["x.h5"])
    }

    func testSuccessfulWriteReplacesAndCreatesFolders() throws {
        let folder = try makeTemporaryFolder(self)
        let url = folder.appendingPathComponent("Checkpoints/sub/run.h5")
        try HDF5File.write(HDF5Group(attributes: ["v": .integer(1)]), to: url)
        try HDF5File.write(HDF5Group(attributes: ["v": .integer(2)]), to: url)
        XCTAssertEqual(try HDF5File.read(from: url).attributes["v"], .integer(2))
        XCTAssertEqual(try files(in: url.deletingLastPathComponent()), ["run.h5"])
    }

    /// Temporaries left by killed writers of the same file are removed by the next successful
    /// write; a live process's temporary and other files' temporaries are left alone.
    func testStrayTemporariesOfKilledWritersAreRemoved() throws {
        let folder = try makeTemporaryFolder(self)
        let url = folder.appendingPathComponent("run.h5")
        // PID 2³¹ − 2 is above Linux's pid_max (at most 2²²), so no process has it.
        let dead = [".run.h5.2147483646-ab12cd34.tmp.h5", ".run.h5.2147483645-00000000.tmp.h5"]
        let live = ".run.h5.1-deadbeef.tmp.h5"  // PID 1 always runs
        let other = ".other.h5.2147483646-ab12cd34.tmp.h5"
        for name in dead + [live, other] { try Data("partial".utf8).write(to: folder.appendingPathComponent(name)) }
        try HDF5File.write(HDF5Group(attributes: ["v": .integer(1)]), to: url)
        XCTAssertEqual(try files(in: folder).sorted(), [live, other, "run.h5"].sorted())
    }

    func testWritingOverAFolderFails() throws {
        let folder = try makeTemporaryFolder(self)
        guard case .writeFailed? = assertCheckpointError(try HDF5File.write(HDF5Group(), to: folder)) else { return XCTFail() }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.path))
    }
}
