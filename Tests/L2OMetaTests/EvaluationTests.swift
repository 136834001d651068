import XCTest
@testable import L2OMeta
import L2OCore
import L2ODecentralized

/// f_i(x) = ½‖x − c_i‖², r = 0: x* = mean(c_i), F* = (1/n) Σ ½‖x* − c_i‖².
func quadraticInstance(n: Int = 5, d: Int = 3, seed: UInt64 = 2) -> EvaluationInstance<Double> {
    let c = Tensor<Double>.normal([n, d], seed: seed)
    let xs = c.mean(axis: 0)
    func F(_ x: Tensor<Double>) -> Double {
        var s = 0.0
        for i in 0..<n { s += 0.5 * (x - c.rows(i..<(i + 1)).reshaped([d])).squaredNorm() }
        return s / Double(n)
    }
    let oracles = NodeOracles<Double>(nodeCount: n, dimension: d, gradients: { $0 - c }, prox: { v, _ in v })
    return EvaluationInstance(name: "quad-\(seed)", oracles: oracles, objective: F, optimalValue: F(xs))
}

final class EvaluationTests: XCTestCase {
    func testRunnerRecordsGapsHitsAndLogPoints() throws {
        let inst = quadraticInstance()
        let w = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        let settings = EvaluationSettings(iterations: 2000, tolerances: [1e-3, 1e-9, 1e-14])
        var progressCalls = 0
        let trace = EvaluationRunner.run(ProxED(stepSize: 0.5), on: inst, mixing: w, settings: settings) { _, _ in progressCalls += 1 }
        XCTAssertEqual(trace.points.map(\.iteration), settings.logIterations)
        XCTAssertGreaterThan(trace.points[0].relativeGap, 1e-3)
        let hits = trace.hitIterations.map { try! XCTUnwrap($0) }
        XCTAssertEqual(hits, hits.sorted())
        XCTAssertLessThan(hits[0], hits[2])
        XCTAssertLessThan(trace.points.last!.relativeGap, 1e-14)
        XCTAssertLessThan(trace.points.last!.consensusError, 1e-20)
        XCTAssertFalse(trace.diverged)
        XCTAssertGreaterThan(progressCalls, 0)
        // Exact first hit: the gap at the recorded hit is below tolerance and one iteration before is not.
        let m = ProxED<Double>(stepSize: 0.5)
        var s = m.makeState(inst.oracles, mixing: w)
        for _ in 0..<(hits[1] - 1) { m.step(&s, inst.oracles, mixing: w) }
        XCTAssertGreaterThan(EvaluationRunner.metrics(m.iterate(s), inst).relative, 1e-9)
        m.step(&s, inst.oracles, mixing: w)
        XCTAssertLessThanOrEqual(EvaluationRunner.metrics(m.iterate(s), inst).relative, 1e-9)
    }

    func testDivergenceIsDetectedAndStopsTheRun() throws {
        let inst = quadraticInstance()
        let w = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        let trace = EvaluationRunner.run(ProxDGD(stepSize: 5), on: inst, mixing: w, settings: EvaluationSettings(iterations: 100_000))
        XCTAssertTrue(trace.diverged)
        XCTAssertLessThan(trace.points.last!.iteration, 100_000)
        let ok = EvaluationRunner.run(ProxED(stepSize: 0.5), on: inst, mixing: w, settings: EvaluationSettings(iterations: 50))
        let md = EvaluationReport(title: "t", settings: EvaluationSettings(iterations: 50), traces: [trace, ok]).markdownTable()
        XCTAssertTrue(md.contains("prox-dgd on quad-2 at iteration \(trace.points.last!.iteration)"), md)
        XCTAssertTrue(md.contains("| prox-ed "), "the other method's row is still reported")
    }

    func testReportWritesTablesAndPlots() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        let settings = EvaluationSettings(iterations: 300, tolerances: [1e-3, 1e-12])
        var traces = [EvaluationTrace]()
        for seed in 1...2 as ClosedRange<UInt64> {
            let inst = quadraticInstance(seed: seed)
            traces.append(EvaluationRunner.run(ProxED(stepSize: 0.5), on: inst, mixing: w, settings: settings))
            traces.append(EvaluationRunner.run(PGExtra(stepSize: 0.5), on: inst, mixing: w, settings: settings))
            traces.append(EvaluationRunner.run(DAPG(stepSize: 0.001), on: inst, mixing: w, settings: settings))
        }
        let report = EvaluationReport(title: "quadratic", settings: settings, traces: traces)
        let md = report.markdownTable()
        XCTAssertTrue(md.contains("| prox-ed "))
        XCTAssertTrue(md.contains("| pg-extra "))
        XCTAssertTrue(md.contains("not reached"), md)  // DAPG with a tiny step cannot reach 1e-12 in 300 iterations
        XCTAssertTrue(md.contains("300 iterations on 2 instance(s); each cell is the median over the instances that reached the tolerance"), md)
        // A method that reached a tolerance on one instance only: "(1/2)" in both its iteration and seconds cells.
        var partial = traces.filter { $0.method == "prox-ed" }
        partial[1].hitIterations[1] = nil
        partial[1].hitSeconds[1] = nil
        let partialTable = EvaluationReport(title: "q", settings: settings, traces: partial).markdownTable()
        XCTAssertEqual(partialTable.components(separatedBy: "(1/2)").count - 1, 2, partialTable)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try report.write(to: folder)
        XCTAssertEqual(Set(files.map(\.lastPathComponent)),
                       ["report.md", "trace.csv", "report.json", "gap-vs-iteration.svg", "gap-vs-seconds.svg", "consensus-vs-iteration.svg"])
        let csv = try String(contentsOf: folder.appendingPathComponent("trace.csv"))
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + traces.reduce(0) { $0 + $1.points.count })
        let back = try JSONDecoder().decode(EvaluationReport.self, from: Data(contentsOf: folder.appendingPathComponent("report.json")))
        XCTAssertEqual(back.traces.count, 6)
        let svg = try String(contentsOf: folder.appendingPathComponent("gap-vs-iteration.svg"))
        XCTAssertEqual(svg.components(separatedBy: "<polygon").count - 1, 3)  // one band per method
    }
}

final class StepSizeTunerTests: XCTestCase {
    func testPicksTheFastestStableStepAndRejectsUnstableOnes() throws {
        // Quadratic instances (unit curvature): gradient descent parts are stable for γ < 2 and
        // fastest near γ = 1; the grid spans unstable values above 2.
        let w = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        let tuner = StepSizeTuner(low: 0.05, high: 8, count: 12, iterations: 400, tolerance: 1e-10)
        let res = try tuner.tune({ ProxED(stepSize: $0) }, on: [quadraticInstance(seed: 1), quadraticInstance(seed: 2)], mixing: w)
        XCTAssertEqual(res.method, "prox-ed")
        XCTAssertEqual(res.candidates.count, 12)
        XCTAssertTrue(res.candidates.filter { $0.stepSize > 4 }.allSatisfy { !$0.stable })
        let best = try XCTUnwrap(res.candidates.first { $0.stepSize == res.best })
        XCTAssertTrue(best.stable)
        XCTAssertTrue(res.candidates.filter(\.stable).allSatisfy { $0.medianIterations >= best.medianIterations })
        XCTAssertGreaterThan(res.best, 0.3)
        XCTAssertLessThan(res.best, 2)
    }

    func testMarginKeepsTheChoiceBelowTheStabilityEdge() throws {
        // Same instances; with margin m the chosen step's next m grid points must be stable, so
        // the choice moves below the edge (γ < 2 here) by at least m grid points.
        let w = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        let instances = [quadraticInstance(seed: 1), quadraticInstance(seed: 2)]
        let plain = StepSizeTuner(low: 0.05, high: 8, count: 12, iterations: 400, tolerance: 1e-10)
        var safe = plain
        safe.margin = 2
        let a = try plain.tune({ ProxED(stepSize: $0) }, on: instances, mixing: w)
        let b = try safe.tune({ ProxED(stepSize: $0) }, on: instances, mixing: w)
        let k = try XCTUnwrap(b.candidates.firstIndex { $0.stepSize == b.best })
        XCTAssertTrue(b.candidates[k...(k + 2)].allSatisfy(\.stable))
        XCTAssertLessThanOrEqual(b.best, a.best)
        let firstUnstable = try XCTUnwrap(b.candidates.firstIndex { !$0.stable })
        XCTAssertLessThanOrEqual(k + 2, firstUnstable - 1)
        XCTAssertFalse(b.atGridEdge)
    }

    func testAllUnstableGridThrows() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        let tuner = StepSizeTuner(low: 5, high: 10, count: 3, iterations: 200)
        XCTAssertThrowsError(try tuner.tune({ ProxDGD(stepSize: $0) }, on: [quadraticInstance()], mixing: w))
    }
}
