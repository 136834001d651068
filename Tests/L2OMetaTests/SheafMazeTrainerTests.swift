import Foundation
import XCTest
import L2OCheckpoint
import L2OCore
import L2OSheaf
import L2OData
@testable import L2OMeta

final class SheafMazeTrainerTests: XCTestCase {
    func tiny(seed: UInt64 = 1) throws -> SheafMazeTrainer {
        var layer = SheafADMMConfig(vertexStalk: 3, edgeStalk: 2)
        layer.innerSteps = 2
        var config = MazeModelConfig(layer: layer)
        config.rank = 1
        config.encoderHidden = [8]
        config.decoderHidden = [8]
        var s = MazeTrainingSettings()
        s.batchSize = 4
        s.trainCount = 12
        s.validationCount = 5
        s.cells = 2
        s.minIterations = 2
        s.maxIterations = 4
        s.window = 2
        s.evaluationIterations = 5
        s.warmupSteps = 2
        s.seed = seed
        var rng = RandomState(seed: 7)
        return try SheafMazeTrainer(model: try MazeSheafModel(config: config, rng: &rng), settings: s)
    }

    func params(_ t: SheafMazeTrainer) -> [Float] { t.model.namedParameters().flatMap { $0.parameter.value.scalars } }

    /// A run stopped after 4 steps and resumed from its checkpoint (written to disk and read
    /// back) ends with the same parameters, bit for bit, as a run that did not stop.
    func testResumeGivesTheSameParameters() throws {
        let a = try tiny()
        for _ in 0..<3 { try a.trainStep() }
        try a.record(validate: true)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sheaf-resume-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: url) }
        try a.trainStep()  // the checkpoint falls between two records
        try a.resumeCheckpoint().write(to: url)
        for _ in 0..<2 { try a.trainStep() }
        let b = try tiny()
        try b.restore(from: try Checkpoint.read(from: url, kind: SheafMazeTrainer.checkpointKind, requireResume: true))
        XCTAssertEqual(b.step, 4)
        XCTAssertEqual(b.history.count, 1)
        XCTAssertNotNil(b.history[0].validationSolved)
        for _ in 0..<2 { try b.trainStep() }
        XCTAssertEqual(params(a), params(b))
        // A resume between records keeps the running mean of the loss.
        try a.record(validate: false)
        try b.record(validate: false)
        XCTAssertEqual(a.history.last?.loss, b.history.last?.loss)
        XCTAssertTrue(params(a).allSatisfy(\.isFinite))
        // Another seed is another run: refused, naming both configurations.
        let c = try tiny(seed: 2)
        XCTAssertThrowsError(try c.restore(from: try Checkpoint.read(from: url))) { e in
            XCTAssertTrue("\(e)".contains("another configuration"), "\(e)")
        }
    }

    /// The weights checkpoint holds the averaged parameters, and a model loaded from it
    /// evaluates exactly as the trainer does with its averages.
    func testWeightsCheckpointHoldsTheAverageAndEvaluatesTheSame() throws {
        let t = try tiny()
        for _ in 0..<4 { try t.trainStep() }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sheaf-weights-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: url) }
        try t.weightsCheckpoint().write(to: url)
        let (model, config) = try SheafMazeTrainer.loadModel(from: try Checkpoint.read(from: url))
        XCTAssertEqual(config.model, t.model.config)
        let viaTrainer = try t.evaluate(t.validation, iterations: 5, averaged: true)
        let viaFile = try SheafMazeTrainer.evaluate(model, t.validation, iterations: 5, batchSize: 4)
        XCTAssertEqual(viaTrainer, viaFile)
        XCTAssertEqual(viaTrainer.count, 5)
        XCTAssertEqual(viaTrainer.primal.count, 5)
        XCTAssertNotEqual(params(t), model.namedParameters().flatMap { $0.parameter.value.scalars }, "the averages differ from the last iterate")
    }

    func testBadSettingsAreRefused() throws {
        var s = MazeTrainingSettings()
        s.minIterations = 10
        s.maxIterations = 5
        XCTAssertThrowsError(try s.validate()) { e in XCTAssertTrue("\(e)".contains("10…5"), "\(e)") }
        s = MazeTrainingSettings()
        s.trainCount = 3
        XCTAssertThrowsError(try s.validate())
    }
}

extension SheafMazeTrainerTests {
    /// The message-passing baseline goes through the same trainer: its own checkpoint kind, exact
    /// resume, evaluation without residuals.
    func testTheBaselineTrainsThroughTheSameTrainer() throws {
        var c = MazeMPNNConfig(aggregation: .max)
        c.stateSize = 3
        c.messageSize = 2
        c.encoderHidden = [8]
        c.decoderHidden = [8]
        var s = try tiny().settings
        s.seed = 4
        var rng = RandomState(seed: 7)
        let t = try MazeTrainer(model: try MazeMPNN<Float>(config: c, rng: &rng), settings: s)
        for _ in 0..<2 { try t.trainStep() }
        let ck = try t.resumeCheckpoint()
        XCTAssertEqual(ck.kind, "maze-mpnn")
        try t.trainStep()
        var rng2 = RandomState(seed: 7)
        let u = try MazeTrainer(model: try MazeMPNN<Float>(config: c, rng: &rng2), settings: s)
        try u.restore(from: ck)
        try u.trainStep()
        XCTAssertEqual(t.model.namedParameters().flatMap { $0.parameter.value.scalars }, u.model.namedParameters().flatMap { $0.parameter.value.scalars })
        let e = try t.evaluate(t.validation, iterations: 3)
        XCTAssertTrue(e.primal.isEmpty)
        XCTAssertEqual(e.solvedByIteration.count, 3)
        XCTAssertThrowsError(try MazeTrainer<MazeSheafModel<Float>>.loadModel(from: ck)) { e in XCTAssertTrue("\(e)".contains("maze-mpnn"), "\(e)") }
    }
}
