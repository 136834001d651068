import Foundation
import XCTest
import L2O

/// `l2o sheaf train|evaluate` end to end on a tiny run, and its refusals.
extension HostileInputTests {
    func testSheafTrainThenEvaluateOnTinyMazes() throws {
        let out = folder.appendingPathComponent("sheaf/model.h5").path
        let t = try l2o(["sheaf", "train", "--steps", "3", "--batch-size", "2", "--train-count", "4", "--validation-count", "2",
                         "--cells", "2", "--min-iterations", "2", "--max-iterations", "3", "--evaluation-iterations", "3",
                         "--validate-every", "2", "--out", out])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("| 3    |"), t.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        let ck = try Checkpoint.read(from: URL(fileURLWithPath: out))
        XCTAssertEqual(ck.kind, "sheaf-admm")
        // Continuing the run: the resume file is found and the step count goes on.
        let more = try l2o(["sheaf", "train", "--steps", "4", "--batch-size", "2", "--train-count", "4", "--validation-count", "2",
                            "--cells", "2", "--min-iterations", "2", "--max-iterations", "3", "--evaluation-iterations", "3",
                            "--validate-every", "2", "--out", out])
        XCTAssertEqual(more.status, 0, more.stderr)
        XCTAssertTrue(more.stderr.contains("Resuming from") && more.stderr.contains("at step 3"), more.stderr)
        let mazes = folder.appendingPathComponent("mazes.txt")
        try "#######\n#S....#\n#####.#\n#G....#\n#######\n#######\n".write(to: mazes, atomically: true, encoding: .utf8)
        let bad = try l2o(["sheaf", "evaluate", out, "--mazes", mazes.path, "--out", folder.appendingPathComponent("e").path])
        assertCleanFailure(bad, mentions: ["mazes.txt", "square"])
        try "#######\n#S....#\n#####.#\n#.....#\n#.#####\n#....G#\n#######\n".write(to: mazes, atomically: true, encoding: .utf8)
        let e = try l2o(["sheaf", "evaluate", out, "--mazes", mazes.path, "--iterations", "3", "--out", folder.appendingPathComponent("e").path])
        XCTAssertEqual(e.status, 0, e.stderr)
        for f in ["report.md", "residuals.svg", "solved-by-iteration.svg", "maze-1.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("e/\(f)").path), f)
        }
    }

    func testSheafRefusesBadConfigurationsAndOtherCheckpoints() throws {
        assertCleanFailure(try l2o(["sheaf", "train", "--edge-stalk", "12", "--out", folder.appendingPathComponent("x.h5").path]),
                           mentions: ["d_e = 12 > d_v = 10"], usage: true)
        assertCleanFailure(try l2o(["sheaf", "train", "--min-iterations", "9", "--max-iterations", "3", "--out", folder.appendingPathComponent("x.h5").path]),
                           mentions: ["9…3"], usage: true)
        assertCleanFailure(try l2o(["sheaf", "evaluate", "Checkpoints/milodo-lasso-10-300-10-0.1-support.h5", "--out", folder.path]),
                           mentions: ["sheaf-admm", "milodo"])
        assertCleanFailure(try l2o(["sheaf", "evaluate", "Checkpoints/milodo-lasso-10-300-10-0.1-support.h5", "--size", "8"]),
                           mentions: ["--size"], usage: true)
    }
}
