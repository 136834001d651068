import ArgumentParser
import Foundation
import XCTest
import L2O
@testable import l2o

/// `l2o problems generate` → instance set → loading, and `l2o tune` / `l2o evaluate` end to end on a
/// tiny logistic suite written to a temporary folder (the loading itself: `ProblemSourcesTests`).
final class LogisticProblemSourceTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-logistic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Writes a suite file and returns its path.
    func writeSuite(_ name: String, _ json: String) throws -> String {
        let url = folder.appendingPathComponent("\(name).json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    /// Logistic(4, d, 20, 0.02) for d = 6 (group 0) and 8 (group 1): 2 train, 2 test instances each.
    func tinySuite() throws -> String {
        try writeSuite("tiny-logistic", """
            {"name": "tiny-logistic", "seed": 77, "groups": [{"family": "logistic", "nodes": 4, "dimension": [6, 8],
             "samplesPerNode": 20, "lambda": 0.02, "splits": {"train": 2, "test": 2}}]}
            """)
    }

    func testLoadsALogisticInstanceSetWrittenByProblemsGenerate() throws {
        let suite = try tinySuite()
        let h5 = folder.appendingPathComponent("tiny-test.h5").path
        try ProblemsCommand.Generate.parse([suite, "--group", "0", "--split", "test", "--out", h5]).run()
        let fromFile: (name: String, instances: [EvaluationInstance<Double>]) = try ProblemSource.evaluation(
            h5, split: .test, count: nil, prefix: "test")
        let fromSuite: (name: String, instances: [EvaluationInstance<Double>]) = try ProblemSource.evaluation(
            suite, split: .test, count: nil, group: 0, prefix: "test")
        XCTAssertEqual(fromFile.name, "Logistic(4,6,20,0.02)")
        XCTAssertEqual(fromFile.name, fromSuite.name)
        XCTAssertEqual(fromFile.instances.count, 2)
        let X = Tensor<Double>.normal([4, 6], seed: 9)
        for (a, b) in zip(fromFile.instances, fromSuite.instances) {
            XCTAssertEqual(a.optimalValue, b.optimalValue, "F* read from the file is the suite's")
            XCTAssertEqual(a.oracles.gradients(X), b.oracles.gradients(X))
            XCTAssertEqual(a.objective(X.rows(0..<1).reshaped([6])), b.objective(X.rows(0..<1).reshaped([6])))
        }
    }

    func testTuneThenEvaluateOnALogisticSuite() throws {
        let suite = try tinySuite()
        let tuned = folder.appendingPathComponent("tuned.json").path
        try TuneCommand.parse([
            "--problems", suite, "--methods", "prox-ed,odapg", "--count", "2", "--iterations", "800", "--tolerance", "1e-5",
            "--low", "0.1", "--high", "1.6", "--points", "5", "--out", tuned,
        ]).run()
        let steps = try JSONDecoder().decode(TunedSteps.self, from: Data(contentsOf: URL(fileURLWithPath: tuned)))
        XCTAssertEqual(Set(steps.steps.keys), ["prox-ed", "odapg"])
        for r in steps.results {
            XCTAssertEqual(r.candidates.count, 5)
            XCTAssertTrue(try XCTUnwrap(r.candidates.first { $0.stepSize == r.best }).stable, r.method)
        }
        let out = folder.appendingPathComponent("eval")
        try EvaluateCommand.parse([
            "--problems", suite, "--count", "2", "--iterations", "1000", "--methods", "prox-ed,odapg,pg-extra",
            "--tuned", tuned, "--step", "pg-extra=0.5", "--out", out.path,
        ]).run()
        let report = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
        XCTAssertEqual(report.title, "Logistic(4,6,20,0.02), ring, float64")
        XCTAssertEqual(report.traces.map(\.method), ["prox-ed", "prox-ed", "odapg", "odapg", "pg-extra", "pg-extra"])
        XCTAssertEqual(report.traces.map(\.instance), ["test-0", "test-1", "test-0", "test-1", "test-0", "test-1"])
        XCTAssertEqual(report.traces[0].stepSize, steps.steps["prox-ed"]!, accuracy: 1e-15)
        for t in report.traces {
            XCTAssertFalse(t.diverged, t.method)
            let k = try XCTUnwrap(report.settings.tolerances.firstIndex(of: 1e-5))
            XCTAssertNotNil(t.hitIterations[k], "\(t.method) on \(t.instance) reaches 1e-5")
        }
        for file in ["report.md", "trace.csv", "gap-vs-iteration.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
    }

    /// `--tolerances` and `--check-every`: the report has the chosen columns, hits land on checks
    /// (multiples of N, or logged iterations) no earlier than the exact hits, and bad values are refused.
    func testEvaluateWithChosenTolerancesAndCheckInterval() throws {
        let suite = try tinySuite()
        func run(_ extra: [String], _ name: String) throws -> EvaluationReport {
            let out = folder.appendingPathComponent(name)
            try EvaluateCommand.parse(["--problems", suite, "--count", "1", "--iterations", "600", "--methods", "prox-ed",
                                       "--step", "prox-ed=0.5", "--out", out.path] + extra).run()
            return try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: out.appendingPathComponent("report.json")))
        }
        let exact = try run(["--tolerances", "1e-2,1e-3,3e-4"], "exact")
        let coarse = try run(["--tolerances", "1e-2,1e-3,3e-4", "--check-every", "7"], "coarse")
        XCTAssertEqual(exact.settings.tolerances, [1e-2, 1e-3, 3e-4])
        XCTAssertEqual(coarse.settings.checkInterval, 7)
        let logged = Set(coarse.settings.logIterations)
        for k in 0..<3 {
            let e = try XCTUnwrap(exact.traces[0].hitIterations[k], "exact hit \(k)")
            let c = try XCTUnwrap(coarse.traces[0].hitIterations[k], "coarse hit \(k)")
            XCTAssertTrue(c % 7 == 0 || logged.contains(c), "hit \(c) is a check")
            XCTAssertGreaterThanOrEqual(c, e)
            XCTAssertLessThan(c, e + 7)
        }
        XCTAssertTrue(coarse.markdownTable().contains("checked every 7 iterations"))
        XCTAssertTrue(coarse.markdownTable().contains("iters to \(formatNumber(3e-4)) "), coarse.markdownTable())
        for bad in [["--tolerances", "1e-5,1e-3"], ["--tolerances", "abc"], ["--tolerances", "1e-3,-1"], ["--tolerances", "1e-3,0"],
                    ["--tolerances", "inf,1e-3"], ["--tolerances", ""], ["--check-every", "0"]] {
            XCTAssertThrowsError(try EvaluateCommand.parse(["--problems", suite] + bad), "\(bad)")
        }
    }
}
