import XCTest
@testable import L2OMeta
import Foundation

final class CurriculumTests: XCTestCase {
    var root: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testShippedCurriculaEqualTheBuiltIns() throws {
        XCTAssertEqual(try Curriculum.load(from: root.appendingPathComponent("Optimizees/curricula/paper.json")), Curriculum.paper)
        XCTAssertEqual(try Curriculum.load(from: root.appendingPathComponent("Optimizees/curricula/demo.json")), Curriculum.demo)
        XCTAssertEqual(Curriculum.paper.stages.map(\.horizon), [10, 20, 40, 80, 100])
        XCTAssertEqual(Curriculum.paper.stages.map(\.truncation), [5, 10, 20, 40, 20])
    }

    func testInvalidCurriculaAreRejectedWithTheStage() throws {
        var c = Curriculum.paper
        c.stages[2].horizon = 45  // not a multiple of K_T = 20
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("stage 3"), "\($0)") }
        c = Curriculum(name: "empty", stages: [])
        XCTAssertThrowsError(try c.validate())
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).json")
        try Data("{\"name\": 3}".utf8).write(to: bad)
        defer { try? FileManager.default.removeItem(at: bad) }
        XCTAssertThrowsError(try Curriculum.load(from: bad)) { XCTAssertTrue("\($0)".contains("not valid"), "\($0)") }
        c = Curriculum.demo
        c.stages[1].warmStart = WarmStart(minIterations: 50, maxIterations: 10)
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("stage 2"), "\($0)") }
        c.stages[1].warmStart = WarmStart(minIterations: 10, maxIterations: 50, probability: 1.5)
        XCTAssertThrowsError(try c.validate()) { XCTAssertTrue("\($0)".contains("probability"), "\($0)") }
    }

    func testWarmStartsAndTheLossAreReadFromJSONAndOptional() throws {
        let c = try Curriculum.load(from: root.appendingPathComponent("Optimizees/curricula/support.json"))
        XCTAssertEqual(c.stages.map(\.warmStart), [WarmStart(minIterations: 100, maxIterations: 5000, probability: 0.6, burnIn: 10),
                                                   WarmStart(minIterations: 100, maxIterations: 5000, probability: 0.5, burnIn: 10)])
        XCTAssertEqual(c.stages.map(\.metaLearningRate), [2e-3, 5e-4])
        let demo = try Curriculum.load(from: root.appendingPathComponent("Optimizees/curricula/demo-support.json"))
        XCTAssertEqual(demo.stages.count, 2)
        XCTAssertEqual(demo.stages[0].loss, .logGap)
        XCTAssertNotNil(demo.stages[0].warmStart)
        XCTAssertEqual(c.stages.map(\.loss), [.logGap, .logGap])
        XCTAssertTrue(c.needsReferenceOptima)
        // Files without the keys (the paper's) start every batch at zero with the objective loss.
        XCTAssertTrue(Curriculum.paper.stages.allSatisfy { $0.warmStart == nil && $0.loss == nil })
        XCTAssertFalse(Curriculum.paper.needsReferenceOptima)
    }
}
