import XCTest
import L2OCore
@testable import L2OOptimizees

/// Gradients, Hessian-vector products, prox and the tape ops against finite differences (Double).
final class OracleTests: XCTestCase {
    func checkOracles<P: Optimizee>(_ p: P, file: StaticString = #filePath, line: UInt = #line) where P.Scalar == Double {
        let d = p.dimension
        for s in 0..<p.shardCount {
            let x = Tensor<Double>.normal([d], std: 0.5, seed: UInt64(10 + s))
            let v = Tensor<Double>.normal([d], seed: UInt64(20 + s))
            let g = p.gradient(shard: s, at: x)
            XCTAssertGreaterThan(g.norm(), 0, file: file, line: line)
            let gNum = numericGradient(x) { p.smoothValue(shard: s, at: $0) }
            XCTAssertLessThan(relativeError(g, gNum), fdTolerance, "gradient of shard \(s)", file: file, line: line)
            let hv = p.hessianVectorProduct(shard: s, at: x, direction: v)
            let hvNum = numericDirectional(x, v) { p.gradient(shard: s, at: $0) }
            XCTAssertLessThan(relativeError(hv, hvNum), fdTolerance, "HVP of shard \(s)", file: file, line: line)
        }
        // Batched oracles agree with the per-shard ones; full smooth gradient with its FD.
        let X = Tensor<Double>.normal([p.shardCount, d], std: 0.5, seed: 30)
        let V = Tensor<Double>.normal([p.shardCount, d], seed: 31)
        let G = p.gradients(at: X), HV = p.hessianVectorProducts(at: X, directions: V)
        for s in 0..<p.shardCount {
            XCTAssertLessThan(relativeError(row(G, s), p.gradient(shard: s, at: row(X, s))), 1e2 * Double.epsilon, file: file, line: line)
            XCTAssertLessThan(relativeError(row(HV, s), p.hessianVectorProduct(shard: s, at: row(X, s), direction: row(V, s))),
                              1e2 * Double.epsilon, file: file, line: line)
        }
        let x = row(X, 0)
        XCTAssertLessThan(relativeError(p.smoothGradient(at: x), numericGradient(x) { p.smoothValue(at: $0) }), fdTolerance, file: file, line: line)
        var loop = 0.0
        for s in 0..<p.shardCount { loop += p.shardWeights[s] * p.smoothValue(shard: s, at: x) }
        XCTAssertEqual(p.smoothValue(at: x), loop, accuracy: 1e2 * Double.epsilon * max(1, abs(loop)), file: file, line: line)
    }

    func testLASSOOracles() { checkOracles(smallLASSO()) }
    func testLinearRegressionOracles() { checkOracles(smallLASSO(lambda: 0)) }
    func testLogisticOracles() { checkOracles(smallLogistic()) }

    func checkTapeOps<P: Optimizee>(_ p: P, file: StaticString = #filePath, line: UInt = #line) where P.Scalar == Double {
        let d = p.dimension
        let x = Tensor<Double>.normal([d], std: 0.5, seed: 40)
        let X = Tensor<Double>.normal([p.shardCount, d], std: 0.5, seed: 41)
        // The tape ops' backward (Hessian-vector products) against finite differences.
        let single = gradientCheck([x], epsilon: fdStep, tolerance: fdTolerance) { v in p.gradient(shard: 1, at: v[0]) }
        XCTAssertTrue(single.passed, "gradient(shard:at:) \(single)", file: file, line: line)
        let batched = gradientCheck([X], epsilon: fdStep, tolerance: fdTolerance) { v in p.gradients(at: v[0]) }
        XCTAssertTrue(batched.passed, "gradients(at:) \(batched)", file: file, line: line)
        // F(x) as a tape op (x has no zero coordinate, so λ‖x‖₁ is differentiable there).
        let value = gradientCheck([x], epsilon: fdStep, tolerance: fdTolerance) { v in p.value(v[0]) }
        XCTAssertTrue(value.passed, "value \(value)", file: file, line: line)
        // A composite as meta-training builds it: a gradient step, then F.
        let step = gradientCheck([X], epsilon: fdStep, tolerance: fdTolerance) { v in
            p.value((v[0] - p.gradients(at: v[0]) * 0.01).mean(axis: 0))
        }
        XCTAssertTrue(step.passed, "F(mean(X − γ∇f(X))) \(step)", file: file, line: line)
    }

    func testLASSOTapeOps() { checkTapeOps(smallLASSO()) }
    func testLogisticTapeOps() { checkTapeOps(smallLogistic()) }

    func testProxIsTheMinimizerAndMatchesSoftThreshold() {
        let r = Regularizer<Double>.l1(0.3)
        let v = Tensor<Double>([1.0, -0.2, 0.05, -2.0, 0.31, 0])
        let t = 0.5
        let p = r.prox(v, step: t)
        // Soft threshold at tλ = 0.15.
        XCTAssertLessThan(p.maxAbsDifference(Tensor([0.85, -0.05, 0, -1.85, 0.16, 0])), 1e1 * Double.epsilon)
        // prox minimizes r(u) + ‖u − v‖²/(2t): no random perturbation does better.
        func objective(_ u: Tensor<Double>) -> Double { r.value(u) + (u - v).squaredNorm() / (2 * t) }
        let best = objective(p)
        for k in 0..<200 {
            let u = p + Tensor<Double>.normal([6], std: 0.01, seed: UInt64(k))
            XCTAssertGreaterThanOrEqual(objective(u), best)
        }
        XCTAssertEqual(Regularizer<Double>.none.prox(v, step: t), v)
        // Its tape derivative against finite differences (points away from the kinks |v| = tλ).
        let w = Tensor<Double>([0.9, -0.05, 0.4, -1.2])
        let check = gradientCheck([w], epsilon: fdStep, tolerance: fdTolerance) { x in r.prox(x[0], step: t) }
        XCTAssertTrue(check.passed, "\(check)")
    }

    func testOptimalityViolation() {
        let r = Regularizer<Double>.l1(1)
        let x = Tensor<Double>([2, -1, 0, 0])
        let g = Tensor<Double>([-1, 1, 0.5, -3])
        XCTAssertEqual(r.optimalityViolation(at: x, gradient: g), Tensor([0, 0, 0, 2]))
        XCTAssertEqual(Regularizer<Double>.none.optimalityViolation(at: x, gradient: g), abs(g))
    }
}
