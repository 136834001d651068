import L2OCore
import XCTest
@testable import L2OOptimizers

final class ParameterOptimizersTests: XCTestCase {
    func testEveryNameMakesThatOptimizerWithItsDefaults() throws {
        for name in ParameterOptimizers.names {
            let opt = try ParameterOptimizers.make(name, as: Float.self)
            XCTAssertEqual(opt.name, name)
            XCTAssertEqual(opt.needsSubBatchGradients, name == "badm", name)
        }
        XCTAssertEqual(try ParameterOptimizers.make("Adam", as: Double.self).hyperParameters["lr"], 1e-3)
        let badm = try ParameterOptimizers.make("badm", settings: ["rho": 100, "sigma": 400, "sub_batches": 4], as: Float.self)
        XCTAssertEqual(badm.hyperParameters["rho"], 100)
        XCTAssertEqual(badm.hyperParameters["sigma"], 400)
        XCTAssertEqual(badm.hyperParameters["sub_batches"], 4)
        XCTAssertEqual(try ParameterOptimizers.make("sgd", settings: ["lr": 0.5, "weight_decay": 0.1], as: Float.self).hyperParameters["weight_decay"], 0.1)
    }

    func testBadNamesAndSettingsSayWhatToUse() {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { try ParameterOptimizers.make("lbfgs", as: Float.self) }.contains("choose from badm, adam"))
        XCTAssertTrue(message { try ParameterOptimizers.make("adam", settings: ["rho": 1], as: Float.self) }.contains("adam has no hyper-parameter 'rho'"))
        XCTAssertTrue(message { try ParameterOptimizers.make("badm", settings: ["lr": 0.1], as: Float.self) }.contains("1/(rho+sigma)"))
        XCTAssertTrue(message { try ParameterOptimizers.make("badm", settings: ["sub_batches": 2.5], as: Float.self) }.contains("whole number"))
        XCTAssertTrue(message { try ParameterOptimizers.make("badm", settings: ["weight_decay": 0.1], as: Float.self) }.contains("badm has no hyper-parameter 'weight_decay'"))
        XCTAssertTrue(message { try ParameterOptimizers.make("adam", settings: ["lr": -1], as: Float.self) }.contains("'lr' = -1.0 is invalid"))
    }
}
