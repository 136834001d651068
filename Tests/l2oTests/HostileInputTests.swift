import Foundation
import XCTest
import L2O

/// The `l2o` binary on hostile input (files made with h5py, flags typed by hand): every case
/// ends with a clear error naming the file or flag, an exit code in 1…127 (no crash, no signal),
/// and no usage text when the problem is in the data rather than in the flags.
final class HostileInputTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// The `l2o` executable built next to the test bundle.
    var binary: String {
        get throws {
            let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for candidate in [dir, dir.deletingLastPathComponent()] {
                let path = candidate.appendingPathComponent("l2o").path
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
            throw XCTSkip("the l2o executable is not next to the tests (build it with `swift build --build-tests`)")
        }
    }

    struct Result {
        var stdout: String, stderr: String, status: Int32, seconds: Double
    }

    /// Runs `l2o` with `arguments` in the package folder (so `Optimizees/` and `Checkpoints/` resolve),
    /// killing it after `timeout` seconds (a hang fails the test instead of blocking the suite).
    func l2o(_ arguments: [String], timeout: Double = 120) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary)
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let outFile = folder.appendingPathComponent("stdout-\(UUID().uuidString)"), errFile = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        let start = Date()
        try process.run()
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("l2o \(arguments.joined(separator: " ")) still ran after \(timeout) s (a hang)")
        }
        process.waitUntilExit()
        return Result(stdout: try String(contentsOf: outFile, encoding: .utf8), stderr: try String(contentsOf: errFile, encoding: .utf8),
                      status: process.terminationStatus, seconds: Date().timeIntervalSince(start))
    }

    var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Asserts a clean failure: exit code 1…127, every `mentions` in stderr, and (for data errors)
    /// no usage text.
    func assertCleanFailure(_ r: Result, mentions: [String], usage: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status == 0 ? "exit 0" : (r.status < 128 ? "clean" : "signal"), "clean",
                       "exit status \(r.status); stderr: \(r.stderr.suffix(600))", file: file, line: line)
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        XCTAssertLessThan(r.status, 128, file: file, line: line)
        for m in mentions {
            XCTAssertTrue(r.stderr.contains(m), "stderr should mention '\(m)': \(r.stderr.suffix(600))", file: file, line: line)
        }
        if !usage {
            XCTAssertFalse(r.stderr.contains("Usage: l2o") || r.stderr.contains("USAGE:"), "a data error prints no usage text: \(r.stderr.suffix(600))", file: file, line: line)
            XCTAssertNotEqual(r.status, 64, "exit code 64 is for usage errors", file: file, line: line)
        }
        XCTAssertFalse(r.stderr.contains("Fatal error"), "no Swift runtime trap: \(r.stderr.suffix(600))", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("\u{1B}["), "no escape codes when stderr is a file", file: file, line: line)
    }

    /// Runs a Python script with h5py (Debian python3-h5py, installed by `make test`) in `folder`.
    func python(_ script: String) throws {
        guard let py = ["/usr/bin/python3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("/usr/bin/python3 not found")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = ["-c", "import h5py, numpy as np\n" + script]
        p.currentDirectoryURL = folder
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            if e.contains("No module named 'h5py'") { throw XCTSkip("h5py is missing: install Debian python3-h5py (make test does)") }
            XCTFail("python failed: \(e)")
        }
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    func writeText(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        return path(name)
    }

    /// A tiny LASSO suite (3 nodes, d = 12): quick to evaluate.
    func tinySuite(dimension: String = "12", nodes: String = "3") throws -> String {
        try writeText("tiny-\(UUID().uuidString.prefix(6)).json", """
            {"name": "tiny", "seed": 5, "groups": [{"family": "lasso", "nodes": \(nodes), "dimension": \(dimension),
             "samplesPerNode": 6, "lambda": 0.05, "splits": {"train": 2, "test": 2}}]}
            """)
    }

    // MARK: - 1. Huge declared sizes

    func testHugeChunkedDatasetIsRefusedBeforeAllocating() throws {
        try python("""
            with h5py.File('huge.h5', 'w') as f:
                f.attrs['problem'] = 'lasso'; f.attrs['lambda'] = 0.1
                f.create_dataset('A', shape=(1, 1, 2**17, 2**17), dtype='f8', chunks=(1, 1, 64, 64))
                f.create_dataset('b', shape=(1, 1, 2**17), dtype='f8')
            """)
        let size = try FileManager.default.attributesOfItem(atPath: path("huge.h5"))[.size] as? Int ?? 0
        XCTAssertLessThan(size, 1 << 20, "the file itself is small")
        for args in [["inspect", path("huge.h5")],
                     ["evaluate", "--problems", path("huge.h5"), "--methods", "prox-ed", "--step", "prox-ed=0.1", "--iterations", "5", "--out", path("ev")],
                     ["evaluate", "--methods", "milodo:" + path("huge.h5"), "--problems", try tinySuite(), "--iterations", "5", "--out", path("ev2")]] {
            let r = try l2o(args)
            assertCleanFailure(r, mentions: ["huge.h5"])
            XCTAssertTrue(r.stderr.contains("memory") || r.stderr.contains("format"), r.stderr)
        }
    }

    func testHugeSuiteDimensionIsRefused() throws {
        let suite = try tinySuite(dimension: "1000000000000")
        let r = try l2o(["evaluate", "--problems", suite, "--methods", "prox-ed", "--step", "prox-ed=0.1", "--iterations", "5", "--out", path("ev")])
        assertCleanFailure(r, mentions: [suite, "groups[0]", "memory"])
        let overflow = try tinySuite(dimension: "9223372036854775807")
        assertCleanFailure(try l2o(["problems", "list", overflow]), mentions: [overflow, "groups[0]"])
        let nodes = try tinySuite(nodes: "100000")
        assertCleanFailure(try l2o(["problems", "list", nodes]), mentions: [nodes, "nodes"])
    }

    func testHugeLambdaAndInstanceValuesAreRefused() throws {
        let suite = try writeText("lambda.json", """
            {"name": "l", "seed": 5, "groups": [{"family": "lasso", "nodes": 3, "dimension": 4, "samplesPerNode": 6,
             "lambda": 1e39, "splits": {"train": 2}}]}
            """)
        assertCleanFailure(try l2o(["problems", "list", suite]), mentions: [suite, "lambda"])
        try python("""
            with h5py.File('big-values.h5', 'w') as f:
                f.attrs['problem'] = 'lasso'; f.attrs['lambda'] = 0.1
                A = np.ones((1, 2, 3, 4)); A[0, 0, 0, 0] = 1e39
                f['A'] = A; f['b'] = np.zeros((1, 2, 3))
            """)
        assertCleanFailure(try l2o(["evaluate", "--problems", path("big-values.h5"), "--scalar", "float", "--methods", "prox-ed",
                                    "--step", "prox-ed=0.1", "--iterations", "5", "--out", path("ev")]),
                           mentions: ["big-values.h5", "1e30"])
    }

    // MARK: - 4. Hangs and run-aways

    func testHugeIterationCountIsRefusedAtOnce() throws {
        let r = try l2o(["evaluate", "--iterations", "9223372036854775807", "--methods", "prox-ed", "--step", "prox-ed=0.1", "--out", path("ev")], timeout: 60)
        assertCleanFailure(r, mentions: ["--iterations"], usage: true)
        XCTAssertFalse(r.stderr.contains("Loading"), "refused before loading problems")
    }

    func testHugeSubBatchCountIsRefused() throws {
        let r = try l2o(["train", "--optimizer", "badm", "--sub-batches", "100000", "--dataset", "synthetic", "--train-count", "64",
                         "--test-count", "16", "--epochs", "1", "--out", path("tr")], timeout: 60)
        assertCleanFailure(r, mentions: ["sub_batches"], usage: true)
    }

    func testValidationSplitIsCheckedAndUsed() throws {
        let r = try l2o(["train", "--dataset", "synthetic", "--train-count", "64", "--validation", "0", "--epochs", "1", "--out", path("tr")], timeout: 60)
        assertCleanFailure(r, mentions: ["--validation"], usage: true)
        let both = try l2o(["train", "--dataset", "synthetic", "--validation", "16", "--test-count", "16", "--epochs", "1", "--out", path("tr")], timeout: 60)
        assertCleanFailure(both, mentions: ["--validation", "--test-count"], usage: true)
        let ok = try l2o(["train", "--optimizer", "adam", "--dataset", "synthetic", "--train-count", "64", "--validation", "32",
                          "--epochs", "1", "--batch-size", "16", "--out", path("trv")], timeout: 120)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stderr.contains("64 train / 32 validation"), ok.stderr)
        XCTAssertTrue(ok.stdout.contains("validation accuracy"), ok.stdout)
    }

    // MARK: - 5. Silent acceptance

    func testTunedStepsFileIsChecked() throws {
        let suite = try tinySuite()
        func tuned(_ name: String, _ body: String) throws -> String {
            try writeText(name, #"{"problems": "x", "topology": "ring", "mixing": "uniform", "iterations": 10, "tolerance": 1e-6, "results": [], "steps": "# + body + "}")
        }
        for (name, steps) in [("nan.json", #"{"prox-ed": "nan"}"#), ("negative.json", #"{"prox-ed": -0.05}"#), ("zero.json", #"{"prox-ed": 0}"#)] {
            let file = try tuned(name, steps)
            let r = try l2o(["evaluate", "--problems", suite, "--methods", "prox-ed", "--tuned", file, "--iterations", "5", "--out", path("ev")])
            assertCleanFailure(r, mentions: ["--tuned", file, "prox-ed"])
        }
        let malformed = try writeText("malformed.json", #"{"steps": {"prox-ed": 0.1}"#)
        let r = try l2o(["evaluate", "--problems", suite, "--methods", "prox-ed", "--tuned", malformed, "--iterations", "5", "--out", path("ev")])
        assertCleanFailure(r, mentions: ["--tuned", malformed])
        XCTAssertFalse(r.stderr.contains("DecodingError"), r.stderr)
    }

    func testMethodListsAreCheckedBeforeLoading() throws {
        let suite = try tinySuite()
        for (methods, mention) in [("", "--methods"), ("prox-eddy", "unknown method 'prox-eddy'"), ("prox-ed,,pg-extra", "empty entry"),
                                   ("prox-ed,prox-ed", "twice"), ("milodo:", "checkpoint path")] {
            let r = try l2o(["evaluate", "--problems", suite, "--methods", methods, "--step", "prox-ed=0.1", "--iterations", "5", "--out", path("ev")])
            assertCleanFailure(r, mentions: [mention], usage: true)
            XCTAssertFalse(r.stderr.contains("Loading"), "refused before loading problems: \(methods)")
        }
        let tune = try l2o(["tune", "--problems", suite, "--methods", "prox-ed,prox-ed", "--out", path("t.json")])
        assertCleanFailure(tune, mentions: ["twice"], usage: true)
    }

    func testNonsenseNumbersAreRefused() throws {
        assertCleanFailure(try l2o(["tune", "--tolerance", "inf", "--out", path("t.json")]), mentions: ["--tolerance"], usage: true)
        assertCleanFailure(try l2o(["train", "--optimizer", "adam", "--lr", "0", "--dataset", "synthetic", "--out", path("tr")]),
                           mentions: ["lr"], usage: true)
    }

    func testADivergedTrainingRunFails() throws {
        let r = try l2o(["train", "--optimizer", "sgd", "--lr", "1e30", "--dataset", "synthetic", "--train-count", "256",
                         "--test-count", "64", "--epochs", "1", "--out", path("tr")])
        assertCleanFailure(r, mentions: ["sgd", "diverged"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("tr/train.weights.h5")), "no weights are written for a diverged run")
    }

    func testARunWhereEveryMethodDivergedFails() throws {
        let suite = try tinySuite()
        let r = try l2o(["evaluate", "--problems", suite, "--count", "1", "--methods", "prox-ed,pg-extra", "--step", "prox-ed=1000",
                         "--step", "pg-extra=1000", "--iterations", "200", "--out", path("ev")])
        assertCleanFailure(r, mentions: ["diverged", "every run diverged"])
        // One method fine, one diverged: success, with a warning line for the diverged one.
        let mixed = try l2o(["evaluate", "--problems", suite, "--count", "1", "--methods", "prox-ed,pg-extra", "--step", "prox-ed=0.05",
                             "--step", "pg-extra=1000", "--iterations", "200", "--out", path("ev2")])
        XCTAssertEqual(mixed.status, 0, mixed.stderr)
        XCTAssertTrue(mixed.stderr.contains("warning: pg-extra diverged"), mixed.stderr)
    }

    // MARK: - 6. Late and unclear failures

    func testUnwritableOutputFailsBeforeComputing() throws {
        let blocker = try writeText("a-file", "not a folder")
        let suite = try tinySuite()
        let r = try l2o(["evaluate", "--problems", suite, "--methods", "prox-ed", "--step", "prox-ed=0.1", "--iterations", "5",
                         "--out", blocker + "/sub"])
        assertCleanFailure(r, mentions: ["--out"])
        XCTAssertFalse(r.stderr.contains("Loading"), "checked before loading problems: \(r.stderr)")
        let t = try l2o(["tune", "--problems", suite, "--methods", "prox-ed", "--out", blocker + "/t.json"])
        assertCleanFailure(t, mentions: ["--out"])
        XCTAssertFalse(t.stderr.contains("Loading"), t.stderr)
        let m = try l2o(["meta-train", "--suite", suite, "--curriculum", "demo", "--out", path("weights.md")])
        assertCleanFailure(m, mentions: ["--out", ".h5"])
    }

    func testCorruptFilesAreDataErrorsWithoutUsage() throws {
        let garbage = try writeText("garbage.h5", String(repeating: "not hdf5 at all ", count: 64))
        assertCleanFailure(try l2o(["evaluate", "--problems", garbage, "--methods", "prox-ed", "--step", "prox-ed=0.1", "--iterations", "5", "--out", path("ev")]),
                           mentions: [garbage, "not an HDF5 file"])
        assertCleanFailure(try l2o(["evaluate", "--methods", "milodo:" + garbage, "--problems", try tinySuite(), "--iterations", "5", "--out", path("ev")]),
                           mentions: [garbage])
        try python("""
            with h5py.File('v0.h5', 'w') as f:
                f.attrs['format'] = 'l2o-instances'; f.attrs['format_version'] = 0
                f.attrs['problem'] = 'lasso'; f.attrs['lambda'] = 0.1
                f['A'] = np.ones((1, 2, 3, 4)); f['b'] = np.zeros((1, 2, 3))
            """)
        let v0 = try l2o(["evaluate", "--problems", path("v0.h5"), "--methods", "prox-ed", "--step", "prox-ed=0.1", "--iterations", "5", "--out", path("ev")])
        assertCleanFailure(v0, mentions: ["v0.h5", "format_version 0 is not a valid version"])
        XCTAssertFalse(v0.stderr.contains("newer"), v0.stderr)
    }

    func testACheckpointForAnotherNodeCountSaysSo() throws {
        let r = try l2o(["evaluate", "--methods", "milodo:Checkpoints/milodo-lasso-50-300-10-0.1.h5", "--problems", try tinySuite(),
                         "--iterations", "5", "--out", path("ev")])
        assertCleanFailure(r, mentions: ["50 nodes", "3 nodes"])
        XCTAssertFalse(r.stderr.contains("--topology"), "changing the topology cannot help: \(r.stderr)")
    }

    func testHostileMiLoDoConfigIsRefused() throws {
        // A valid checkpoint with its config edited: a one-element edge, a huge hidden size, γ₀ = 0.
        for (name, edit) in [("edge", #"c['edges'][0] = [0]"#), ("hidden", #"c['hiddenSize'] = 2**40"#), ("gamma", #"c['gamma0'] = 0.0"#),
                             ("nodes", #"c['nodeCount'] = 10**9"#)] {
            try python("""
                import json, shutil
                shutil.copy('\(packageRoot.path)/Checkpoints/milodo-lasso-10-300-10-0.1.h5', '\(name).h5')
                with h5py.File('\(name).h5', 'r+') as f:
                    c = json.loads(f.attrs['config'])
                    \(edit)
                    f.attrs['config'] = json.dumps(c)
                """)
            let r = try l2o(["evaluate", "--methods", "milodo:" + path("\(name).h5"), "--iterations", "5", "--count", "1", "--out", path("ev")])
            assertCleanFailure(r, mentions: ["\(name).h5"])
        }
    }
}
