import Foundation
import XCTest
import L2OCore
import L2OMeta
import L2OOptimizees

/// A family defined outside the library: LASSO whose `b` is scaled by a `scale` key. Its whole
/// definition is this type; registering it is the only other step.
private enum ScaledLassoSuiteFamily: SuiteFamily {
    static let key = "test-scaled-lasso"
    static let kind = SuiteProblemKind.lasso

    static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        var rest = raw
        let scale = try reader.number(raw["scale"], "\(path).scale")
        guard scale > 0 else { throw reader.fail("\(path).scale", "must be > 0, got \(scale)") }
        rest["scale"] = nil
        return try reader.decentralizedGroups(rest, path: path, family: self, defaultSeed: defaultSeed).map { g in
            var g = g
            g.parameters["scale"] = scale
            return g
        }
    }

    static func name(_ g: ProblemSuite.Group) -> String { "ScaledLASSO(\(g.nodes),\(g.dimension),\(g.samplesPerNode))" }

    static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try LASSOFamily<S>(nodes: g.nodes, dimension: g.dimension, samplesPerNode: g.samplesPerNode, lambda: g.lambda, seed: g.seed)
        let scale = S(g.parameters["scale"] ?? 1)
        return .lasso { split, index in
            let p = try family.instance(split, index: index)
            return try LASSO(A: p.A, b: p.b * scale, lambda: S(g.lambda))
        }
    }
}

final class SuiteFamilyRegistrationTests: XCTestCase {
    func testARegisteredFamilyIsReadAndLoadedLikeABuiltInOne() throws {
        let json = """
            {"name": "scaled", "seed": 5, "groups": [{"family": "test-scaled-lasso", "scale": 3, "nodes": 2, "dimension": 5,
             "samplesPerNode": 4, "lambda": 0.1, "splits": {"test": 2}}]}
            """
        // Unknown until registered: the error lists the known families.
        XCTAssertNil(SuiteFamilies.named(ScaledLassoSuiteFamily.key))
        XCTAssertThrowsError(try ProblemSuite(json: Data(json.utf8), source: "scaled.json")) { error in
            guard case .unknownFamily(let name, let known)? = error as? OptimizeeError else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "test-scaled-lasso")
            XCTAssertTrue(known.contains("lasso") && known.contains("hopf-kuramoto"), "\(known)")
        }
        SuiteFamilies.register(ScaledLassoSuiteFamily.self)
        defer { XCTAssertTrue(SuiteFamilies.unregister(ScaledLassoSuiteFamily.key)) }
        let suite = try ProblemSuite(json: Data(json.utf8), source: "scaled.json")
        XCTAssertEqual(suite.groups.map(\.name), ["ScaledLASSO(2,5,4)"])
        XCTAssertEqual(suite.groups[0].kind, .lasso)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-scaled-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let loaded: [LASSO<Double>] = try ProblemSources.lasso(url.path, split: .test, count: nil, optimum: false)
        let plain = try LASSOFamily<Double>(nodes: 2, dimension: 5, samplesPerNode: 4, lambda: 0.1, seed: suite.groups[0].seed)
        XCTAssertEqual(loaded.count, 2)
        for (k, p) in loaded.enumerated() {
            let q = try plain.instance(.test, index: k)
            XCTAssertEqual(p.A, q.A)
            XCTAssertEqual(p.b, q.b * 3, "the family's own instance maker ran")
        }
        // Its own key validation, with the suite file and path in the error.
        XCTAssertThrowsError(try ProblemSuite(json: Data(json.replacingOccurrences(of: "\"scale\": 3", with: "\"scale\": -1").utf8), source: "scaled.json")) { error in
            XCTAssertTrue("\(error)".contains("scaled.json") && "\(error)".contains("groups[0].scale"), "\(error)")
        }
        // A logistic command refuses it by kind.
        XCTAssertThrowsError(try ProblemSources.logistic(url.path, split: .test, count: nil, optimum: false) as [LogisticRegression<Double>]) { error in
            guard case .selection(let message)? = error as? SourceError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("test-scaled-lasso"), message)
        }
    }
}
