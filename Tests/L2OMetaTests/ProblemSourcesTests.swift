import Foundation
import XCTest
import L2OCheckpoint
import L2OCore
import L2OData
import L2OMeta
import L2OOptimizees

/// `ProblemSources` on logistic suites: instances, reference optima, evaluation instances, and
/// the typed errors for a wrong family, a missing group or missing data.
final class ProblemSourcesTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-logistic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Writes a suite file and returns its path.
    func writeSuite(_ name: String, _ json: String) throws -> String {
        let url = folder.appendingPathComponent("\(name).json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    /// Logistic(4, d, 20, 0.02) for d = 6 (group 0) and 8 (group 1): 2 train, 2 test instances each.
    func tinySuite() throws -> String {
        try writeSuite("tiny-logistic", """
            {"name": "tiny-logistic", "seed": 77, "groups": [{"family": "logistic", "nodes": 4, "dimension": [6, 8],
             "samplesPerNode": 20, "lambda": 0.02, "splits": {"train": 2, "test": 2}}]}
            """)
    }

    func testLoadsALogisticSuiteGroupWithReferenceOptima() throws {
        let path = try tinySuite()
        let ps: [LogisticRegression<Double>] = try ProblemSources.logistic(path, split: .test, count: nil, optimum: true, group: 1)
        XCTAssertEqual(ps.count, 2)
        let g = try ProblemSuite(json: Data(contentsOf: URL(fileURLWithPath: path)), source: path).groups[1]
        for (k, p) in ps.enumerated() {
            XCTAssertEqual([p.nodes, p.samplesPerNode, p.dimension], [4, 20, 8])
            // The same instance and optimum as `l2o problems generate` computes from the suite.
            let expected = try g.logisticFamily(Double.self).instance(.test, index: k).withReferenceOptimum(FISTA(tolerance: 1e-12))
            XCTAssertEqual(p.A, expected.A)
            XCTAssertEqual(p.b, expected.b)
            let opt = try XCTUnwrap(p.referenceOptimum)
            XCTAssertEqual(opt.value, try XCTUnwrap(expected.referenceOptimum).value)
            XCTAssertLessThan(opt.kktResidual, 1e-12)
            XCTAssertGreaterThan(opt.x.normInf(), 0, "a non-zero optimum")
        }
        let loaded: (name: String, instances: [EvaluationInstance<Float>]) = try ProblemSources.evaluation(
            path, split: .test, count: 1, group: 1, prefix: "test")
        XCTAssertEqual(loaded.name, "Logistic(4,8,20,0.02)")
        XCTAssertEqual(loaded.instances.map(\.name), ["test-0"])
        let inst = loaded.instances[0]
        XCTAssertEqual(inst.optimalValue, ps[0].referenceOptimum!.value)
        XCTAssertEqual(inst.oracles.l1Weight, 0.02)
        XCTAssertEqual(inst.objective(ps[0].referenceOptimum!.x.cast()), inst.optimalValue, accuracy: 1e-6)
        // LASSO-only commands still refuse it, naming the family.
        XCTAssertThrowsError(try ProblemSources.lasso(path, split: .test, count: 1, optimum: false, as: Double.self)) { error in
            XCTAssertTrue("\(error)".contains("is logistic; this command needs LASSO problems"), "\(error)")
        }
        XCTAssertThrowsError(try ProblemSources.evaluation(path, split: .test, count: 1, group: 2, prefix: "t", as: Double.self)) { error in
            XCTAssertTrue("\(error)".contains("--group 2 does not exist"), "\(error)")
        }
    }

    func testUnsupportedFamiliesAndMissingDataGiveClearErrors() throws {
        let heat = try writeSuite("heat", """
            {"name": "tiny-heat", "seed": 1, "groups": [{"family": "heat", "graph": {"type": "lattice2d", "rows": 3, "cols": 3},
             "lambda": 1, "hotTemperature": 1, "coldTemperature": 0, "splits": {"train": 1}}]}
            """)
        XCTAssertThrowsError(try ProblemSources.evaluation(heat, split: .train, count: 1, prefix: "t", as: Double.self)) { error in
            XCTAssertTrue("\(error)".contains("graph energy heat"), "\(error)")
        }
        let adult = try writeSuite("adult", """
            {"name": "tiny-adult", "seed": 1, "groups": [{"family": "logistic-adult", "nodes": 2, "samplesPerNode": 5,
             "lambda": 0.01, "splits": {"test": 1}}]}
            """)
        let empty = folder.appendingPathComponent("no-data").path
        let previous = ProcessInfo.processInfo.environment[DataDirectory.environmentVariable]
        setenv(DataDirectory.environmentVariable, empty, 1)
        defer {
            if let previous { setenv(DataDirectory.environmentVariable, previous, 1) } else { unsetenv(DataDirectory.environmentVariable) }
        }
        XCTAssertThrowsError(try ProblemSources.evaluation(adult, split: .test, count: 1, prefix: "t", as: Double.self)) { error in
            guard case .data? = error as? SourceError else { return XCTFail("missing data is a data error: \(error)") }
            XCTAssertTrue("\(error)".contains("not found; run `make deps`"), "\(error)")
        }
    }


    func testWrongFamilyIsASelectionErrorAndAMissingSuiteADataError() throws {
        let path = try tinySuite()
        XCTAssertThrowsError(try ProblemSources.lasso(path, split: .test, count: 1, optimum: false, as: Double.self)) { error in
            guard case .selection? = error as? SourceError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try ProblemSources.loadSuite(folder.appendingPathComponent("absent.json").path)) { error in
            guard case .data(let m)? = error as? SourceError else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("absent.json"), m)
        }
    }

    func testReferenceSolvesReportProgress() throws {
        let path = try tinySuite()
        var calls = [(Int, Int)]()
        let _: [LogisticRegression<Double>] = try ProblemSources.logistic(path, split: .train, count: 1, optimum: true, group: 0,
                                                                          reference: { k, n, _, kkt, tol in calls.append((k, n)); XCTAssertGreaterThan(tol, 0); XCTAssertFalse(kkt.isNaN) })
        XCTAssertFalse(calls.isEmpty, "FISTA's progress reaches the caller")
        XCTAssertTrue(calls.allSatisfy { $0 == (1, 1) })
    }
}

/// The graph-energy instance file: what `GraphEnergyInstances.write` stores is the suite's instance.
final class GraphEnergyInstancesTests: XCTestCase {
    func testHeatInstanceFileHoldsTheSuitesInstances() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = """
            {"name": "tiny-heat", "seed": 1, "groups": [{"family": "heat", "graph": {"type": "lattice2d", "rows": 3, "cols": 4},
             "lambda": 1, "hotTemperature": 1, "coldTemperature": 0, "splits": {"train": 2}}]}
            """
        let suite = try ProblemSuite(json: Data(json.utf8), source: "tiny-heat.json")
        let g = suite.groups[0]
        let url = folder.appendingPathComponent("heat.h5")
        var seen = [Int]()
        try GraphEnergyInstances.write(Double.self, suite: suite, group: g, index: 0, split: .train, count: 2, to: url) { k, _, _ in seen.append(k) }
        XCTAssertEqual(seen, [1, 2])
        let root = try HDF5File.read(from: url)
        XCTAssertEqual(root.attributes["format"]?.stringValue, "l2o-graph-energy-instances")
        XCTAssertEqual(root.attributes["energy"]?.stringValue, "heat")
        XCTAssertEqual(root.attributes["objective"]?.stringValue, HeatSuiteFamily.objective)
        for k in 0..<2 {
            let expected = try GraphEnergyInstances.instance(Double.self, group: g, split: .train, index: k)
            XCTAssertEqual(expected.graph.nodeCount, 12)
            guard case .tensor(let edges)? = root.dataset(at: "instance_\(k)/edges")?.content,
                  case .tensor(let x0)? = root.dataset(at: "instance_\(k)/initial_point")?.content else { return XCTFail("instance_\(k) incomplete") }
            XCTAssertEqual(edges.shape, [expected.graph.edgeCount, 2])
            XCTAssertEqual(edges.doubleScalars, expected.graph.edges.flatMap { [Double($0.i), Double($0.j)] })
            XCTAssertEqual(x0.tensor(as: Double.self), expected.initialPoint)
        }
        XCTAssertThrowsError(try GraphEnergyInstances.instance(Double.self, group: try ProblemSuite(json: Data("""
            {"name": "l", "seed": 1, "groups": [{"family": "lasso", "nodes": 2, "dimension": 4, "samplesPerNode": 3, "lambda": 0.1, "splits": {"train": 1}}]}
            """.utf8), source: "l.json").groups[0], split: .train, index: 0)) { error in
            guard case .selection? = error as? SourceError else { return XCTFail("\(error)") }
        }
    }
}
