import Foundation
import XCTest
import L2OCore
import L2OData
@testable import L2OOptimizees

final class SuiteTests: XCTestCase {
    static let suitesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Optimizees")

    func load(_ name: String) throws -> ProblemSuite {
        let url = Self.suitesDirectory.appendingPathComponent(name)
        return try ProblemSuite(json: Data(contentsOf: url), source: url.path)
    }

    func testEveryShippedSuiteParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.suitesDirectory.path).filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            let suite = try load(file)
            XCTAssertEqual(suite.name + ".json", file, "a suite's name is its file name")
            XCTAssertFalse(suite.groups.isEmpty)
            for g in suite.groups {
                switch g.familyKey {
                case "lasso", "linear-regression": XCTAssertNoThrow(try g.lassoFamily(Double.self))
                case "logistic": XCTAssertNoThrow(try g.logisticFamily(Double.self))
                case "heat", "kuramoto", "hopf-kuramoto":
                    // Graph suites are checked (and built) in GraphEnergyTests.
                    XCTAssertNotNil(g.graphEnergy)
                case "lasso-patches", "logistic-adult":
                    // Built over the fetched datasets (RealDataFamilyTests); without them only the name is known.
                    XCTAssertThrowsError(try g.lassoFamily(Double.self))
                    XCTAssertTrue(g.name.hasPrefix(g.familyKey == "lasso-patches" ? "PatchLASSO(" : "LogisticAdult("), g.name)
                default: XCTFail("\(file): unexpected family \(g.familyKey)")
                }
            }
        }
    }

    func testPaperSuitesHaveThePaperShapes() throws {
        let train = try load("lasso-10-300-10-0.1.json")
        XCTAssertEqual(train.groups.count, 1)
        XCTAssertEqual(train.groups[0].name, "LASSO(10,300,10,0.1)")
        XCTAssertEqual(train.count(.train), 512)
        let meta = try load("lasso-meta-10-500-N-0.1.json")
        XCTAssertEqual(meta.groups.map(\.samplesPerNode), Array(stride(from: 5, through: 100, by: 5)))
        XCTAssertTrue(meta.groups.allSatisfy { $0.splits[.train] == 64 && $0.dimension == 500 && $0.nodes == 10 && $0.lambda == 0.1 })
        XCTAssertEqual(Set(meta.groups.map(\.seed)).count, 20, "every expanded group has its own seed")
        let logistic = try load("logistic-10-d-100-0.1.json")
        XCTAssertEqual(logistic.groups.map(\.name), [50, 200, 500, 1000].map { "Logistic(10,\($0),100,0.1)" })
        XCTAssertEqual(try load("lasso-10-30000-1000-0.1.json").groups[0].name, "LASSO(10,30000,1000,0.1)")
        XCTAssertEqual(try load("lasso-10-20000-1000-0.1.json").groups[0].name, "LASSO(10,20000,1000,0.1)")
        XCTAssertEqual(try load("lasso-patches-10-200-10-0.05.json").groups[0].name, "PatchLASSO(10,200,10,0.05)")
        XCTAssertEqual(try load("logistic-adult-10-100-0.01.json").groups[0].name, "LogisticAdult(10,105,100,0.01)")
    }

    func testRealDataFamiliesInSuites() throws {
        let suite = try parse(#"{"name": "s", "seed": 3, "groups": [{"family": "logistic-adult", "nodes": 4, "samplesPerNode": [10, 20], "lambda": 0.01, "splits": {"test": 2}}, {"family": "lasso-patches", "nodes": 3, "dimension": 12, "samplesPerNode": 4, "lambda": 0.05, "splits": {"train": 1}}]}"#)
        XCTAssertEqual(suite.groups.map(\.name), ["LogisticAdult(4,105,10,0.01)", "LogisticAdult(4,105,20,0.01)", "PatchLASSO(3,12,4,0.05)"])
        XCTAssertTrue(suite.groups[0].familyKey == "logistic-adult" && suite.groups[0].kind == .logistic && suite.groups[2].kind == .lasso)
        XCTAssertNoThrow(try parse(#"{"name": "s", "seed": 3, "groups": [{"family": "logistic-adult", "nodes": 4, "dimension": 105, "samplesPerNode": 10, "lambda": 0.01, "splits": {"test": 2}}]}"#))
        assertSuiteError(#"{"name": "s", "seed": 3, "groups": [{"family": "logistic-adult", "nodes": 4, "dimension": 14, "samplesPerNode": 10, "lambda": 0.01, "splits": {"test": 2}}]}"#,
                         contains: "groups[0].dimension: logistic-adult has the 105 features of the Adult encoding")
        assertSuiteError(#"{"name": "s", "seed": 3, "groups": [{"family": "lasso-patches", "nodes": 3, "samplesPerNode": 4, "lambda": 0.05, "splits": {"train": 1}}]}"#,
                         contains: "groups[0].dimension: is missing")
        // The families are built from the group over data the caller loaded.
        let images = try (0..<2).map { try GrayImage(name: "i\($0)", pixels: .uniform([20, 20], seed: UInt64($0))) }
        let patches = try suite.groups[2].patchLASSOFamily(Double.self, dictionaryImages: images, targetImages: images)
        XCTAssertEqual([patches.nodes, patches.dimension, patches.samplesPerNode], [3, 12, 4])
        XCTAssertEqual(patches.seed, suite.groups[2].seed)
        XCTAssertThrowsError(try suite.groups[0].patchLASSOFamily(Double.self, dictionaryImages: images, targetImages: images))
        let samples = try AdultSamples(features: .zeros([500, 105]), labels: [Int](repeating: 0, count: 500))
        XCTAssertEqual(try suite.groups[1].adultLogisticFamily(Double.self, data: (samples, samples)).name, "LogisticAdult(4,105,20,0.01)")
        XCTAssertThrowsError(try suite.groups[2].adultLogisticFamily(Double.self, data: (samples, samples)))
    }

    func parse(_ text: String) throws -> ProblemSuite { try ProblemSuite(json: Data(text.utf8), source: "test.json") }

    func assertSuiteError(_ text: String, contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(text), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(fragment), "\(error) lacks \"\(fragment)\"", file: file, line: line)
        }
    }

    func testBadSuitesGiveClearErrors() {
        let group = #""nodes": 2, "dimension": 3, "samplesPerNode": 4, "lambda": 0.1, "splits": {"train": 1}"#
        XCTAssertThrowsError(try parse(#"{"name": "s", "seed": 1, "groups": [{"family": "ridge", \#(group)}]}"#)) {
            XCTAssertEqual($0 as? OptimizeeError, .unknownFamily(name: "ridge", known: ["heat", "hopf-kuramoto", "kuramoto", "lasso", "lasso-patches", "linear-regression", "logistic", "logistic-adult"]))
        }
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "nodes": -2, "dimension": 3, "samplesPerNode": 4, "lambda": 0.1, "splits": {"train": 1}}]}"#,
                         contains: "groups[0].nodes: must be ≥ 1, got -2")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "nodes": 2, "dimension": [3, 0], "samplesPerNode": 4, "lambda": 0.1, "splits": {"train": 1}}]}"#,
                         contains: "groups[0].dimension[1]: must be ≥ 1")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "nodes": 2, "dimension": 3, "samplesPerNode": 4, "lambda": -0.1, "splits": {"train": 1}}]}"#,
                         contains: "lambda: must be finite, ≥ 0 and at most 1e30")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "nodes": 2, "dimension": 3, "samplesPerNode": 4, "splits": {"train": 1}}]}"#,
                         contains: "lambda: is missing")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "lamda": 0.1, \#(group)}]}"#, contains: "unknown key \"lamda\"")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "nodes": 2, "dimension": 3, "samplesPerNode": 4, "lambda": 0.1, "splits": {"train": -5}}]}"#,
                         contains: "splits.train: must be ≥ 0, got -5")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "nodes": 2, "dimension": 3, "samplesPerNode": 4, "lambda": 0.1, "splits": {"training": 5}}]}"#,
                         contains: "unknown key \"training\"")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", "nodes": 2.5, "dimension": 3, "samplesPerNode": 4, "lambda": 0.1, "splits": {"train": 1}}]}"#,
                         contains: "nodes: must be an integer")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": []}"#, contains: "groups: must be a non-empty list")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "linear-regression", "lambda": 0.1, "nodes": 2, "dimension": 3, "samplesPerNode": 4, "splits": {"train": 1}}]}"#,
                         contains: "must be 0 (or omitted) for linear-regression")
        assertSuiteError(#"{"name": "s", "seed": 1, "groups": [{"family": "lasso", \#(group)}"#, contains: "is not valid JSON")
        assertSuiteError(#"{"seed": 1, "groups": [{"family": "lasso", \#(group)}]}"#, contains: "name: must be a non-empty string")
    }

    func testExpansionAndSeeds() throws {
        let suite = try parse(#"{"name": "s", "seed": 9, "groups": [{"family": "linear-regression", "nodes": [2, 3], "dimension": 4, "samplesPerNode": [5, 6], "splits": {"test": 2}}, {"family": "logistic", "nodes": 2, "dimension": 3, "samplesPerNode": 4, "lambda": 0.5, "seed": 77, "splits": {"train": 3}}]}"#)
        XCTAssertEqual(suite.groups.map { [$0.nodes, $0.samplesPerNode] }, [[2, 5], [2, 6], [3, 5], [3, 6], [2, 4]])
        XCTAssertEqual(suite.groups[0].lambda, 0)
        XCTAssertEqual(suite.groups[1].seed, InstanceSeed.group(suiteSeed: 9, group: 1))
        XCTAssertEqual(suite.groups[4].seed, 77)
        XCTAssertEqual(suite.count(.test), 8)
        XCTAssertEqual(suite.count(.train), 3)
        XCTAssertEqual(try suite.groups[0].lassoFamily(Double.self).instance(.test, index: 0).regularizer, .none)
        XCTAssertThrowsError(try suite.groups[4].lassoFamily(Double.self))
    }
}
