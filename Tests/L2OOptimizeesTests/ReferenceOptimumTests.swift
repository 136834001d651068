import Foundation
import XCTest
import L2OCore
@testable import L2OOptimizees

/// The reference optimum, verified by optimality conditions and closed forms, not by trusting FISTA.
final class ReferenceOptimumTests: XCTestCase {
    func testLASSOOptimumSatisfiesKKT() throws {
        let p = try LASSOFamily<Double>(nodes: 4, dimension: 30, samplesPerNode: 5, lambda: 0.1, seed: 3).instance(.test, index: 0)
        let opt = try FISTA().solve(p)
        assertLASSOKKT(p, opt)
        XCTAssertGreaterThan(opt.x.scalars.filter { $0 == 0 }.count, 0, "ℓ₁ gives exact zeros")
        XCTAssertGreaterThan(opt.x.normInf(), 0)
    }

    func testProgressSeesEveryIterationAndTheFinalResidual() throws {
        final class Log: @unchecked Sendable { var items = [(Int, Double)]() }
        let p = try LASSOFamily<Double>(nodes: 4, dimension: 30, samplesPerNode: 5, lambda: 0.1, seed: 3).instance(.test, index: 0)
        let log = Log()
        var solver = FISTA()
        solver.progress = { k, r in log.items.append((k, r)) }
        let opt = try solver.solve(p)
        XCTAssertEqual(log.items.map(\.0), Array(1...opt.iterations))
        XCTAssertEqual(log.items.last?.1, opt.kktResidual)
        XCTAssertGreaterThan(log.items.first!.1, solver.tolerance)
    }

    func testLinearRegressionOptimumIsTheNormalEquationsSolution() throws {
        let p = try LASSOFamily<Double>.linearRegression(nodes: 2, dimension: 6, samplesPerNode: 10, seed: 5).instance(.train, index: 0)
        XCTAssertEqual(p.regularizer, .none)
        let opt = try FISTA().solve(p)
        let A = p.A.reshaped([20, 6])
        let normal = choleskySolve(Tensor.matmul(A, A, transposeA: true), Tensor.matvec(A, p.b.reshaped([20]), transpose: true))
        XCTAssertLessThan(relativeError(opt.x, normal), 1e-10)
        XCTAssertLessThanOrEqual(opt.kktResidual, 1e-12)
    }

    func testHugeLambdaGivesZero() throws {
        let p = try LASSOFamily<Double>(nodes: 3, dimension: 10, samplesPerNode: 4, lambda: 1e3, seed: 6).instance(.train, index: 0)
        let opt = try FISTA().solve(p)
        XCTAssertEqual(opt.x, .zeros([10]))
        XCTAssertEqual(opt.value, p.b.squaredNorm() / Double(2 * 3 * 4), accuracy: 1e2 * Double.epsilon * opt.value)
        XCTAssertEqual(opt.iterations, 0, "x = 0 is optimal from the start")
    }

    func testLogisticOptimumSatisfiesKKT() throws {
        let p = try LogisticFamily<Double>(nodes: 3, dimension: 12, samplesPerNode: 10, lambda: 0.05, seed: 9).instance(.validation, index: 2)
        let opt = try FISTA().solve(p)
        XCTAssertLessThanOrEqual(opt.kktResidual, 1e-12)
        XCTAssertLessThanOrEqual(p.kktResidual(at: opt.x), 1e-12)
        for k in 0..<50 {
            let y = opt.x + Tensor<Double>.normal([12], std: 1e-3, seed: UInt64(k))
            XCTAssertGreaterThanOrEqual(p.value(y), opt.value - 1e-14)
        }
    }

    func testFloatInstanceGetsTheOptimumOfItsOwnData() throws {
        let family = try LASSOFamily<Float>(nodes: 2, dimension: 8, samplesPerNode: 6, lambda: 0.1, seed: 11)
        let p = try family.instance(.train, index: 0).withReferenceOptimum()
        let opt = try XCTUnwrap(p.referenceOptimum)
        XCTAssertLessThanOrEqual(opt.kktResidual, 1e-12)
        // F(x*) evaluated in Float agrees with the Double F* to Float precision.
        XCTAssertEqual(Double(p.value(opt.x)), opt.value, accuracy: 1e2 * Double(Float.epsilon) * max(1, opt.value))
        XCTAssertEqual(p.optimalityGap(opt.x)!, 0, accuracy: 1e2 * Double(Float.epsilon) * max(1, opt.value))
    }

    func testFloatAndDoubleOraclesAgree() throws {
        let pd = try LASSOFamily<Double>(nodes: 3, dimension: 16, samplesPerNode: 5, lambda: 0.1, seed: 12).instance(.train, index: 0)
        let pf = try LASSOFamily<Float>(nodes: 3, dimension: 16, samplesPerNode: 5, lambda: 0.1, seed: 12).instance(.train, index: 0)
        XCTAssertEqual(pf.A, pd.A.cast(to: Float.self), "Float data = rounded Double data")
        let X = Tensor<Double>.normal([3, 16], seed: 1)
        let tol = 1e2 * Double(Float.epsilon)
        XCTAssertLessThan(relativeError(pf.gradients(at: X.cast()).cast(), pd.gradients(at: X)), tol)
        XCTAssertLessThan(relativeError(pf.hessianVectorProducts(at: X.cast(), directions: X.cast()).cast(),
                                        pd.hessianVectorProducts(at: X, directions: X)), tol)
        let x = row(X, 0)
        XCTAssertEqual(Double(pf.value(x.cast())), pd.value(x), accuracy: tol * pd.value(x))
        let ld = try LogisticFamily<Double>(nodes: 2, dimension: 10, samplesPerNode: 7, lambda: 0.1, seed: 13).instance(.train, index: 0)
        let lf = try LogisticFamily<Float>(nodes: 2, dimension: 10, samplesPerNode: 7, lambda: 0.1, seed: 13).instance(.train, index: 0)
        XCTAssertLessThan(relativeError(lf.gradient(shard: 1, at: Tensor(Array(x.scalars[0..<10])).cast()).cast(), ld.gradient(shard: 1, at: Tensor(Array(x.scalars[0..<10])))), tol)
    }

    func testUnderdeterminedFloatRoundedLASSOReachesTheTolerance() throws {
        // nN < d with float32-rounded data and λ: the case where a function-value line search stalls.
        let p = try LASSOFamily<Float>(nodes: 2, dimension: 60, samplesPerNode: 5, lambda: 0.1, seed: 14).instance(.train, index: 1)
        let opt = try XCTUnwrap(try p.withReferenceOptimum().referenceOptimum)
        XCTAssertLessThanOrEqual(opt.kktResidual, 1e-12)
        // x* stored in Float is the Double optimum rounded: its residual is bounded by L·‖δx‖ ≤ L·ε_F·‖x*‖.
        let pd = p.cast(to: Double.self)
        let L = FISTA.smoothnessEstimate(pd, at: .zeros([60]), iterations: 100)
        XCTAssertLessThanOrEqual(pd.kktResidual(at: opt.x.cast()), 2 * L * Double(Float.epsilon) * Double(opt.x.norm()))
    }

    func testLogisticZeroIsOptimalExactlyWhenLambdaDominatesTheGradientAtZero() throws {
        // ∇f(0) = Aᵀ(½ − b)/(nN): x = 0 is optimal iff λ ≥ ‖∇f(0)‖∞.
        let p = try LogisticFamily<Double>(nodes: 2, dimension: 10, samplesPerNode: 8, lambda: 0, seed: 15).instance(.train, index: 0)
        let A = p.A.reshaped([16, 10])
        let g0 = Tensor.matvec(A, p.b.reshaped([16]).map { 0.5 - $0 }, transpose: true) * (1.0 / 16)
        XCTAssertLessThan(relativeError(p.smoothGradient(at: .zeros([10])), g0), 1e2 * Double.epsilon)
        let threshold = g0.normInf()
        let above = try LogisticRegression(A: p.A, b: p.b, lambda: threshold * 1.001)
        let optAbove = try FISTA().solve(above)
        XCTAssertEqual(optAbove.x, .zeros([10]))
        XCTAssertEqual(optAbove.value, Foundation.log(2.0), accuracy: 1e1 * Double.epsilon)
        let below = try LogisticRegression(A: p.A, b: p.b, lambda: threshold * 0.9)
        XCTAssertGreaterThan(try FISTA().solve(below).x.normInf(), 0)
    }
}
