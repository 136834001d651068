import XCTest
@testable import L2OCore

/// Shapes large enough to take the multi-core paths (gemm row/column/inner splits, batched
/// chunks, parallel matvec, LSTM row chunks), checked against serial references.
final class ParallelPathTests: XCTestCase {
    func naive(_ a: Tensor<Double>, _ b: Tensor<Double>, _ ta: Bool, _ tb: Bool) -> Tensor<Double> {
        let A = ta ? a.transposed() : a, B = tb ? b.transposed() : b
        let m = A.shape[0], k = A.shape[1], n = B.shape[1]
        var c = Tensor<Double>.zeros([m, n])
        for i in 0..<m { for p in 0..<k { let v = A.scalars[i * k + p]; for j in 0..<n { c.scalars[i * n + j] += v * B.scalars[p * n + j] } } }
        return c
    }

    /// Error bound for comparing two evaluations of `op(a)·op(b)` that sum the k terms of each
    /// entry in different orders (OpenBLAS gemm/gemv, whose kernels depend on the CPU, split over
    /// a number of cores that depends on the machine, vs the naive loop): each is within
    /// γ_k·Σ_p|a_ip b_pj| ≈ k·u·Σ_p|a_ip b_pj| of the exact value (u = 2⁻⁵³), so they differ by at
    /// most 2·k·u·max_ij Σ_p|a_ip b_pj| (the magnitudes from the naive product of |a| and |b|).
    func productBound(_ a: Tensor<Double>, _ b: Tensor<Double>, _ ta: Bool, _ tb: Bool) -> Double {
        let k = ta ? a.shape[0] : a.shape[1]
        return 2 * Double(k) * (Double.ulpOfOne / 2) * naive(abs(a), abs(b), ta, tb).max()
    }

    func testEveryGemmSplitAndTransposeMatchesNaive() {
        // (m, n, k): row split, inner split, column split.
        for (m, n, k) in [(256, 64, 128), (8, 8, 32768), (2, 1024, 1024)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = Tensor<Double>.uniform(ta ? [k, m] : [m, k], low: -1, high: 1, seed: 1)
                    let b = Tensor<Double>.uniform(tb ? [n, k] : [k, n], low: -1, high: 1, seed: 2)
                    let c = matmul(a, b, transposeA: ta, transposeB: tb)
                    XCTAssertLessThan(c.maxAbsDifference(naive(a, b, ta, tb)), productBound(a, b, ta, tb), "m=\(m) n=\(n) k=\(k) ta=\(ta) tb=\(tb)")
                }
            }
        }
    }

    func testBatchedAndMatvecParallelPaths() {
        let a = Tensor<Double>.uniform([256, 16, 16], low: -1, high: 1, seed: 3)
        let b = Tensor<Double>.uniform([256, 16, 16], low: -1, high: 1, seed: 4)
        let c = matmul(a, b)
        for i in [0, 100, 255] {
            let ai = a.rows(i..<(i + 1)).reshaped([16, 16]), bi = b.rows(i..<(i + 1)).reshaped([16, 16])
            XCTAssertLessThan(c.rows(i..<(i + 1)).reshaped([16, 16]).maxAbsDifference(naive(ai, bi, false, false)), productBound(ai, bi, false, false))
        }
        let m = Tensor<Double>.uniform([8192, 64], low: -1, high: 1, seed: 5)
        let x = Tensor<Double>.uniform([64], low: -1, high: 1, seed: 6), y = Tensor<Double>.uniform([8192], low: -1, high: 1, seed: 7)
        XCTAssertLessThan(Tensor.matvec(m, x).maxAbsDifference(naive(m, x.reshaped([64, 1]), false, false).reshaped([8192])),
                          productBound(m, x.reshaped([64, 1]), false, false))
        XCTAssertLessThan(Tensor.matvec(m, y, transpose: true).maxAbsDifference(naive(m, y.reshaped([8192, 1]), true, false).reshaped([64])),
                          productBound(m, y.reshaped([8192, 1]), true, false))
    }

    func testLSTMParallelRowsEqualSerialChunks() {
        let rows = 9000, H = 5, nin = 2
        let x = Tensor<Double>.normal([rows, nin], seed: 8), h = Tensor<Double>.normal([rows, H], seed: 9)
        let c = Tensor<Double>.normal([rows, H], seed: 10)
        let w = Tensor<Double>.normal([nin, 4 * H], std: 0.3, seed: 11), u = Tensor<Double>.normal([H, 4 * H], std: 0.3, seed: 12)
        let b = Tensor<Double>.normal([4 * H], std: 0.3, seed: 13)
        func run(_ r: Range<Int>) -> (h: Tensor<Double>, c: Tensor<Double>, grads: [Tensor<Double>]) {
            let tape = Tape<Double>()
            let vs = [x.rows(r), h.rows(r), c.rows(r), w, u, b].map { tape.variable($0) }
            let out = lstmCell(x: vs[0], h: vs[1], c: vs[2], w: vs[3], u: vs[4], b: vs[5])
            tape.backward((out.h * 1.5 + out.c * out.c).sum())
            return (out.h.value, out.c.value, vs.map { tape.gradient(of: $0) })
        }
        let full = run(0..<rows)
        // Error bound. The full run and the chunks evaluate the same code on different row counts,
        // so OpenBLAS may take other kernels or edge paths (another summation order) for the same
        // row: the results need not be equal. Forward: a gate pre-activation z = x·W + h·U + b
        // (K = nin + H products and b) is within γ_{K+1}·S of the exact value, S = max(|x||W| +
        // |h||U| + |b|), so the runs differ by δz ≤ 2(K + 1)·u·S (u = 2⁻⁵³). σ and tanh are 1/4- and
        // 1-Lipschitz, so c' = f c + i g differs by δc ≤ δz(max|c|/4 + 5/4) + 4u(max|c| + 1) and
        // h' = o tanh(c') by δz/4 + δc + 2u. Backward of Σ 1.5h' + c'²: ∂/∂c' ≤ 2|c'| + 1.5, so every
        // gate gradient is at most D = (2 max|c'| + 1.5)·max(1, max|c|/4), and (its derivatives in z
        // and c' being at most 8D) differs by at most 8D(δz + δc) between the runs. The row
        // gradients δ·[W; U]ᵀ (4H terms; ∂/∂c = ∂/∂c'·f is a single product) then differ by
        // (2(4H + 1)·u·D + 8D(δz + δc))·R, R = max(1, largest row sum of |[W; U]|).
        let uRound = Double.ulpOfOne / 2, K = Double(nin + H)
        let maxC = c.normInf(), maxCNew = full.c.normInf()
        let S = (matmul(abs(x), abs(w)) + matmul(abs(h), abs(u)) + abs(b)).max()
        let dz = 2 * (K + 1) * uRound * S
        let dc = dz * (maxC / 4 + 1.25) + 4 * uRound * (maxC + 1)
        let dh = dz / 4 + dc + 2 * uRound
        let D = (2 * maxCNew + 1.5) * Swift.max(1, maxC / 4)
        let R = Swift.max(1, Tensor.concat([abs(w), abs(u)], axis: 0).sum(axis: 1).max())
        let dGrad = (2 * Double(4 * H + 1) * uRound * D + 8 * D * (dz + dc)) * R
        var weightGrads = [Tensor<Double>.zeros(w.shape), Tensor<Double>.zeros(u.shape), Tensor<Double>.zeros(b.shape)]
        for start in stride(from: 0, to: rows, by: 1500) {
            let r = start..<min(rows, start + 1500)
            let part = run(r)
            XCTAssertLessThan(full.h.rows(r).maxAbsDifference(part.h), dh)
            XCTAssertLessThan(full.c.rows(r).maxAbsDifference(part.c), dc)
            for k in 0..<3 { XCTAssertLessThan(full.grads[k].rows(r).maxAbsDifference(part.grads[k]), dGrad) }
            for k in 0..<3 { weightGrads[k] += part.grads[3 + k] }
        }
        // Weight gradients: sums over 9,000 rows in two orders, 2·9,006·u·Σ|x||δ| ≤ 2·9,006·u·9,000·
        // max|x|·D (≈ 1e-6) plus the carried differences, below this tolerance (≈ 3.7e-6).
        for k in 0..<3 { XCTAssertLessThan(full.grads[3 + k].maxAbsDifference(weightGrads[k]), 1e-9 * Swift.max(1, weightGrads[k].normInf())) }
    }

    func testSoftThresholdWithLargerThresholdBroadcastsBack() {
        let tape = Tape<Double>()
        let v = tape.variable(Tensor([0.5, -2, 3]))
        let t = tape.variable(Tensor(shape: [2, 3], scalars: [0.1, 0.1, 0.1, 1, 1, 1]))
        tape.backward(softThreshold(v, t).sum())
        XCTAssertEqual(tape.gradient(of: v).scalars, [1, 2, 2])  // |v| > t in both rows except 0.5 vs 1
        XCTAssertEqual(tape.gradient(of: t).scalars, [-1, 1, -1, 0, 1, -1])
    }

    func testStaleVariablesAreNotReadAfterReset() {
        let tape = Tape<Double>()
        let x = tape.variable(Tensor([1, 2]))
        tape.backward((x * x).sum())
        tape.reset()
        XCTAssertEqual(tape.generation, 1)
        XCTAssertEqual(tape.gradient(of: x).scalars, [0, 0])  // stale: no gradient is read through it
        XCTAssertEqual(x.detached().isRecorded, false)
    }
}
