import Foundation
import XCTest
@testable import L2OMeta
import L2OCore
import L2ODecentralized
import L2OOptimizees

/// Decentralized methods on ℓ₁-regularized logistic regression through `NodeOracles(problem)`.
final class LogisticEvaluationTests: XCTestCase {
    /// Logistic(4, 6, 20, λ) with its FISTA reference optimum.
    func logistic(lambda: Double = 0.02, seed: UInt64 = 5) throws -> LogisticRegression<Double> {
        try LogisticFamily<Double>(nodes: 4, dimension: 6, samplesPerNode: 20, lambda: lambda, seed: seed)
            .instance(.test, index: 0).withReferenceOptimum()
    }

    func testNodeGradientsMatchFiniteDifferencesAndProxIsSoftThreshold() throws {
        let p = try logistic()
        let o = try NodeOracles(p)
        XCTAssertEqual(o.nodeCount, 4)
        XCTAssertEqual(o.dimension, 6)
        XCTAssertEqual(o.l1Weight, 0.02)
        let X = Tensor<Double>.normal([4, 6], std: 0.7, seed: 11)
        let G = o.gradients(X)
        XCTAssertEqual(G.shape, [4, 6])
        // Row i against central differences of f_i = mean log-loss of node i's samples.
        let h = Foundation.cbrt(Double.ulpOfOne)
        for i in 0..<4 {
            let x = X.rows(i..<(i + 1)).reshaped([6])
            var fd = Tensor<Double>.zeros([6])
            for j in 0..<6 {
                var up = x, down = x
                up.scalars[j] += h
                down.scalars[j] -= h
                fd.scalars[j] = (p.smoothValue(shard: i, at: up) - p.smoothValue(shard: i, at: down)) / (2 * h)
            }
            let g = G.rows(i..<(i + 1)).reshaped([6])
            XCTAssertGreaterThan(g.norm(), 1e-3)
            XCTAssertLessThan(g.maxAbsDifference(fd) / max(1, fd.normInf()), 1e3 * Double.ulpOfOne / h, "node \(i)")
        }
        // f_i is the mean log-loss: at x = 0 every sample costs ln 2.
        XCTAssertEqual(p.smoothValue(shard: 2, at: .zeros([6])), log(2), accuracy: 1e-15)
        // prox_{t·λ‖·‖₁}(v) = sign(v)·max(|v| − tλ, 0), elementwise.
        let V = Tensor<Double>.normal([4, 6], std: 0.05, seed: 12)
        let t = 1.5
        let u = o.prox(V, t)
        for k in 0..<V.count {
            let v = V.scalars[k]
            XCTAssertEqual(u.scalars[k], (v < 0 ? -1 : 1) * max(abs(v) - t * 0.02, 0), accuracy: 1e-17)
        }
        XCTAssertTrue(u.scalars.contains(0) && u.scalars.contains { $0 != 0 }, "the threshold both zeroes and keeps entries")
    }

    func testNonUniformShardWeightsAreRejected() {
        struct Weighted: Optimizee {
            var dimension: Int { 2 }
            var shardCount: Int { 2 }
            var shardWeights: [Double] { [0.25, 0.75] }
            var regularizer: Regularizer<Double> { .none }
            var referenceOptimum: ReferenceOptimum<Double>? { nil }
            func smoothValue(shard s: Int, at x: Tensor<Double>) -> Double { 0.5 * x.squaredNorm() }
            func gradient(shard s: Int, at x: Tensor<Double>) -> Tensor<Double> { x }
            func hessianVectorProduct(shard s: Int, at x: Tensor<Double>, direction v: Tensor<Double>) -> Tensor<Double> { v }
        }
        XCTAssertThrowsError(try NodeOracles(Weighted())) { error in
            XCTAssertTrue("\(error)".contains("1/n"), "\(error)")
        }
        XCTAssertThrowsError(try EvaluationInstance(name: "w", problem: Weighted(), reference: Weighted())) { error in
            XCTAssertTrue("\(error)".contains("no reference optimum"), "\(error)")
        }
    }

    func testProxEDReachesTheReferenceOptimum() throws {
        let p = try logistic()
        let opt = try XCTUnwrap(p.referenceOptimum)
        XCTAssertGreaterThan(opt.x.normInf(), 0.1, "a non-trivial optimum")
        XCTAssertLessThan(opt.x.scalars.filter { $0 != 0 }.count, 6, "λ zeroes some coordinates")
        XCTAssertLessThan(opt.value, log(2))
        let inst = try EvaluationInstance(name: "logistic", problem: p, reference: p)
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let settings = EvaluationSettings(iterations: 3000, tolerances: [1e-3, 1e-10])
        let m = ProxED<Double>(stepSize: 1)
        let trace = EvaluationRunner.run(m, on: inst, mixing: w, settings: settings)
        XCTAssertFalse(trace.diverged)
        XCTAssertNotNil(trace.hitIterations[1], "relative gap 1e-10 reached")
        let last = try XCTUnwrap(trace.points.last)
        XCTAssertLessThan(last.relativeGap, 1e-10)
        XCTAssertGreaterThanOrEqual(last.relativeGap, -1e-13, "F(x̄) is not below F*")
        XCTAssertLessThan(last.consensusError, 1e-16)
        // The node average is x* (support included).
        var s = m.makeState(inst.oracles, mixing: w)
        for _ in 0..<3000 { m.step(&s, inst.oracles, mixing: w) }
        let xbar = m.iterate(s).mean(axis: 0)
        XCTAssertLessThan(xbar.maxAbsDifference(opt.x), 1e-6)
        XCTAssertEqual(xbar.scalars.map { $0 == 0 }, opt.x.scalars.map { $0 == 0 })
    }

    func testEveryHandcraftedMethodRunsOnLogistic() throws {
        let p = try logistic(seed: 6)
        let inst = try EvaluationInstance(name: "logistic", problem: p, reference: p)
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let settings = EvaluationSettings(iterations: 1500, tolerances: [1e-3, 1e-5])
        func check<M: DecentralizedMethod>(_ m: M, reaches k: Int) where M.Scalar == Double {
            let t = EvaluationRunner.run(m, on: inst, mixing: w, settings: settings)
            XCTAssertFalse(t.diverged, m.name)
            XCTAssertNotNil(t.hitIterations[k], "\(m.name) reaches \(settings.tolerances[k]); final \(t.points.last!.relativeGap)")
        }
        check(ProxDGD(stepSize: 0.2), reaches: 0)  // biased with a constant step
        check(PGExtra(stepSize: 0.5), reaches: 1)
        check(ProxATC(stepSize: 0.5), reaches: 1)
        check(DAPG(stepSize: 0.5), reaches: 1)
        check(ODAPG(stepSize: 0.5), reaches: 1)
        check(DecentralizedADMM(stepSize: 0.5), reaches: 1)
    }

    func testMiLoDoRunsOnLogisticOraclesUnchanged() throws {
        // At its exact-diffusion initialization (zero output layers, bounded outputs) the learned
        // rule takes Exact Diffusion's steps when r = 0; on logistic oracles it must follow Prox-ED
        // iterate by iterate.
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let gamma = 0.5
        var rng = RandomState(seed: 3)
        let model = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        model.useBoundedOutputs(alpha: 0.4, gamma0: gamma, mixing: w)
        model.specialInitialize(gamma0: gamma, mixing: w, outputStd: 0, rng: &rng)
        let milodo = MiLoDoOptimizer(model: model), ed = ProxED<Double>(stepSize: gamma)
        let smooth = try NodeOracles(LogisticFamily<Double>(nodes: 4, dimension: 6, samplesPerNode: 20, lambda: 0, seed: 5).instance(.test, index: 0))
        XCTAssertEqual(smooth.l1Weight, 0)
        var s1 = milodo.makeState(smooth, mixing: w), s2 = ed.makeState(smooth, mixing: w)
        for k in 0..<30 {
            milodo.step(&s1, smooth, mixing: w)
            ed.step(&s2, smooth, mixing: w)
            XCTAssertLessThan(milodo.iterate(s1).maxAbsDifference(ed.iterate(s2)), 1e-12, "iterate \(k + 1)")
        }
        // With λ > 0 it sees λ through `l1Weight` and converges to the ℓ₁-regularized optimum.
        let p = try logistic()
        let inst = try EvaluationInstance(name: "logistic", problem: p, reference: p)
        let t = EvaluationRunner.run(milodo, on: inst, mixing: w, settings: EvaluationSettings(iterations: 1500, tolerances: [1e-3, 1e-6]))
        XCTAssertFalse(t.diverged)
        XCTAssertNotNil(t.hitIterations[1], "final relative gap \(t.points.last!.relativeGap)")
    }
}
