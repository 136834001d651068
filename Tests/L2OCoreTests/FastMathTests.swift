import XCTest
import Foundation
@testable import L2OCore

final class FastMathTests: XCTestCase {
    func testDoubleExpIsWithinAFewUlpOfTheCLibrary() {
        var worst = 0.0
        var x = -700.0
        while x <= 700 {
            let ref = Foundation.exp(x)
            worst = max(worst, abs(FastMath.exp(x) - ref) / ref)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 4 * Double.ulpOfOne, "max relative error \(worst)")
        XCTAssertEqual(FastMath.exp(0.0), 1)
        XCTAssertEqual(FastMath.exp(-1000.0), Foundation.exp(-708.0), accuracy: 1e-300)  // clamped, no NaN
        XCTAssertTrue(FastMath.exp(1000.0).isFinite)
    }

    func testFloatExpAndActivations() {
        var worst: Float = 0
        var x: Float = -80
        while x <= 80 {
            let ref = Foundation.expf(x)
            worst = max(worst, abs(FastMath.exp(x) - ref) / ref)
            x += 0.0113
        }
        XCTAssertLessThan(worst, 8 * Float.ulpOfOne, "max relative error \(worst)")
        for v: Float in [-30, -2, -0.1, 0, 0.3, 5, 40] {
            XCTAssertEqual(FastMath.sigmoid(v), 1 / (1 + Foundation.expf(-v)), accuracy: 1e-6)
            XCTAssertEqual(FastMath.tanh(v), Foundation.tanhf(v), accuracy: 2e-7)
        }
    }
}
