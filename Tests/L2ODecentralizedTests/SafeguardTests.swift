import XCTest
@testable import L2ODecentralized
import L2OCore

/// The safeguard of learned decentralized rules: its fallback step is Exact Diffusion (Prox-ED's
/// iterates), its rules fire on stalls and blow-ups and not on progress or at the rounding floor,
/// and a learned rule that diverges or cycles still converges under it.
final class SafeguardTests: XCTestCase {
    let problem = SmallLasso()

    /// On the smooth part (λ = 0) the fallback step gives Exact Diffusion's iterates (Prox-ED's
    /// with r = 0); with the ℓ₁ term it is the same iteration in MiLoDo's variables (the prox
    /// inside, as the learned rule takes it) and converges to the LASSO optimum.
    func testFallbackStepIsExactDiffusion() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .metropolisHastings)
        let smooth = NodeOracles<Double>(nodeCount: problem.n, dimension: problem.d, lambda: 0, gradients: problem.oracles.gradients)
        let gamma = 0.05
        let ed = ProxED<Double>(stepSize: gamma)
        var s = ed.makeState(smooth, mixing: w)
        var x = Tensor<Double>.zeros([problem.n, problem.d]), y = x
        for k in 0..<60 {
            let t = w.safeguardStep(x: x, y: y, g: smooth.gradients(x), gamma: gamma, smooth)
            (x, y) = (t.x, t.y)
            ed.step(&s, smooth, mixing: w)
            // Two forms of one iteration: each step adds a few roundings of values of size ‖x‖.
            XCTAssertLessThan(x.maxAbsDifference(ed.iterate(s)), Double(64 * (k + 1)) * Double.ulpOfOne * Swift.max(1, x.normInf()), "iteration \(k + 1)")
        }
        // With λ > 0: its merit vanishes at the solution, reached to machine precision.
        let p = problem.oracles
        x = .zeros([problem.n, problem.d]); y = x
        for _ in 0..<4000 { let t = w.safeguardStep(x: x, y: y, g: p.gradients(x), gamma: gamma, p); (x, y) = (t.x, t.y) }
        let t = w.safeguardStep(x: x, y: y, g: p.gradients(x), gamma: gamma, p)
        XCTAssertLessThan(t.merit, 1e3 * t.floor)
        XCTAssertLessThan(abs(problem.objective(x.mean(axis: 0)) - problem.optimum().value) / problem.optimum().value, 1e-12)
    }

    func testRulesFireOnStallsAndBlowUpsOnly() {
        let settings = Safeguard(window: 4, minimumDecrease: 0.1, blowUp: 10, fallbackLength: 3)
        var g = SafeguardState<Double>(settings: settings, gamma: 1)
        var k = 0
        func feed(_ merits: [Double], floor: Double = 0) -> [SafeguardState<Double>.Action] {
            merits.map { r in
                let a = g.decide(merit: r, floor: floor, iteration: k)
                g.previousWasLearned = a == .learned
                k += 1
                return a
            }
        }
        // Steady progress: never fires.
        XCTAssertEqual(feed([8, 4, 2, 1, 0.5, 0.25, 0.12, 0.06]), Array(repeating: .learned, count: 8))
        XCTAssertEqual(g.report.firings, 0)
        // A window whose best (0.06) is not 10% below the last window's best (0.06): fires at its end.
        XCTAssertEqual(feed([0.07, 0.06, 0.07, 0.06]), [.learned, .learned, .learned, .fallback])
        XCTAssertEqual(g.report.firings, 1)
        XCTAssertEqual(g.report.firedAt, [11])
        // Three fallback iterations in all (the firing one included), then a new window of learned
        // steps, measured against what the fallback reached (0.04).
        XCTAssertEqual(feed([0.05, 0.04, 0.03]), [.fallback, .fallback, .learned])
        XCTAssertEqual(feed([0.05, 0.05, 0.05]), [.learned, .learned, .learned], "best 0.03 < 0.9 × 0.04: progress")
        // Stalls again (best 0.03 is not below 0.9 × 0.03): fires, for 3 iterations (progress reset the length).
        XCTAssertEqual(feed([0.03, 0.03, 0.03, 0.03]), [.learned, .learned, .learned, .fallback])
        XCTAssertEqual(g.report.firings, 2)
        XCTAssertEqual(feed([0.02, 0.02, 0.02, 0.02, 0.02, 0.02]), [.fallback, .fallback, .learned, .learned, .learned, .fallback])
        // A third consecutive stall: twice as long (6 fallback iterations).
        XCTAssertEqual(g.report.firings, 3)
        XCTAssertEqual(feed(Array(repeating: 0.02, count: 6)), [.fallback, .fallback, .fallback, .fallback, .fallback, .learned])
        // Blow-up right after a learned step: the step is rejected at once.
        XCTAssertEqual(feed([0.5]), [.revert])
        XCTAssertEqual(g.report.rejections, 1)
        XCTAssertEqual(g.report.fallbackIterations, 0, "counted by the optimizer, not here")
        XCTAssertEqual(feed([.nan]), [.revert], "a non-finite merit is a blow-up")
        // At the rounding floor a flat merit is convergence, not a stall.
        var h = SafeguardState<Double>(settings: settings, gamma: 1)
        for (i, r) in [1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16].enumerated() {
            XCTAssertEqual(h.decide(merit: r, floor: 2e-16, iteration: i), .learned)
            h.previousWasLearned = true
        }
        XCTAssertEqual(h.report.firings, 0)
    }

    /// A learned rule with Exact Diffusion's form at γ₀ = 2 (far above the stable step) diverges on its own; with
    /// the safeguard the run reaches the optimum, and the report says what happened.
    func testADivergingRuleConvergesUnderTheSafeguard() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(problem.n), rule: .uniform)
        var rng = RandomState(seed: 3)
        let model = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        model.specialInitialize(gamma0: 2.0, mixing: w, outputStd: 0, rng: &rng)
        let star = problem.optimum().value
        func gap(_ m: MiLoDoOptimizer<Double>, iterations: Int) -> (Double, SafeguardReport?) {
            var s = m.makeState(problem.oracles, mixing: w)
            for _ in 0..<iterations { m.step(&s, problem.oracles, mixing: w) }
            let v = problem.objective(m.iterate(s).mean(axis: 0))
            return (v.isFinite ? abs(v - star) / star : .infinity, m.safeguardReport(s))
        }
        let alone = gap(MiLoDoOptimizer(model: model), iterations: 200)
        XCTAssertFalse(alone.0 < 1, "the rule alone diverges (gap \(alone.0))")
        XCTAssertNil(alone.1)
        let guarded = gap(MiLoDoOptimizer(model: model, safeguard: Safeguard()), iterations: 6000)
        XCTAssertLessThan(guarded.0, 1e-10)
        let report = try XCTUnwrap(guarded.1)
        XCTAssertGreaterThan(report.rejections, 0)
        XCTAssertGreaterThan(report.fallbackIterations, 3000, "most iterations were fallback steps")
        XCTAssertTrue(report.summary.hasPrefix("fired "), report.summary)
    }

    /// A rule that works (Exact Diffusion's constants at a stable step) is not slowed down: the
    /// safeguard never fires and the iterates are the unguarded ones, bit for bit.
    func testAWorkingRuleIsLeftAlone() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(problem.n), rule: .uniform)
        var rng = RandomState(seed: 3)
        let model = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        model.specialInitialize(gamma0: 0.05, mixing: w, outputStd: 0.02, rng: &rng)
        let plain = MiLoDoOptimizer(model: model, seed: 1), guarded = MiLoDoOptimizer(model: model, seed: 1, safeguard: Safeguard())
        var a = plain.makeState(problem.oracles, mixing: w), b = guarded.makeState(problem.oracles, mixing: w)
        for _ in 0..<1500 {
            plain.step(&a, problem.oracles, mixing: w)
            guarded.step(&b, problem.oracles, mixing: w)
        }
        XCTAssertEqual(guarded.safeguardReport(b)?.firings, 0)
        XCTAssertEqual(plain.iterate(a), guarded.iterate(b))
    }
}
