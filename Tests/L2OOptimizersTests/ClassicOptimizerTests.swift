import Foundation
import L2OCore
import L2ONN
import XCTest
@testable import L2OOptimizers

/// Each optimizer against iterates written out by hand for p⁰ = (1, −2) and the gradients
/// g¹ = (0.5, −1), g² = (0.25, 2), g³ = (−1, 0.5), in Double.
final class ClassicOptimizerTests: XCTestCase {
    let p0 = [1.0, -2.0]
    let g = [[0.5, -1.0], [0.25, 2.0], [-1.0, 0.5]]
    let tol = tolerance(Double.self)

    func run<O: ParameterOptimizer>(_ o: O, steps: Int) throws -> [[Double]] {
        try iterates(o, start: [p0], gradients: g.prefix(steps).map { [$0] }).map { $0[0] }
    }

    func testSGD() throws {
        let p = try run(SGD<Double>(learningRate: 0.1), steps: 3)
        assertClose(p[0], [0.95, -1.9], tol: tol)
        assertClose(p[1], [0.925, -2.1], tol: tol)
        assertClose(p[2], [1.025, -2.15], tol: tol)
    }

    func testMomentum() throws {
        // b¹ = g¹; b² = 0.9·(0.5, −1) + (0.25, 2) = (0.7, 1.1); b³ = 0.9·(0.7, 1.1) + (−1, 0.5) = (−0.37, 1.49)
        let p = try run(Momentum<Double>(learningRate: 0.1, momentum: 0.9), steps: 3)
        assertClose(p[0], [0.95, -1.9], tol: tol)
        assertClose(p[1], [0.88, -2.01], tol: tol)
        assertClose(p[2], [0.917, -2.159], tol: tol)
    }

    func testNesterov() throws {
        // d¹ = g¹ + 0.9·b¹ = (0.95, −1.9); d² = (0.25, 2) + 0.9·(0.7, 1.1) = (0.88, 2.99)
        // d³ = (−1, 0.5) + 0.9·(−0.37, 1.49) = (−1.333, 1.841)
        let p = try run(Nesterov<Double>(learningRate: 0.1, momentum: 0.9), steps: 3)
        assertClose(p[0], [0.905, -1.81], tol: tol)
        assertClose(p[1], [0.817, -2.109], tol: tol)
        assertClose(p[2], [0.9503, -2.2931], tol: tol)
    }

    func testAdam() throws {
        let eps = 1e-8
        let p = try run(Adam<Double>(learningRate: 0.1), steps: 2)
        // t = 1: m̂ = g, v̂ = g², so p¹ = p⁰ − 0.1·g/(|g| + ε).
        let p1 = [1 - 0.1 * 0.5 / (0.5 + eps), -2 + 0.1 * 1 / (1 + eps)]
        assertClose(p[0], p1, tol: tol)
        // t = 2: m² = 0.9·0.1·g¹ + 0.1·g² = (0.07, 0.11); v² = 0.999·0.001·(g¹)² + 0.001·(g²)² = (0.00031225, 0.004999);
        // 1 − β₁² = 0.19, 1 − β₂² = 0.001999.
        let m2 = [0.07, 0.11], v2 = [0.00031225, 0.004999]
        let p2 = (0..<2).map { i in p1[i] - 0.1 * (m2[i] / 0.19) / ((v2[i] / 0.001999).squareRoot() + eps) }
        assertClose(p[1], p2, tol: tol)
    }

    func testAdamWDecaysDecoupled() throws {
        let eps = 1e-8
        let adamw = try AdamW.make(Double.self, learningRate: 0.1, weightDecay: 0.1)
        XCTAssertEqual(adamw.name, "adamw")
        XCTAssertEqual(adamw.hyperParameters["weight_decay"], 0.1)
        let p = try run(adamw, steps: 2)
        // p¹ = p⁰ − lr·λ·p⁰ − 0.1·g/(|g| + ε), with lr·λ = 0.01.
        let p1 = [0.99 * 1 - 0.1 * 0.5 / (0.5 + eps), 0.99 * -2 + 0.1 * 1 / (1 + eps)]
        assertClose(p[0], p1, tol: tol)
        let m2 = [0.07, 0.11], v2 = [0.00031225, 0.004999]
        let p2 = (0..<2).map { i in 0.99 * p1[i] - 0.1 * (m2[i] / 0.19) / ((v2[i] / 0.001999).squareRoot() + eps) }
        assertClose(p[1], p2, tol: tol)
    }

    func testRMSProp() throws {
        let eps = 1e-8
        let p = try run(RMSProp<Double>(learningRate: 0.01), steps: 2)
        // v¹ = 0.01·(g¹)² = (0.0025, 0.01); v² = 0.99·v¹ + 0.01·(g²)² = (0.0031, 0.0499)
        let p1 = [1 - 0.01 * 0.5 / (0.0025.squareRoot() + eps), -2 + 0.01 * 1 / (0.01.squareRoot() + eps)]
        assertClose(p[0], p1, tol: tol)
        let p2 = [p1[0] - 0.01 * 0.25 / (0.0031.squareRoot() + eps), p1[1] - 0.01 * 2 / (0.0499.squareRoot() + eps)]
        assertClose(p[1], p2, tol: tol)
    }

    func testAdaGradWithDecayAndInitialAccumulator() throws {
        let eps = 1e-10
        let p = try run(AdaGrad<Double>(learningRate: 0.1, learningRateDecay: 0.5, initialAccumulatorValue: 0.1), steps: 2)
        // s¹ = 0.1 + (g¹)² = (0.35, 1.1); clr¹ = 0.1
        let p1 = [1 - 0.1 * 0.5 / (0.35.squareRoot() + eps), -2 + 0.1 * 1 / (1.1.squareRoot() + eps)]
        assertClose(p[0], p1, tol: tol)
        // s² = s¹ + (g²)² = (0.4125, 5.1); clr² = 0.1/(1 + 1·0.5)
        let clr2 = 0.1 / 1.5
        let p2 = [p1[0] - clr2 * 0.25 / (0.4125.squareRoot() + eps), p1[1] - clr2 * 2 / (5.1.squareRoot() + eps)]
        assertClose(p[1], p2, tol: tol)
    }

    func testAdaGradDefaults() throws {
        let p = try run(AdaGrad<Double>(learningRate: 0.1), steps: 1)
        assertClose(p[0], [1 - 0.1 * 0.5 / (0.5 + 1e-10), -2 + 0.1 / (1 + 1e-10)], tol: tol)
    }

    func testNAdam() throws {
        let eps = 1e-8, lr = 0.1
        let mu = { (t: Double) in 0.9 * (1 - 0.5 * pow(0.96, t * 0.004)) }
        let p = try run(NAdam<Double>(learningRate: lr), steps: 2)
        // t = 1: Π¹ = μ₁, m¹ = 0.1·g¹, d = √(v¹/0.001) + ε = |g¹| + ε
        let d1 = [0.5 + eps, 1 + eps], m1 = [0.05, -0.1]
        let p1 = (0..<2).map { i in
            p0[i] - lr * (1 - mu(1)) / (1 - mu(1)) * g[0][i] / d1[i] - lr * mu(2) / (1 - mu(1) * mu(2)) * m1[i] / d1[i]
        }
        assertClose(p[0], p1, tol: tol)
        // t = 2: Π² = μ₁μ₂, m² = (0.07, 0.11), v² = (0.00031225, 0.004999)
        let m2 = [0.07, 0.11], v2 = [0.00031225, 0.004999], pi2 = mu(1) * mu(2)
        let p2 = (0..<2).map { i -> Double in
            let d = (v2[i] / 0.001999).squareRoot() + eps
            return p1[i] - lr * (1 - mu(2)) / (1 - pi2) * g[1][i] / d - lr * mu(3) / (1 - pi2 * mu(3)) * m2[i] / d
        }
        assertClose(p[1], p2, tol: tol)
    }

    func testDefaultsArePyTorchs() throws {
        XCTAssertEqual(try SGD<Double>().hyperParameters["lr"], 1e-3)
        let adam = try Adam<Double>().hyperParameters
        XCTAssertEqual(adam["lr"], 1e-3); XCTAssertEqual(adam["beta1"], 0.9); XCTAssertEqual(adam["beta2"], 0.999); XCTAssertEqual(adam["eps"], 1e-8)
        XCTAssertEqual(try AdamW.make(Double.self).hyperParameters["weight_decay"], 1e-2)
        let rms = try RMSProp<Double>().hyperParameters
        XCTAssertEqual(rms["lr"], 1e-2); XCTAssertEqual(rms["alpha"], 0.99); XCTAssertEqual(rms["eps"], 1e-8)
        let ada = try AdaGrad<Double>().hyperParameters
        XCTAssertEqual(ada["lr"], 1e-2); XCTAssertEqual(ada["eps"], 1e-10); XCTAssertEqual(ada["initial_accumulator_value"], 0)
        let nadam = try NAdam<Double>().hyperParameters
        XCTAssertEqual(nadam["lr"], 2e-3); XCTAssertEqual(nadam["momentum_decay"], 4e-3)
    }

    /// Float runs the same rule; it agrees with Double to within the Float error bound below.
    func testFloatAgreesWithDouble() throws {
        let d = try run(Adam<Double>(learningRate: 0.1), steps: 3)
        let f = try iterates(Adam<Float>(learningRate: 0.1), start: [p0], gradients: g.map { [$0] }).map { $0[0] }
        // Error bound (u = 2⁻²⁴; p⁰ and the gradients are exact in Float). β₂ = 0.999 rounded to
        // Float moves 1 − β₂, hence v, by up to u·β₂/(1 − β₂) relatively (half of it after √), β₁
        // moves m by u·β₁/(1 − β₁); about ten more roundings per element (moments, √, divisions,
        // the corrections, rounded from Double) add 16u. So each step Δ = p_t − p_{t−1} carries a
        // relative error κ, and p_k one of Σ_{t≤k} |Δ_t|·κ plus a rounding u·|p_t| per step.
        let u = Double(Float.ulpOfOne) / 2, beta1 = 0.9, beta2 = 0.999
        let kappa = (beta2 / (1 - beta2) / 2 + beta1 / (1 - beta1) + 16) * u
        for k in 0..<3 {
            for i in 0..<2 {
                let path = [p0[i]] + d[0...k].map { $0[i] }
                let moved = zip(path.dropFirst(), path).map { abs($0 - $1) }.reduce(0, +)
                let bound = moved * kappa + u * path.dropFirst().map { abs($0) }.reduce(0, +)
                XCTAssertLessThanOrEqual(abs(f[k][i] - d[k][i]), bound, "step \(k + 1), element \(i)")
            }
        }
    }

    func testParameterWithoutGradientIsLeftAlone() throws {
        let params = makeParameters([("a", [1.0]), ("b", [2.0])], Double.self)
        let opt = try Adam<Double>(learningRate: 0.1)
        var state = opt.makeState(for: params)
        params[0].parameter.grad = Tensor([1.0])
        try opt.step(&state, parameters: params)
        XCTAssertEqual(params[1].parameter.value.scalars, [2.0])
        XCTAssertEqual(state.slots["exp_avg"]!["b"]!.scalars, [0])
        XCTAssertEqual(state.step, 1)
    }
}
