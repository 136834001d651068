import XCTest
@testable import L2OCore

/// Runs the finite-difference `gradientCheck` (Double) on every differentiable operation of the
/// engine, fused ones included. Inputs avoid kinks (|x| near 0 for abs/relu/soft-threshold).
final class GradientCheckTests: XCTestCase {
    func rnd(_ shape: [Int], _ seed: UInt64, low: Double = -1, high: Double = 1) -> Tensor<Double> {
        .uniform(shape, low: low, high: high, seed: seed)
    }
    /// Values bounded away from zero, for ops with a kink at 0.
    func awayFromZero(_ shape: [Int], _ seed: UInt64) -> Tensor<Double> {
        rnd(shape, seed).map { $0 >= 0 ? $0 + 0.2 : $0 - 0.2 }
    }
    func check(_ name: String, _ inputs: [Tensor<Double>], tol: Double = 1e-6, _ f: ([Variable<Double>]) -> Variable<Double>,
               file: StaticString = #filePath, line: UInt = #line) {
        let r = gradientCheck(inputs, tolerance: tol, f)
        XCTAssertTrue(r.passed, "\(name): \(r)", file: file, line: line)
    }

    func testArithmeticWithBroadcasting() {
        let a = rnd([3, 4], 1), b = rnd([3, 4], 2), row = rnd([4], 3), col = rnd([3, 1], 4), s = rnd([], 5)
        check("add", [a, b]) { $0[0] + $0[1] }
        check("add row", [a, row]) { $0[0] + $0[1] }
        check("sub col", [a, col]) { $0[0] - $0[1] }
        check("mul row", [a, row]) { $0[0] * $0[1] }
        check("mul scalar-tensor", [a, s]) { $0[0] * $0[1] }
        check("div", [a, b.map { $0 + 2 }]) { $0[0] / $0[1] }
        check("div col", [a, col.map { $0 + 2 }]) { $0[0] / $0[1] }
        check("neg and scalar ops", [a]) { ((-$0[0]) * 3 + 1 - 0.5) / 2 }
        check("scalar minus / over", [a.map { $0 + 2 }]) { (1 - $0[0]) + 2 / $0[0] }
        check("3-D broadcast", [rnd([2, 3, 4], 6), rnd([3, 1], 7)]) { $0[0] * $0[1] }
    }

    func testElementwiseFunctions() {
        let x = rnd([5, 3], 10, low: -2, high: 2)
        let pos = rnd([5, 3], 11, low: 0.5, high: 2)
        check("exp", [x]) { exp($0[0]) }
        check("log", [pos]) { log($0[0]) }
        check("sqrt", [pos]) { sqrt($0[0]) }
        check("square", [x]) { square($0[0]) }
        check("tanh", [x]) { tanh($0[0]) }
        check("sigmoid", [x]) { sigmoid($0[0]) }
        check("softplus", [x]) { softplus($0[0]) }
        check("relu", [awayFromZero([5, 3], 12)]) { relu($0[0]) }
        check("leakyRelu", [awayFromZero([5, 3], 13)]) { leakyRelu($0[0], slope: 0.1) }
        check("abs", [awayFromZero([5, 3], 14)]) { abs($0[0]) }
        check("sign", [awayFromZero([5, 3], 15)]) { sign($0[0]) * $0[0] }
        check("clamp", [rnd([5, 3], 16, low: -2, high: 2)]) { clamp($0[0], min: -0.7, max: 0.9) }
        check("softThreshold scalar", [awayFromZero([5, 3], 17)]) { softThreshold($0[0], 0.1) }
        check("maximum", [rnd([4, 3], 18), rnd([4, 3], 19)]) { maximum($0[0], $0[1]) }
    }

    func testReductions() {
        let x = rnd([3, 4, 2], 20)
        check("sum", [x]) { $0[0].sum() }
        check("mean", [x]) { $0[0].mean() }
        for axis in 0..<3 {
            check("sum axis \(axis)", [x]) { $0[0].sum(axis: axis) }
            check("mean axis \(axis) keep", [x]) { $0[0].mean(axis: axis, keepingDims: true) }
            check("max axis \(axis)", [x]) { $0[0].max(axis: axis) }
        }
        check("squaredNorm", [x]) { $0[0].squaredNorm() }
        check("norm", [x]) { $0[0].norm() }
    }

    func testLinearAlgebra() {
        let a = rnd([3, 4], 30), b = rnd([4, 5], 31), at = rnd([4, 3], 32), bt = rnd([5, 4], 33)
        check("matmul", [a, b]) { matmul($0[0], $0[1]) }
        check("matmul Aᵀ", [at, b]) { matmul($0[0], $0[1], transposeA: true) }
        check("matmul Bᵀ", [a, bt]) { matmul($0[0], $0[1], transposeB: true) }
        check("matmul AᵀBᵀ", [at, bt]) { matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        let ba = rnd([2, 3, 4], 34), bb = rnd([2, 4, 5], 35), bat = rnd([2, 4, 3], 36)
        check("batched matmul", [ba, bb]) { matmul($0[0], $0[1]) }
        check("batched matmul Aᵀ", [bat, bb]) { matmul($0[0], $0[1], transposeA: true) }
        check("batched shared B", [ba, b]) { matmul($0[0], $0[1]) }
        check("batched shared B, Aᵀ Bᵀ", [bat, bt]) { matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        check("matvec", [a, rnd([4], 37)]) { matvec($0[0], $0[1]) }
        check("matvec ᵀ", [a, rnd([3], 38)]) { matvec($0[0], $0[1], transpose: true) }
        let sp = SparseMatrix<Double>(rows: 3, cols: 4, triplets: [(0, 1, 0.5), (1, 0, -1.0), (1, 3, 2.0), (2, 2, 1.5)])
        check("sparse × dense", [rnd([4, 2], 39)]) { matmul(sp, $0[0]) }
    }

    func testShapeOps() {
        let x = rnd([4, 3], 40)
        check("reshape", [x]) { $0[0].reshaped([2, 6]) * $0[0].reshaped([2, 6]) }
        check("transpose", [x]) { matmul($0[0].transposed(), $0[0]) }
        check("rows", [x]) { $0[0].rows(1..<3) }
        check("columns", [x]) { $0[0].columns(1..<3) }
        check("concat axis 0", [x, rnd([2, 3], 41)]) { Variable.concat([$0[0], $0[1]], axis: 0) }
        check("concat axis 1", [x, rnd([4, 2], 42)]) { Variable.concat([$0[0], $0[1]], axis: 1) }
        check("stack", [x, rnd([4, 3], 43)]) { Variable.stack([$0[0], $0[1]], axis: 1) }
        check("gather rows", [x]) { $0[0].gatherRows([2, 0, 2, 3]) }
        check("scatter-add rows", [x]) { $0[0].scatterAddRows([1, 1, 0, 4], rowCount: 5) }
    }

    func testFusedOps() {
        check("linear", [rnd([5, 3], 50), rnd([3, 4], 51), rnd([4], 52)]) { linear($0[0], $0[1], $0[2]) }
        check("linear no bias", [rnd([5, 3], 53), rnd([3, 4], 54)]) { linear($0[0], $0[1]) }
        // Prox with per-element threshold: keep |v| away from t to avoid the kink.
        let v = awayFromZero([4, 3], 55).map { $0 * 2 }
        let t = rnd([4, 3], 56, low: 0.05, high: 0.3)
        check("softThreshold per-element", [v, t]) { softThreshold($0[0], $0[1]) }
        check("softThreshold broadcast threshold", [v, rnd([3], 57, low: 0.05, high: 0.3)]) { softThreshold($0[0], $0[1]) }
        let H = 3
        let ins = [rnd([4, 2], 60), rnd([4, H], 61), rnd([4, H], 62), rnd([2, 4 * H], 63), rnd([H, 4 * H], 64), rnd([4 * H], 65)]
        check("lstm h and c", ins) { v in
            let (h, c) = lstmCell(x: v[0], h: v[1], c: v[2], w: v[3], u: v[4], b: v[5])
            return Variable.concat([h, c * 0.7], axis: 1)
        }
        check("lstm h only", ins) { v in lstmCell(x: v[0], h: v[1], c: v[2], w: v[3], u: v[4], b: v[5]).h }
        check("lstm c only", ins) { v in lstmCell(x: v[0], h: v[1], c: v[2], w: v[3], u: v[4], b: v[5]).c }
        check("lstm two steps", ins) { v in
            let s1 = lstmCell(x: v[0], h: v[1], c: v[2], w: v[3], u: v[4], b: v[5])
            let s2 = lstmCell(x: v[0] * 0.5, h: s1.h, c: s1.c, w: v[3], u: v[4], b: v[5])
            return s2.h + s1.c
        }
        // Gossip with an asymmetric weight pattern exercises the true adjoint.
        let w = SparseMatrix<Double>(rows: 4, cols: 4, triplets: [(0, 1, 0.3), (1, 0, 0.2), (1, 2, 0.25), (2, 3, 0.4), (3, 0, 0.1), (3, 2, 0.3)])
        let op = GossipOperator(weights: w)
        check("gossip", [rnd([4, 3], 66)]) { gossip($0[0], op) }
    }

    func testCustomRecordedOp() {
        // A user-defined op via Variable.record: f(x) = x³ with pullback 3x²·g.
        check("record", [rnd([3, 2], 70)]) { v in
            let x = v[0].value
            return Variable.record(x * x * x, inputs: [v[0]]) { g in [g * x * x * 3] }
        }
    }

    /// The checker itself must detect a wrong gradient.
    func testCheckerDetectsWrongGradient() {
        let r = gradientCheck([rnd([3], 80)]) { v in
            let x = v[0].value
            return Variable.record(x * x, inputs: [v[0]]) { g in [g * x] }  // should be 2x
        }
        XCTAssertFalse(r.passed)
        XCTAssertGreaterThan(r.maxErrors[0], 1e-2)
    }
}
