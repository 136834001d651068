import XCTest
import L2OCore
import L2ONN
@testable import L2OOptimizers

/// Gradient processing as a chain of transformations (optax-style): each link against a
/// hand-computed value, and chains against the monolithic optimizers they compose.
final class GradientTransformationTests: XCTestCase {
    /// Runs `steps` steps of `o` on f(p) = ½‖A p − b‖² (a fixed quadratic) from `p0`; the iterates.
    func run<O: ParameterOptimizer>(_ o: O, steps: Int) throws -> [[Double]] where O.Scalar == Double {
        let a = Tensor<Double>.normal([6, 4], seed: 3), b = Tensor<Double>.normal([6], seed: 4)
        let p = Parameter(Tensor<Double>.normal([4], seed: 5))
        let params: NamedParameters<Double> = [("p", p)]
        var state = o.makeState(for: params)
        var out = [[Double]]()
        for t in 0..<steps {
            let r = matmul(a, p.value.reshaped([4, 1])).reshaped([6]) - b
            p.grad = matmul(r.reshaped([1, 6]), a).reshaped([4])
            try o.step(&state, parameters: params, context: StepContext(iteration: t))
            out.append(p.value.scalars)
        }
        return out
    }

    /// The chain and AdamW from the same state, parameters and gradient, one step at a time over
    /// 30 steps (clipping, warm-up and cosine decay active): the two compute `lr·(m̂/(√v̂+ε))`
    /// and `(lr/c₁)·(m/(√v/c₂+ε))`-style products in different associations, a few roundings
    /// apart: |Δp| ≤ 8u·(|p| + |Δ|) per coordinate.
    func testChainedAdamWWithClippingAndWarmupMatchesAdamW() throws {
        let schedule = LearningRateSchedule.linearWarmup(steps: 5, then: .cosine(steps: 20, floor: 0.1))
        let monolithic = try AdamW.make(Double.self, learningRate: 0.05, weightDecay: 0.01,
                                        processing: GradientProcessing(schedule: schedule, clipNorm: 0.5, weightDecay: 0.01))
        let chain = Chain<Double>([try ClipByGlobalNorm(0.5), try ScaleByRule(try Adam<Double>()), try AddDecayedWeights(0.01),
                                   try ScaleByLearningRate(0.05, schedule: schedule), NonFiniteGuard()])
        XCTAssertEqual(chain.slotNames, ["1.adam.exp_avg", "1.adam.exp_avg_sq"])
        XCTAssertEqual(chain.hyperParameters["3.lr.lr"], 0.05)
        let a = Tensor<Double>.normal([6, 4], seed: 3), b = Tensor<Double>.normal([6], seed: 4)
        let pm = Parameter(Tensor<Double>.normal([4], seed: 5)), pc = Parameter(pm.value)
        var ms = monolithic.makeState(for: [("p", pm)])
        var clippedSteps = 0
        for k in 0..<30 {
            let r = matmul(a, pm.value.reshaped([4, 1])).reshaped([6]) - b
            let g = matmul(r.reshaped([1, 6]), a).reshaped([4])
            // The chain's state is the monolithic one under the chain's names.
            let e = monolithic.exportState(ms)
            var cs = try chain.importState(ExportedOptimizerState(
                tensors: ["1.adam.exp_avg.p": e.tensors["exp_avg.p"]!, "1.adam.exp_avg_sq.p": e.tensors["exp_avg_sq.p"]!],
                values: ["step": e.values["step"]!, "skipped_steps": e.values["skipped_steps"] ?? 0]), for: [("p", pc)])
            pc.value = pm.value
            pm.grad = g
            pc.grad = g
            let before = pm.value
            let rm = try monolithic.step(&ms, parameters: [("p", pm)], context: StepContext(iteration: k))
            let rc = try chain.step(&cs, parameters: [("p", pc)], context: StepContext(iteration: k))
            XCTAssertEqual(rc.clipped, rm.clipped, "step \(k)")
            XCTAssertEqual(rc.learningRate, rm.learningRate, accuracy: 4 * Double.ulpOfOne * rm.learningRate, "step \(k)")
            if rm.clipped { clippedSteps += 1 }
            for i in 0..<4 {
                let delta = abs(pm.value.scalars[i] - before.scalars[i])
                let bound = 8 * Double.ulpOfOne / 2 * (abs(before.scalars[i]) + delta)
                XCTAssertEqual(pc.value.scalars[i], pm.value.scalars[i], accuracy: bound, "step \(k), coordinate \(i)")
            }
        }
        XCTAssertGreaterThan(clippedSteps, 0, "clipping was exercised")
    }

    /// SGD as a chain of one link computes the same products: bit-identical iterates.
    func testChainedSGDIsPlainGradientDescent() throws {
        let chain = Chain<Double>([try ScaleByLearningRate(0.1)])
        XCTAssertEqual(try run(try SGD<Double>(learningRate: 0.1), steps: 10), try run(chain, steps: 10))
        XCTAssertThrowsError(try ScaleByRule(try Adam<Double>(processing: GradientProcessing(clipNorm: 1))), "processing belongs in links")
    }

    /// Hand-computed: clip to norm 1 of g = (3, 4) is (0.6, 0.8); decayed weights add 0.5·p;
    /// lr 0.1 scales by −0.1; the EMA with β = 0.5 averages the initial and the new parameters.
    func testLinksByHand() throws {
        let p = Parameter(Tensor<Double>([1, -2]))
        let params: NamedParameters<Double> = [("p", p)]
        let chain = Chain<Double>([try ClipByGlobalNorm(1), try AddDecayedWeights(0.5), try ScaleByLearningRate(0.1), try ParameterEMA(decay: 0.5)])
        var state = chain.makeState(for: params)
        p.grad = Tensor([3, 4])
        try chain.step(&state, parameters: params, context: StepContext(iteration: 0))
        // u = −0.1·((0.6, 0.8) + 0.5·(1, −2)) = (−0.11, 0.02); p = (0.89, −1.98).
        XCTAssertEqual(p.value.scalars[0], 0.89, accuracy: 4 * Double.ulpOfOne)
        XCTAssertEqual(p.value.scalars[1], -1.98, accuracy: 4 * Double.ulpOfOne)
        let avg = try XCTUnwrap(chain.averagedParameters(state)?["p"])
        XCTAssertEqual(avg.scalars[0], 0.5 * 1 + 0.5 * 0.89, accuracy: 4 * Double.ulpOfOne)
        XCTAssertEqual(avg.scalars[1], 0.5 * -2 + 0.5 * -1.98, accuracy: 4 * Double.ulpOfOne)
        // The guard skips a non-finite step and leaves parameters and state as they were.
        let guarded = Chain<Double>([try ScaleByLearningRate(0.1), NonFiniteGuard(), try ParameterEMA(decay: 0.5)])
        var gs = guarded.makeState(for: params)
        let before = p.value
        p.grad = Tensor([.nan, 1])
        let report = try guarded.step(&gs, parameters: params, context: StepContext(iteration: 0))
        XCTAssertFalse(report.applied)
        XCTAssertEqual(p.value, before)
        XCTAssertEqual(gs.step, 0)
        XCTAssertEqual(gs.skippedSteps, 1)
        XCTAssertEqual(guarded.averagedParameters(gs)?["p"], before)
        // A chain's state checkpoints like any optimizer's.
        let restored = try chain.importState(chain.exportState(state), for: params)
        XCTAssertEqual(restored.slots, state.slots)
        XCTAssertThrowsError(try ClipByGlobalNorm<Double>(-1))
        XCTAssertThrowsError(try ParameterEMA<Double>(decay: 1.5))
    }

    /// Order matters, and any order is allowed: decaying after the learning rate scales the decay
    /// by 1 instead of by −lr.
    func testOrderOfLinksMatters() throws {
        let p = Parameter(Tensor<Double>([2]))
        let params: NamedParameters<Double> = [("p", p)]
        let after = Chain<Double>([try ScaleByLearningRate(0.1), try AddDecayedWeights(0.5)])
        var s = after.makeState(for: params)
        p.grad = Tensor([1])
        try after.step(&s, parameters: params, context: StepContext(iteration: 0))
        XCTAssertEqual(p.value.scalars[0], 2 - 0.1 + 0.5 * 2, accuracy: 4 * Double.ulpOfOne)
    }
}
