import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// Missing, empty, garbage, truncated and non-checkpoint files give typed errors naming the file.
final class BadFileTests: XCTestCase {
    func testMissingFile() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("nope.h5")
        XCTAssertEqual(assertCheckpointError(try Checkpoint.read(from: url)), .fileNotFound(file: url.path))
    }

    func testEmptyGarbageAndFolderAreNotHDF5() throws {
        let folder = try makeTemporaryFolder(self)
        let empty = folder.appendingPathComponent("empty.h5")
        try Data().write(to: empty)
        let garbage = folder.appendingPathComponent("garbage.h5")
        var rng = RandomState(seed: 11)
        try Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: garbage)
        let text = folder.appendingPathComponent("config.json")
        try Data(#"{"kind": "milodo"}"#.utf8).write(to: text)
        for url in [empty, garbage, text, folder] {
            let error = assertCheckpointError(try Checkpoint.read(from: url))
            guard case .notHDF5(let file, _)? = error else { return XCTFail("\(url.lastPathComponent): \(String(describing: error))") }
            XCTAssertEqual(file, url.path)
        }
    }

    func testTruncatedFilesAreDetectedAtEveryCutPoint() throws {
        let folder = try makeTemporaryFolder(self)
        let whole = folder.appendingPathComponent("whole.h5")
        try sampleResumeCheckpoint().write(to: whole)
        let bytes = try Data(contentsOf: whole)
        XCTAssertGreaterThan(bytes.count, 1000)
        var truncatedSeen = 0
        for fraction in [0.999, 0.9, 0.75, 0.5, 0.25, 0.1, 0.01] {
            let url = folder.appendingPathComponent("cut-\(fraction).h5")
            try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: url)
            let error = assertCheckpointError(try Checkpoint.read(from: url))
            switch error {
            case .truncated(let file, let detail)?:
                XCTAssertEqual(file, url.path)
                XCTAssertTrue(detail.contains("truncated"), detail)
                truncatedSeen += 1
            case .notHDF5?, .unreadable?: break  // too short to hold the superblock
            default: XCTFail("cut at \(fraction): \(String(describing: error))")
            }
        }
        XCTAssertGreaterThanOrEqual(truncatedSeen, 5)
    }

    /// Files we write are checksummed throughout (metadata checksums of the HDF5 1.8 format,
    /// Fletcher-32 on data, strings inside object headers), so a damaged byte anywhere either
    /// changes nothing that is read or is reported: reading never crashes and never returns
    /// silently different contents.
    func testDamagedBytesAreDetectedOrHarmlessNeverSilentOrFatal() throws {
        let folder = try makeTemporaryFolder(self)
        let whole = folder.appendingPathComponent("whole.h5")
        let original = sampleResumeCheckpoint()
        try original.write(to: whole)
        let bytes = try Data(contentsOf: whole)
        var rng = RandomState(seed: 5)
        var detected = 0, harmless = 0
        let url = folder.appendingPathComponent("damaged.h5")
        for trial in 0..<300 {
            var damaged = bytes
            let flips = trial % 3 == 0 ? 8 : 1
            for _ in 0..<flips { damaged[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            try damaged.write(to: url)
            do {
                let back = try Checkpoint.read(from: url)
                XCTAssertEqual(back, original, "trial \(trial): damage went unnoticed")
                harmless += 1
            } catch is CheckpointError {
                detected += 1
            }
        }
        XCTAssertGreaterThan(detected, 100, "damage to used bytes is reported (the rest is free space and padding)")
        XCTAssertEqual(detected + harmless, 300)
    }

    func testPlainHDF5FileIsNotACheckpoint() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("plain.h5")
        try HDF5File.write(HDF5Group(children: ["x": .dataset(HDF5Dataset(.float64(Tensor<Double>([1, 2]))))]), to: url)
        XCTAssertEqual(assertCheckpointError(try Checkpoint.read(from: url)),
                       .wrongFormat(file: url.path, expected: "l2o-checkpoint", found: nil))
    }

    func testHDF5PrintsNothingToStandardError() throws {
        let folder = try makeTemporaryFolder(self)
        let whole = folder.appendingPathComponent("whole.h5")
        try sampleResumeCheckpoint().write(to: whole)
        let cut = folder.appendingPathComponent("cut.h5")
        try Data(contentsOf: whole).prefix(3000).write(to: cut)
        let captured = folder.appendingPathComponent("stderr.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: captured.path, contents: nil))
        let sink = try FileHandle(forWritingTo: captured)
        let saved = dup(2)
        dup2(sink.fileDescriptor, 2)
        let error = assertCheckpointError(try Checkpoint.read(from: cut))
        let badWrite = HDF5Group(children: ["x": .dataset(HDF5Dataset(content: .unsupported(type: "int8", shape: [1])))])
        assertCheckpointError(try HDF5File.write(badWrite, to: folder.appendingPathComponent("w.h5")))
        fflush(stderr)
        dup2(saved, 2)
        close(saved)
        try sink.close()
        guard case .truncated? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(try String(contentsOf: captured, encoding: .utf8), "", "HDF5 must not print its error stack")
    }

    func testErrorMessagesSayWhatToDo() {
        let error = CheckpointError.shapeMismatch(file: "c.h5", dataset: "/parameters/w", expected: [2], found: [3])
        XCTAssertTrue(error.description.contains("c.h5"))
        XCTAssertTrue(error.description.contains("/parameters/w"))
        XCTAssertTrue(error.description.contains("[3] but [2]"))
        XCTAssertTrue(error.description.contains("nothing was loaded"))
    }
}
