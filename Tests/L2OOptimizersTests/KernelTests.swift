import L2OCore
import XCTest
@testable import L2OOptimizers

/// The vectorized helpers of the optimizer step against plain per-element loops, on lengths that
/// cover both the 16-lane part and the scalar tail.
final class KernelTests: XCTestCase {
    func testAllFiniteFindsEveryNonFiniteValue() {
        func check<S: TensorScalar>(_: S.Type) {
            let n = 37
            let clean = Tensor<S>.normal([n], seed: 4)
            XCTAssertTrue(allFinite([clean, clean]))
            XCTAssertTrue(allFinite([Tensor<S>.zeros([0]), Tensor<S>(S.greatestFiniteMagnitude)]))
            for position in [0, 15, 16, 31, 32, 36] {
                for bad in [S.nan, S.infinity, -S.infinity] {
                    var t = clean
                    t.scalars[position] = bad
                    XCTAssertFalse(allFinite([clean, t]), "\(bad) at \(position) in \(S.self)")
                }
            }
        }
        check(Float.self)
        check(Double.self)
    }

    func testSquareRootIsTheIEEESquareRootPerLane() {
        func check<S: TensorScalar>(_: S.Type) {
            var rng = RandomState(seed: 6)
            var v = SIMD16<S>()
            for i in 0..<16 { v[i] = S(rng.uniform(0, 1e6)) }
            v[0] = 0
            v[1] = .leastNonzeroMagnitude
            v[2] = .greatestFiniteMagnitude
            let r = squareRoot(v)
            for i in 0..<16 { XCTAssertEqual(r[i], v[i].squareRoot(), "lane \(i) in \(S.self)") }
            v[3] = -1
            XCTAssertTrue(squareRoot(v)[3].isNaN)
        }
        check(Float.self)
        check(Double.self)
    }

    func testGlobalNormAndApplyingAgainstLoops() {
        let a = Tensor<Float>.normal([5, 7], seed: 1), b = Tensor<Float>.normal([40], seed: 2)
        let naive = (a.scalars + b.scalars).reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        XCTAssertEqual(globalNorm([a, b]), naive, accuracy: 1e-12 * naive)
        let delta = Tensor<Float>.normal([5, 7], seed: 3)
        let applied = applying(delta, to: a)
        XCTAssertEqual(applied.shape, [5, 7])
        XCTAssertEqual(applied.scalars, zip(a.scalars, delta.scalars).map { $0 + $1 })
    }
}
