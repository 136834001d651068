import XCTest
import L2OCore
import L2OOptimizees
import L2OOptimizers
@testable import L2ODecentralized

/// One generic driver (`minimize`) runs classic, batch-ADMM, handcrafted decentralized and learned
/// optimizers through the one `Optimizer` protocol on the same LASSO problem, each reaching its
/// known answer.
final class OneDriverTests: XCTestCase {
    /// LASSO(4, 8, 10, λ): 4 shards of 10 samples in dimension 8 (smoothness L ≈ (√N + √d)²/N ≈ 3.6).
    func problem(lambda: Double) throws -> LASSO<Double> {
        try LASSOFamily<Double>(nodes: 4, dimension: 8, samplesPerNode: 10, lambda: lambda, seed: 31)
            .instance(.test, index: 0).withReferenceOptimum(FISTA(tolerance: 1e-13))
    }

    func milodo(_ w: MixingMatrix<Double>, gamma: Double) throws -> MiLoDoOptimizer<Double> {
        var rng = RandomState(seed: 3)
        let model = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        model.specialInitialize(gamma0: gamma, mixing: w, outputStd: 0, rng: &rng)  // Exact Diffusion at step γ
        return MiLoDoOptimizer(model: model)
    }

    /// Runs `optimizer` through the driver and returns the distance of its solution to x⋆ (relative).
    func distance<O: Optimizer>(_ optimizer: O, _ p: LASSO<Double>, iterations: Int) throws -> Double where O.Scalar == Double {
        let result = try minimize(optimizer, on: p, iterations: iterations, recordEvery: 100)
        let star = try XCTUnwrap(p.referenceOptimum)
        XCTAssertEqual(result.objective.first?.iteration, 0)
        XCTAssertEqual(result.objective.last?.iteration, iterations)
        XCTAssertLessThan(result.objective.last!.value, result.objective.first!.value, optimizer.name)
        return result.solution.maxAbsDifference(star.x) / star.x.normInf()
    }

    /// Linear regression (λ = 0): SGD, Prox-ED and MiLoDo (at its special initialization, Exact
    /// Diffusion) converge to the least-squares solution x⋆; Adam too with a learning rate decayed
    /// to 0 (cosine schedule; at a constant rate its steps stay of the size of the rate). BADM's
    /// aggregation (7) divides each dual by `√m`, its running RMS, so near x⋆ its correction is a
    /// sign-like step of size `1/σ`: a full-batch run settles within `O(1/σ)` of x⋆ — about
    /// `0.33/σ · ‖x⋆‖∞` here, ten times closer for a ten times larger σ.
    func testOneDriverRunsEveryKindOfOptimizerToTheLeastSquaresSolution() throws {
        let p = try problem(lambda: 0)
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let iterations = 3000
        var results = [(String, Double)]()
        results.append(("sgd", try distance(try SGD<Double>(learningRate: 0.2), p, iterations: iterations)))
        results.append(("adam", try distance(try Adam<Double>(learningRate: 0.05, processing: GradientProcessing(schedule: .cosine(steps: iterations, floor: 0))), p, iterations: iterations)))
        let badm40 = try distance(try BADM<Double>(rho: 0, sigma: 40, subBatchCount: 1), p, iterations: iterations)
        let badm400 = try distance(try BADM<Double>(rho: 4, sigma: 400, subBatchCount: 1), p, iterations: iterations)
        XCTAssertLessThan(badm400, 2 / 400, "badm within O(1/σ)")
        XCTAssertLessThan(badm40, 2 / 40.0, "badm within O(1/σ)")
        XCTAssertEqual(badm40 / badm400, 10, accuracy: 3, "the distance scales as 1/σ")
        results.append(("prox-ed", try distance(ProxED<Double>(stepSize: 0.2).on(w), p, iterations: iterations)))
        results.append(("milodo", try distance(try milodo(w, gamma: 0.2).on(w), p, iterations: iterations)))
        for (name, d) in results { XCTAssertLessThan(d, name == "adam" ? 1e-4 : 1e-8, name) }
    }

    /// LASSO (λ = 0.1): the proximal methods reach the FISTA optimum through the same driver.
    func testProximalMethodsReachTheLassoOptimum() throws {
        let p = try problem(lambda: 0.1)
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        XCTAssertLessThan(try distance(try SGD<Double>(learningRate: 0.2), p, iterations: 3000), 1e-8, "proximal gradient")
        XCTAssertLessThan(try distance(ProxED<Double>(stepSize: 0.2).on(w), p, iterations: 3000), 1e-8, "prox-ed")
        XCTAssertLessThan(try distance(try milodo(w, gamma: 0.2).on(w), p, iterations: 3000), 1e-8, "milodo")
    }

    /// On a problem with r ≠ 0 a parameter optimizer needs a learning rate for the prox: a chain
    /// reports its learning-rate link's, and the proximal gradient method results.
    func testChainsTakeTheProxWithTheirLearningRate() throws {
        let p = try problem(lambda: 0.1)
        XCTAssertLessThan(try distance(Chain<Double>([try ScaleByLearningRate(0.2)]), p, iterations: 3000), 1e-8)
        XCTAssertThrowsError(try minimize(Chain<Double>([try ClipByGlobalNorm(1)]), on: p, iterations: 2)) {
            XCTAssertTrue("\($0)".contains("prox"), "\($0)")
        }
    }

    func testDecentralizedOptimizersCheckTheProblemAgainstTheirGraph() throws {
        let p = try problem(lambda: 0.1)
        let five = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        XCTAssertThrowsError(try ProxED<Double>(stepSize: 0.1).on(five).makeState(for: p)) { XCTAssertTrue("\($0)".contains("4 shards"), "\($0)") }
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        XCTAssertThrowsError(try ProxED<Double>(stepSize: 0.1).on(w).makeState(for: p, from: .ones([8])))
        var opt = ProxED<Double>(stepSize: 0.1).on(w)
        try opt.setHyperParameter("step_size", to: 0.05)
        XCTAssertEqual(opt.hyperParameters["step_size"], 0.05)
        XCTAssertThrowsError(try opt.setHyperParameter("step_size", to: -1))
        // The state is a value: a copy continues exactly like the original.
        var a = try opt.makeState(for: p)
        for _ in 0..<5 { try opt.step(&a, on: p) }
        var b = a
        try opt.step(&a, on: p)
        try opt.step(&b, on: p)
        XCTAssertEqual(opt.solution(a), opt.solution(b))
        XCTAssertThrowsError(try minimize(try SGD<Double>(), on: p, iterations: -1))
    }
}

final class MethodRegistryTests: XCTestCase {
    func testEveryRegisteredNameBuildsItsMethodWithTheStep() throws {
        for name in HandcraftedMethods.names {
            let m: any DecentralizedMethod<Double> = try HandcraftedMethods.make(name, stepSize: 0.04)
            XCTAssertEqual(m.name, name)
            XCTAssertEqual(m.stepSize, 0.04)
        }
        XCTAssertThrowsError(try HandcraftedMethods.make("prox-eddy", stepSize: 0.1) as any DecentralizedMethod<Double>) {
            XCTAssertEqual($0 as? DecentralizedMethodError, .unknownMethod(name: "prox-eddy", known: HandcraftedMethods.names))
        }
    }
}
