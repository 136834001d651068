import XCTest
@testable import L2OCore

final class LeastSquaresKernelTests: XCTestCase {
    /// Reference: g_i = s·A_iᵀ(A_i x_i − b_i) with plain matrix products.
    func reference(_ a: Tensor<Double>, _ x: Tensor<Double>, _ b: Tensor<Double>, _ s: Double) -> Tensor<Double> {
        let n = a.shape[0], N = a.shape[1], d = a.shape[2]
        var rows = [Tensor<Double>]()
        for i in 0..<n {
            let ai = a.rows(i..<(i + 1)).reshaped([N, d])
            let r = Tensor.matvec(ai, x.rows(i..<(i + 1)).reshaped([d])) - b.rows(i..<(i + 1)).reshaped([N])
            rows.append(Tensor.matvec(ai, r, transpose: true) * s)
        }
        return Tensor.stack(rows)
    }

    /// Error bound for comparing two evaluations of s·A_iᵀ(A_i x_i − b_i) that sum in different
    /// orders (the kernels vs OpenBLAS gemv, whose kernels depend on the CPU), with unit roundoff
    /// `u`: r = A_i x_i − b_i is within (d + 3)·u·(|A_i||x_i| + |b_i|) on each path (the 2 covers
    /// inputs rounded to Float), and Aᵀr adds (N + 2)·u·|A_i|ᵀ|r| to |A_i|ᵀ·that.
    func bound(_ a: Tensor<Double>, _ x: Tensor<Double>, _ b: Tensor<Double>, _ s: Double, u: Double) -> Double {
        let n = a.shape[0], N = a.shape[1], d = a.shape[2]
        var worst = 0.0
        for i in 0..<n {
            let ai = abs(a.rows(i..<(i + 1)).reshaped([N, d])), xi = x.rows(i..<(i + 1)).reshaped([d]), bi = b.rows(i..<(i + 1)).reshaped([N])
            let r = Tensor.matvec(ai, abs(xi)) + abs(bi)  // ≥ |r| and the scale of r's error
            let gi = Tensor.matvec(ai, r * (Double(d + 3) * u), transpose: true) + Tensor.matvec(ai, r, transpose: true) * (Double(N + 2) * u)
            worst = Swift.max(worst, 2 * s * gi.max())
        }
        return worst
    }

    func testBothImplementationsMatchReference() {
        for (n, N, d) in [(3, 13, 37), (2, 4, 8), (1, 5, 3), (4, 16, 100), (2, 9, 17)] {
            let a = Tensor<Double>.normal([n, N, d], seed: 1), x = Tensor<Double>.normal([n, d], seed: 2)
            let b = Tensor<Double>.normal([n, N], seed: 3)
            let ref = reference(a, x, b, 1 / Double(N))
            for impl in LeastSquares.Implementation.allCases {
                let g = LeastSquares.gradient(a: a, x: x, b: b, scale: 1 / Double(N), implementation: impl)
                XCTAssertLessThan(g.maxAbsDifference(ref), bound(a, x, b, 1 / Double(N), u: Double.ulpOfOne / 2), "\(impl) n=\(n) N=\(N) d=\(d)")
                let gf = LeastSquares.gradient(a: a.cast(to: Float.self), x: x.cast(to: Float.self), b: b.cast(to: Float.self),
                                               scale: 1 / Float(N), implementation: impl)
                XCTAssertLessThan(Double(gf.cast(to: Double.self).maxAbsDifference(ref)), bound(a, x, b, 1 / Double(N), u: Double(Float.ulpOfOne) / 2),
                                  "Float \(impl)")
            }
        }
    }
}
