import XCTest
import L2OCore
import L2ONN
@testable import L2OSheaf

final class EqualityQPTests: XCTestCase {
    func testBatchedSolveValuesGradientsAndSingularSystems() throws {
        let n = 4, m = 3
        // Diagonally dominant systems (well conditioned): residuals at rounding level.
        var M = Tensor<Double>.normal([n, m, m], seed: 1)
        M.withUnsafeMutableBufferPointer { p in for k in 0..<n { for i in 0..<m { p[(k * m + i) * m + i] += 4 } } }
        let r = Tensor<Double>.normal([n, m], seed: 2)
        let x = try batchedSolve(Variable(constant: M), Variable(constant: r)).value
        for k in 0..<n {
            for i in 0..<m {
                var s = 0.0
                for j in 0..<m { s += M[k, i, j] * x[k, j] }
                XCTAssertEqual(s, r[k, i], accuracy: 64 * Double.ulpOfOne * 10)
            }
        }
        let check = gradientCheck([M, r]) { v in try! batchedSolve(v[0], v[1]) }
        XCTAssertTrue(check.passed, "\(check)")
        let singular = Tensor<Double>(shape: [1, 2, 2], scalars: [1, 2, 2, 4])
        XCTAssertThrowsError(try batchedSolve(Variable(constant: singular), Variable(constant: Tensor(shape: [1, 2], scalars: [1, 1])))) { e in
            XCTAssertTrue("\(e)".contains("singular"), "\(e)")
        }
    }

    func constraints(B: Int, A: Int, c: Int, dv: Int) -> EqualityConstraints<Double> {
        EqualityConstraints(matrix: Variable(constant: Tensor.normal([B, A, c, dv], seed: 5)), rhs: Variable(constant: Tensor.normal([B, A, c], seed: 6)))
    }

    /// The prox satisfies the constraints, and its stationarity residual `a∘x − (ρv − q)` lies in
    /// the row space of C (the KKT conditions).
    func testProxSolvesTheKKTSystem() throws {
        let B = 2, A = 3, c = 2, dv = 4
        let eq = constraints(B: B, A: A, c: c, dv: dv)
        let D = Tensor<Double>.uniform([B, A, dv], seed: 7) + 0.5, q = Tensor<Double>.normal([B, A, dv], seed: 8)
        let v = Tensor<Double>.normal([B, A, dv], seed: 9), rho = 1.3
        let x = try eq.prox(Variable(constant: v), curvature: Variable(constant: D), linear: Variable(constant: q),
                            rho: Variable(constant: Tensor(rho))).value
        for b in 0..<B {
            for a in 0..<A {
                let C = eq.matrix.value.rows(b..<(b + 1)).reshaped([A, c, dv]).rows(a..<(a + 1)).reshaped([c, dv])
                let xa = Tensor<Double>(shape: [dv, 1], scalars: (0..<dv).map { x[b, a, $0] })
                let Cx = matmul(C, xa).reshaped([c])
                for i in 0..<c { XCTAssertEqual(Cx[i], eq.rhs.value[b, a, i], accuracy: 1e-12) }
                let g = Tensor<Double>(shape: [dv, 1], scalars: (0..<dv).map { (D[b, a, $0] + rho) * x[b, a, $0] - (rho * v[b, a, $0] - q[b, a, $0]) })
                // Project g onto the row space of C and check nothing is left.
                let CCt = matmul(C, C, transposeB: true)
                let coef = try batchedSolve(Variable(constant: CCt.reshaped([1, c, c])), Variable(constant: matmul(C, g).reshaped([1, c]))).value
                let residual = g - matmul(C, coef.reshaped([c, 1]), transposeA: true)
                XCTAssertLessThan(residual.normInf(), 1e-11 * max(1, g.normInf()))
            }
        }
    }

    /// Sheaf-ADMM with equality-constrained local problems: the iterates satisfy each agent's
    /// constraints, the agents reach consensus, and gradients through the KKT solves match finite
    /// differences.
    func testTheLayerWithEqualityConstraints() throws {
        let g = try smallGraph()
        let B = 1, A = g.agentCount, dv = 3
        var config = SheafADMMConfig(vertexStalk: dv, edgeStalk: 2)
        config.consensus = .soft
        config.innerSteps = 15
        var rng = RandomState(seed: 3)
        let layer = try SheafADMMLayer<Double>(config: config, slotCount: g.slotCount, rng: &rng)
        let eq = constraints(B: B, A: A, c: 1, dv: dv)
        let obj = LocalObjective(curvature: Variable(constant: Tensor<Double>.uniform([B, A, dv], seed: 11) + 0.5),
                                 linear: Variable(constant: Tensor<Double>.normal([B, A, dv], seed: 12)), equality: eq)
        let out = try layer(obj, initial: Variable(constant: .zeros([B, A, dv])), graph: g, iterations: 150)
        let x = out.iterates.last!.value
        for a in 0..<A {
            var s = 0.0
            for j in 0..<dv { s += eq.matrix.value[0, a, 0, j] * x[0, a, j] }
            XCTAssertEqual(s, eq.rhs.value[0, a, 0], accuracy: 1e-10)
        }
        XCTAssertLessThan(out.diagnostics.primal.last!.max(), 1e-8, "x and z agree at the fixed point")
        var withBox = obj
        withBox.upper = 1
        XCTAssertThrowsError(try layer(withBox, initial: Variable(constant: .zeros([B, A, dv])), graph: g, iterations: 1))
        let check = gradientCheck([obj.curvature.value, obj.linear.value, eq.matrix.value, eq.rhs.value]) { v in
            let o = LocalObjective(curvature: v[0], linear: v[1], equality: EqualityConstraints(matrix: v[2], rhs: v[3]))
            return try! layer(o, initial: v[1] * 0, graph: g, iterations: 3).iterates[2]
        }
        XCTAssertTrue(check.passed, "\(check)")
    }
}
