import XCTest
@testable import L2OCore

/// Runs every differentiable op in Float and in Double on the same inputs and compares values and
/// gradients: the Float path must agree with the (gradient-checked) Double path to Float accuracy.
final class FloatPrecisionTests: XCTestCase {
    struct Outcome { var value: [Double]; var grads: [[Double]] }

    static func inputs<S: TensorScalar>(_ shapes: [[Int]], seed: UInt64, away: Bool = false) -> [Tensor<S>] {
        shapes.enumerated().map { k, s in
            Tensor<Double>.uniform(s, low: -1, high: 1, seed: seed + UInt64(k))
                .map { away ? ($0 >= 0 ? $0 + 0.2 : $0 - 0.2) : $0 }.cast(to: S.self)
        }
    }

    static func run<S: TensorScalar>(_ type: S.Type) -> [String: Outcome] {
        var results = [String: Outcome]()
        func eval(_ name: String, _ xs: [Tensor<S>], _ f: ([Variable<S>]) -> Variable<S>) {
            let tape = Tape<S>()
            let vs = xs.map { tape.variable($0) }
            let out = f(vs)
            let u = Tensor<Double>.uniform(out.shape, low: 0.5, high: 1.5, seed: 99).cast(to: S.self)
            tape.backward((out * u).sum())
            results[name] = Outcome(value: out.value.scalars.map(Double.init),
                                    grads: vs.map { tape.gradient(of: $0).scalars.map(Double.init) })
        }
        let a: [Tensor<S>] = inputs([[6, 5], [6, 5], [5], [6, 1]], seed: 1)
        eval("add", [a[0], a[1]]) { $0[0] + $0[1] }
        eval("sub row", [a[0], a[2]]) { $0[0] - $0[1] }
        eval("mul col", [a[0], a[3]]) { $0[0] * $0[1] }
        eval("div", [a[0], a[1].map { $0 + 2 }]) { $0[0] / $0[1] }
        eval("exp", [a[0]]) { exp($0[0]) }
        eval("log", [a[0].map { $0 + 2 }]) { log($0[0]) }
        eval("sqrt", [a[0].map { $0 + 2 }]) { sqrt($0[0]) }
        eval("tanh", [a[0] * 3]) { tanh($0[0]) }
        eval("sigmoid", [a[0] * 3]) { sigmoid($0[0]) }
        eval("softplus", [a[0] * 3]) { softplus($0[0]) }
        let away: [Tensor<S>] = inputs([[6, 5]], seed: 7, away: true)
        eval("relu", away) { relu($0[0]) }
        eval("leakyRelu", away) { leakyRelu($0[0], slope: 0.1) }
        eval("abs", away) { abs($0[0]) }
        eval("clamp", [a[0] * 2]) { clamp($0[0], min: -0.5, max: 0.5) }
        eval("softThreshold", away) { softThreshold($0[0], 0.1) }
        eval("softThreshold tensor", [away[0], a[1].map { Swift.abs($0) * 0.1 }]) { softThreshold($0[0], $0[1]) }
        eval("sum axis", [a[0]]) { $0[0].sum(axis: 1) }
        eval("max axis", [a[0]]) { $0[0].max(axis: 0) }
        eval("norm", [a[0]]) { $0[0].norm() }
        eval("square", [a[0]]) { square($0[0]) }
        eval("sign·x", away) { sign($0[0]) * $0[0] }
        eval("maximum", [a[0], a[1]]) { maximum($0[0], $0[1]) }
        eval("scalar ops", [a[0].map { $0 + 3 }]) { ((2 - $0[0]) * 0.5 + 1) / 3 + 2 / $0[0] }
        eval("mean", [a[0]]) { $0[0].mean() }
        eval("mean axis keep", [a[0]]) { $0[0].mean(axis: 0, keepingDims: true) }
        eval("squaredNorm", [a[0]]) { $0[0].squaredNorm() }
        eval("softThreshold broadcast", [away[0], a[2].map { Swift.abs($0) * 0.1 }]) { softThreshold($0[0], $0[1]) }
        eval("reshape/transpose", [a[0]]) { $0[0].reshaped([5, 6]).transposed() }
        eval("rows/columns", [a[0]]) { $0[0].rows(1..<4).columns(2..<5) }
        eval("stack", [a[0], a[1]]) { Variable.stack([$0[0], $0[1]], axis: 1) }
        let m: [Tensor<S>] = inputs([[6, 4], [4, 3], [3], [2, 6, 4]], seed: 20)
        eval("matmul AᵀBᵀ", [m[0], a[0]]) { matmul($0[0], $0[1].transposed(), transposeA: true, transposeB: true) }
        eval("batched matmul Aᵀ", [m[3], m[3]]) { matmul($0[0], $0[1], transposeA: true) }
        eval("matmul", [m[0], m[1]]) { matmul($0[0], $0[1]) }
        eval("batched matmul", [m[3], m[1]]) { matmul($0[0], $0[1]) }
        eval("matvec", [m[0], m[1].rows(0..<1).reshaped([-1]).rows(0..<3).cast(to: S.self)].map { $0 }) { v in
            matvec(v[0].columns(0..<3), v[1])
        }
        eval("linear", [m[0], m[1], m[2]]) { linear($0[0], $0[1], $0[2]) }
        eval("concat", [m[0], m[0]]) { Variable.concat([$0[0], $0[1]], axis: 1) }
        eval("gather/scatter", [m[0]]) { $0[0].gatherRows([1, 1, 5]).scatterAddRows([0, 2, 2], rowCount: 3) }
        let l: [Tensor<S>] = inputs([[8, 2], [8, 4], [8, 4], [2, 16], [4, 16], [16]], seed: 30)
        eval("lstm", l) { v in
            let (h, c) = lstmCell(x: v[0], h: v[1], c: v[2], w: v[3], u: v[4], b: v[5])
            return h + c
        }
        let w = SparseMatrix<S>(rows: 3, cols: 3, triplets: [(0, 1, 0.3), (1, 0, 0.3), (1, 2, 0.2), (2, 1, 0.2)])
        eval("gossip", [m[0].rows(0..<3)]) { gossip($0[0], GossipOperator(weights: w)) }
        eval("sparse", [m[0].rows(0..<3)]) { matmul(w, $0[0]) }
        return results
    }

    func testFloatMatchesDouble() {
        let f = Self.run(Float.self), d = Self.run(Double.self)
        XCTAssertEqual(Set(f.keys), Set(d.keys))
        XCTAssertGreaterThan(f.count, 25)
        // Bound (u = 2⁻²⁴): inputs in [−1, 1] rounded to Float (u), then at most K ≤ 30 accumulated
        // terms per result (means and norms over 30 entries, products and their gradients with
        // k ≤ 8) give (K + 2)·u·Σ|terms|/max(1, |y|) ≲ 32·u ≈ 1.9e-6, ≈ 3e-6 with the Float
        // σ/exp/tanh approximations (≤ 6.6e-7 absolute): below this tolerance on any CPU. The LSTM
        // is the exception: its worst case (every input at ±1, errors of the 7-term gates carried
        // through c' = f c + i g and back through 8 rows) reaches ≈ 3e-5 for the values and ~1e-3
        // for the gradients (observed < 2e-7): it gets those bounds.
        for (name, df) in d {
            guard let ff = f[name] else { continue }
            let valueTol = name == "lstm" ? 3e-5 : 2e-5, gradientTol = name == "lstm" ? 1e-3 : 2e-5
            for (x, y) in zip(ff.value, df.value) {
                XCTAssertLessThanOrEqual(Swift.abs(x - y), valueTol * Swift.max(1, Swift.abs(y)), "\(name) value")
            }
            for (gx, gy) in zip(ff.grads, df.grads) {
                for (x, y) in zip(gx, gy) {
                    XCTAssertLessThanOrEqual(Swift.abs(x - y), gradientTol * Swift.max(1, Swift.abs(y)), "\(name) gradient")
                }
            }
        }
    }
}
