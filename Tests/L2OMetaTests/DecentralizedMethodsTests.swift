import Foundation
import XCTest
import L2OCore
import L2ODecentralized
import L2OMeta

/// Methods by name: handcrafted with a step, learned from a checkpoint that must fit the graph.
final class DecentralizedMethodsTests: XCTestCase {
    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testNamesStepsAndCheckpointsAreChecked() throws {
        let shipped = packageRoot.appendingPathComponent("Checkpoints/milodo-lasso-10-300-10-0.1-support.h5").path
        let loaded = try MiLoDoCheckpoint.load(from: URL(fileURLWithPath: shipped), as: Double.self)
        let method = try DecentralizedMethods.make("milodo:" + shipped, stepSize: nil, mixing: loaded.mixing)
        XCTAssertEqual(method.name, "milodo")
        XCTAssertEqual(try DecentralizedMethods.make("milodo:" + shipped, stepSize: nil, mixing: loaded.mixing, floatNetworks: false).name, "milodo-f64net")
        XCTAssertEqual(try DecentralizedMethods.make("prox-ed", stepSize: 0.1, mixing: loaded.mixing).name, "prox-ed")

        func kind(_ body: () throws -> Any) -> SourceError? {
            do { _ = try body(); return nil } catch { return error as? SourceError }
        }
        guard case .selection(let m)? = kind({ try DecentralizedMethods.make("prox-ed", stepSize: nil, mixing: loaded.mixing) }) else { return XCTFail() }
        XCTAssertTrue(m.contains("--step prox-ed="), m)
        guard case .selection? = kind({ try DecentralizedMethods.make("newton", stepSize: 1, mixing: loaded.mixing) }) else { return XCTFail() }
        guard case .data(let missing)? = kind({ try DecentralizedMethods.make("milodo:/nonexistent.h5", stepSize: nil, mixing: loaded.mixing) }) else { return XCTFail() }
        XCTAssertTrue(missing.contains("/nonexistent.h5"), missing)
        let five = try MixingMatrix<Double>(topology: try Topology.ring(5), rule: .uniform)
        guard case .data(let nodes)? = kind({ try DecentralizedMethods.make("milodo:" + shipped, stepSize: nil, mixing: five) }) else { return XCTFail() }
        XCTAssertTrue(nodes.contains("trained for \(loaded.model.topology.nodeCount) nodes"), nodes)
    }
}
