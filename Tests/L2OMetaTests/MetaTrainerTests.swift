import XCTest
@testable import L2OMeta
import L2OCore
import L2OCheckpoint
import L2OOptimizees
import L2ODecentralized

final class MetaTrainerTests: XCTestCase {
    struct Killed: Error {}

    let curriculum = Curriculum(name: "tiny", stages: [
        .init(metaLearningRate: 1e-3, truncation: 2, horizon: 4, epochs: 2),
        .init(metaLearningRate: 5e-4, truncation: 3, horizon: 3, epochs: 1),
    ])

    func makeTrainer() throws -> (MetaTrainer<Float>, MiLoDoConfig) {
        let family = try LASSOFamily<Float>(nodes: 3, dimension: 6, samplesPerNode: 4, lambda: 0.1, seed: 9)
        let training = family.instances(.train, count: 6)
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        var settings = MetaTrainingSettings()
        settings.batchSize = 2
        settings.seed = 4
        var rng = RandomState(seed: 4)
        let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, rng: &rng)
        model.specialInitialize(gamma0: 0.05, mixing: w, rng: &rng)
        let t = try MetaTrainer(model: model, mixing: w, training: training, curriculum: curriculum, settings: settings)
        return (t, MiLoDoConfig(model: model, mixing: w, curriculum: curriculum, settings: settings, trainedOn: "test"))
    }

    func testKilledRunResumesToTheSameParameters() throws {
        let (straight, _) = try makeTrainer()
        try straight.run()
        XCTAssertTrue(straight.isFinished)
        XCTAssertEqual(straight.history.count, 3)
        XCTAssertEqual(straight.position.steps + straight.position.skipped, 3 * 2 * 2 + 3 * 1)  // windows
        let reference = straight.model.parameterTensors()

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).resume.h5")
        defer { try? FileManager.default.removeItem(at: file) }
        let (first, config) = try makeTrainer()
        var saves = 0
        XCTAssertThrowsError(try first.run(checkpointEvery: 0) { t in
            try t.resumeCheckpoint(config: config).write(to: file)
            saves += 1
            if saves == 3 { throw Killed() }
        })
        let (resumed, config2) = try makeTrainer()
        try resumed.restore(from: try Checkpoint.read(from: file, kind: MiLoDoCheckpoint.kind, requireResume: true), config: config2)
        XCTAssertGreaterThan(resumed.position.batch + resumed.position.epoch + resumed.position.stage, 0)
        try resumed.run()
        let got = resumed.model.parameterTensors()
        XCTAssertEqual(Set(got.keys), Set(reference.keys))
        for (name, t) in reference { XCTAssertEqual(got[name], t, "\(name) differs after resuming") }
        XCTAssertEqual(resumed.history.map(\.meanLoss), straight.history.map(\.meanLoss))
    }

    func testResumeRefusesAnotherConfiguration() throws {
        let (t, config) = try makeTrainer()
        let ck = try t.resumeCheckpoint(config: config)
        var other = config
        other.gamma0 = 0.5
        XCTAssertThrowsError(try t.restore(from: ck, config: other)) { XCTAssertTrue("\($0)".contains("another configuration"), "\($0)") }
    }

    func testWeightsCheckpointRebuildsTheModelInDouble() throws {
        let (t, config) = try makeTrainer()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: file) }
        try MiLoDoCheckpoint.weights(model: t.model, config: config).write(to: file)
        let loaded = try MiLoDoCheckpoint.load(from: file, as: Double.self)
        XCTAssertEqual(loaded.model.topology, t.model.topology)
        for (name, v) in t.model.parameterTensors() { XCTAssertEqual(loaded.model.parameterTensors()[name], v.cast(to: Double.self), name) }
        // A checkpoint of another kind is a clear error.
        try Checkpoint(weightsOf: "mlp", config: "{}", seed: 0, parameters: CheckpointSection()).write(to: file)
        XCTAssertThrowsError(try MiLoDoCheckpoint.load(from: file, as: Double.self))
    }
}
