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

    func testBoundedOutputsAreRestoredFromTheCheckpointConfiguration() throws {
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        var settings = MetaTrainingSettings()
        settings.boundedAlpha = 0.3
        settings.consensusWeight = 0.5
        settings.gamma0 = 0.04
        var rng = RandomState(seed: 4)
        let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, rng: &rng)
        let config = MiLoDoConfig(model: model, mixing: w, curriculum: curriculum, settings: settings, trainedOn: "test")
        try config.applyOutputs(to: model, mixing: w)
        model.specialInitialize(gamma0: 0.04, mixing: w, rng: &rng)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: file) }
        try MiLoDoCheckpoint.weights(model: model, config: config).write(to: file)
        let loaded = try MiLoDoCheckpoint.load(from: file, as: Double.self)
        XCTAssertEqual(loaded.model.outputs, .bounded(alpha: 0.3))
        XCTAssertEqual(loaded.config.settings, settings)
        // A configuration without the new keys (older files) decodes to the paper's loss and outputs.
        let json = #"{"batchSize":32,"weightDecay":0.0001,"clipNorm":1,"gamma0":0.03,"hiddenSize":20,"seed":0}"#
        let old = try JSONDecoder().decode(MetaTrainingSettings.self, from: Data(json.utf8))
        XCTAssertEqual(old.boundedAlpha, 0)
        XCTAssertEqual(old.consensusWeight, 0)
    }

    func testResidualStepFeaturesAndStepBoundAreRestoredFromTheCheckpointConfiguration() throws {
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        var settings = MetaTrainingSettings()
        settings.boundedAlpha = 0.5
        settings.stepAlpha = 0.9
        settings.stepFeatures = .residual
        settings.gamma0 = 0.05
        var rng = RandomState(seed: 4)
        let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, stepFeatures: .residual, rng: &rng)
        let config = MiLoDoConfig(model: model, mixing: w, curriculum: curriculum, settings: settings, trainedOn: "test")
        try config.applyOutputs(to: model, mixing: w)
        model.specialInitialize(gamma0: 0.05, mixing: w, outputStd: 0.3, rng: &rng)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: file) }
        try MiLoDoCheckpoint.weights(model: model, config: config).write(to: file)
        let loaded = try MiLoDoCheckpoint.load(from: file, as: Float.self)
        XCTAssertEqual(loaded.model.stepFeatures, .residual)
        XCTAssertEqual(loaded.model.stepAlpha, 0.9, accuracy: 1e-6)
        XCTAssertEqual(loaded.config.settings, settings)
        // Both models run the same rule.
        let p = try LASSO<Float>(A: .normal([3, 4, 6], seed: 1), b: .normal([3, 4], seed: 2), lambda: 0.1)
        let oracles = NodeOracles<Float>(nodeCount: 3, dimension: 6, lambda: 0.1) { p.gradients(at: $0) }
        let a = MiLoDoOptimizer(model: model, seed: 7), b = MiLoDoOptimizer(model: loaded.model, seed: 7)
        var sa = a.makeState(oracles, mixing: w), sb = b.makeState(oracles, mixing: w)
        for _ in 0..<5 { a.step(&sa, oracles, mixing: w); b.step(&sb, oracles, mixing: w) }
        XCTAssertEqual(a.iterate(sa).maxAbsDifference(b.iterate(sb)), 0)
        // A model built with other step features is refused by the configuration.
        let paper = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, rng: &rng)
        XCTAssertThrowsError(try config.applyOutputs(to: paper, mixing: w))
        // Older configurations decode to the paper's features and no separate step bound.
        let json = #"{"batchSize":32,"weightDecay":0.0001,"clipNorm":1,"gamma0":0.03,"hiddenSize":20,"seed":0}"#
        let old = try JSONDecoder().decode(MetaTrainingSettings.self, from: Data(json.utf8))
        XCTAssertEqual(old.stepFeatures, .paper)
        XCTAssertEqual(old.stepAlpha, 0)
    }

    func testConsensusTermRaisesTheLossOnlyWhenNodesDisagree() throws {
        let family = try LASSOFamily<Float>(nodes: 3, dimension: 6, samplesPerNode: 4, lambda: 0.1, seed: 9)
        let data = try LassoMetaBatch(family.instances(.train, count: 2))
        let same = Tensor<Float>.normal([2, 6], seed: 1)
        let agree = (0..<3).map { _ in Variable(constant: same) }
        XCTAssertLessThan(data.consensusErrors(agree).value.normInf(), 1e-10)
        let xs = (0..<3).map { Variable(constant: Tensor<Float>.normal([2, 6], seed: UInt64(10 + $0))) }
        let e = data.consensusErrors(xs).value
        // (1/n) Σ_i ‖x_i − x̄‖², per instance, by hand.
        for b in 0..<2 {
            var ref = 0.0
            for j in 0..<6 {
                let v = xs.map { Double($0.value.scalars[b * 6 + j]) }
                let m = v.reduce(0, +) / 3
                ref += v.map { ($0 - m) * ($0 - m) }.reduce(0, +)
            }
            XCTAssertEqual(Double(e.scalars[b]), ref / 3, accuracy: 1e-4 * ref)
        }
    }
}
