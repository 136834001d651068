import Foundation
import XCTest
import L2OCore
@testable import L2OOptimizees

/// Central-difference step for Double: `ε^{1/3}` balances truncation and rounding error.
let fdStep = Foundation.cbrt(Double.epsilon)
/// Tolerance for central differences in Double (truncation `O(h²)` plus rounding `O(ε/h)`).
let fdTolerance = 1e3 * Double.epsilon / fdStep

/// Small LASSO / logistic instances used across the tests (seeded, Double).
func smallLASSO(lambda: Double = 0.1, n: Int = 3, d: Int = 8, N: Int = 5, seed: UInt64 = 42) -> LASSO<Double> {
    try! LASSOFamily<Double>(nodes: n, dimension: d, samplesPerNode: N, lambda: lambda, seed: seed).instance(.train, index: 0)
}

func smallLogistic(lambda: Double = 0.1, n: Int = 3, d: Int = 8, N: Int = 6, seed: UInt64 = 43) -> LogisticRegression<Double> {
    try! LogisticFamily<Double>(nodes: n, dimension: d, samplesPerNode: N, lambda: lambda, seed: seed).instance(.train, index: 0)
}

/// `(f(x + h e_j) − f(x − h e_j)) / 2h` for every coordinate j.
func numericGradient(_ x: Tensor<Double>, _ f: (Tensor<Double>) -> Double) -> Tensor<Double> {
    var g = Tensor<Double>.zeros(x.shape)
    for j in 0..<x.count {
        var up = x, down = x
        up.scalars[j] += fdStep
        down.scalars[j] -= fdStep
        g.scalars[j] = (f(up) - f(down)) / (2 * fdStep)
    }
    return g
}

/// Directional central difference of a vector function.
func numericDirectional(_ x: Tensor<Double>, _ v: Tensor<Double>, _ f: (Tensor<Double>) -> Tensor<Double>) -> Tensor<Double> {
    (f(x + v * fdStep) - f(x - v * fdStep)) * (1 / (2 * fdStep))
}

/// `max|a − b| / max(1, max|b|)`.
func relativeError(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Double {
    a.maxAbsDifference(b) / max(1, b.normInf())
}

/// Solves the symmetric positive definite system `M x = y` by Cholesky (test-only reference).
func choleskySolve(_ M: Tensor<Double>, _ y: Tensor<Double>) -> Tensor<Double> {
    let n = y.count
    var L = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in 0...i {
            var s = M.scalars[i * n + j]
            for k in 0..<j { s -= L[i * n + k] * L[j * n + k] }
            L[i * n + j] = i == j ? s.squareRoot() : s / L[j * n + j]
        }
    }
    var z = [Double](repeating: 0, count: n)
    for i in 0..<n {
        var s = y.scalars[i]
        for k in 0..<i { s -= L[i * n + k] * z[k] }
        z[i] = s / L[i * n + i]
    }
    var x = [Double](repeating: 0, count: n)
    for i in stride(from: n - 1, through: 0, by: -1) {
        var s = z[i]
        for k in (i + 1)..<n { s -= L[k * n + i] * x[k] }
        x[i] = s / L[i * n + i]
    }
    return Tensor(x)
}

/// Row `i` of a node matrix as a vector.
func row(_ X: Tensor<Double>, _ i: Int) -> Tensor<Double> {
    X.rows(i..<(i + 1)).reshaped([X.shape[1]])
}

/// Checks `0 ∈ g + λ∂‖x*‖₁` coordinatewise for a gradient `g = ∇f(x*)` computed independently of
/// the optimizee's oracles, the certified KKT residual, and that no nearby point is lower (F is convex).
/// The solver certifies ‖violation‖₂ ≤ `opt.kktResidual` with the oracles' gradient, which differs
/// from `g` (other summation orders, CPU-dependent BLAS kernels) by at most `gradientError`, so each
/// coordinate's violation computed from `g` is within the sum of the two.
func assertKKT<P: Optimizee>(_ p: P, _ opt: ReferenceOptimum<Double>, gradient g: Tensor<Double>, lambda: Double,
                             gradientError: Double, file: StaticString = #filePath, line: UInt = #line) where P.Scalar == Double {
    let slack = opt.kktResidual + gradientError
    for j in 0..<p.dimension {
        let xj = opt.x.scalars[j], gj = g.scalars[j]
        if xj == 0 {
            XCTAssertLessThanOrEqual(abs(gj), lambda + slack, "coordinate \(j)", file: file, line: line)
        } else {
            XCTAssertEqual(gj, -lambda * (xj > 0 ? 1 : -1), accuracy: slack, "coordinate \(j)", file: file, line: line)
        }
    }
    XCTAssertLessThanOrEqual(opt.kktResidual, 1e-12, file: file, line: line)
    for k in 0..<50 {
        let y = opt.x + Tensor<Double>.normal([p.dimension], std: 1e-3, seed: UInt64(k))
        XCTAssertGreaterThanOrEqual(p.value(y), opt.value - 1e-14, file: file, line: line)
    }
    XCTAssertEqual(p.value(opt.x), opt.value, file: file, line: line)
}

/// KKT of a LASSO optimum with `∇f = Aᵀ(Ax − b)/(nN)` from the stacked matrix.
func assertLASSOKKT(_ p: LASSO<Double>, _ opt: ReferenceOptimum<Double>, file: StaticString = #filePath, line: UInt = #line) {
    let rows = p.nodes * p.samplesPerNode
    let A = p.A.reshaped([rows, p.dimension]), b = p.b.reshaped([rows])
    let r = Tensor.matvec(A, opt.x) - b
    let g = Tensor.matvec(A, r, transpose: true) * (1 / Double(rows))
    // Two evaluations of Aᵀ(Ax − b)/(nN) in different orders (per node and averaged, or stacked):
    // r to within (d + 1)·u·(|A||x| + |b|) each, then rows + n + 1 more terms (u = 2⁻⁵³).
    let u = Double.ulpOfOne / 2, d = Double(p.dimension)
    let rMagnitude = Tensor.matvec(abs(A), abs(opt.x)) + abs(b)
    let gradientError = 2 * ((d + 1) * u * Tensor.matvec(abs(A), rMagnitude, transpose: true).max()
        + Double(rows + p.nodes + 1) * u * Tensor.matvec(abs(A), abs(r), transpose: true).max()) / Double(rows)
    assertKKT(p, opt, gradient: g, lambda: p.lambda, gradientError: gradientError, file: file, line: line)
}

/// KKT of a logistic-regression optimum with `∇f = Aᵀ(σ(Ax) − b)/(nN)` from the stacked matrix.
func assertLogisticKKT(_ p: LogisticRegression<Double>, _ opt: ReferenceOptimum<Double>, file: StaticString = #filePath, line: UInt = #line) {
    let rows = p.nodes * p.samplesPerNode
    let A = p.A.reshaped([rows, p.dimension])
    let z = Tensor.matvec(A, opt.x)
    let r = Tensor(zip(z.scalars, p.b.scalars).map { 1 / (1 + Foundation.exp(-$0.0)) - $0.1 })
    // As for LASSO, with σ 1/4-Lipschitz: r to within (d + 1)·u·|A||x|/4 plus 4u (exp, +, ÷, −).
    let u = Double.ulpOfOne / 2, d = Double(p.dimension)
    let rError = Tensor.matvec(abs(A), abs(opt.x)) * ((d + 1) * u / 4) + 4 * u
    let gradientError = 2 * (Tensor.matvec(abs(A), rError, transpose: true).max()
        + Double(rows + p.nodes + 1) * u * Tensor.matvec(abs(A), abs(r), transpose: true).max()) / Double(rows)
    assertKKT(p, opt, gradient: Tensor.matvec(A, r, transpose: true) * (1 / Double(rows)), lambda: p.lambda,
              gradientError: gradientError, file: file, line: line)
}

/// `Data/<component>` at the package root (where `make data` puts fetched datasets).
func realDataDirectory(_ component: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data").appendingPathComponent(component).path
}
