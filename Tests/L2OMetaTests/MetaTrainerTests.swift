import XCTest
@testable import L2OMeta
import L2OCore
import L2OCheckpoint
import L2OOptimizees
import L2ODecentralized
import L2ONN

final class MetaTrainerTests: XCTestCase {
    struct Killed: Error {}

    let curriculum = Curriculum(name: "tiny", stages: [
        .init(metaLearningRate: 1e-3, truncation: 2, horizon: 4, epochs: 2),
        .init(metaLearningRate: 5e-4, truncation: 3, horizon: 3, epochs: 1),
    ])

    func makeTrainer() throws -> (MiLoDoMetaTrainer<Float>, MiLoDoConfig) {
        let family = try LASSOFamily<Float>(nodes: 3, dimension: 6, samplesPerNode: 4, lambda: 0.1, seed: 9)
        let training = try family.instances(.train, count: 6)
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        var settings = MetaTrainingSettings()
        settings.batchSize = 2
        settings.seed = 4
        var rng = RandomState(seed: 4)
        let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, rng: &rng)
        model.specialInitialize(gamma0: 0.05, mixing: w, rng: &rng)
        let t = try MetaTrainer(model: model, mixing: w, training: training, curriculum: curriculum, settings: settings)
        return (t, MiLoDoConfig(model: model, mixing: w, curriculum: curriculum, settings: settings, milodo: MiLoDoSettings(), trainedOn: "test"))
    }

    func testKilledRunResumesToTheSameParameters() throws {
        let (straight, _) = try makeTrainer()
        try straight.run()
        XCTAssertTrue(straight.isFinished)
        XCTAssertEqual(straight.history.count, 3)
        XCTAssertEqual(straight.position.steps + straight.position.skipped, 3 * 2 * 2 + 3 * 1)  // windows
        let reference = straight.rule.model.parameterTensors()

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
        let got = resumed.rule.model.parameterTensors()
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

    /// Resume counters and meta-optimizer state from a damaged or edited file are refused with an
    /// error naming the file and the field, before anything changes.
    func testResumeRefusesCountersAndStateTheCurriculumCannotReach() throws {
        let (t, config) = try makeTrainer()
        try t.run()
        let (fresh, _) = try makeTrainer()
        let before = fresh.rule.model.parameterTensors()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("damaged-\(UUID().uuidString).resume.h5")
        defer { try? FileManager.default.removeItem(at: url) }
        try t.resumeCheckpoint(config: config).write(to: url)
        let good = try Checkpoint.read(from: url, kind: MiLoDoCheckpoint.kind, requireResume: true)
        // The run finished; make its position an ordinary mid-run one to edit from.
        var mid = good
        mid.training.values["stage"] = .integer(0)
        mid.training.values["epoch"] = .integer(1)
        mid.training.values["batch"] = .integer(1)
        // (stage, epoch, batch): the curriculum has 2 stages (2 and 1 epochs), 3 batches per epoch.
        let bad: [(String, HDF5AttributeValue, String)] = [
            ("batch", .integer(-5), "training@batch"), ("stage", .integer(-1), "training@stage"),
            ("stage", .integer(99), "training@stage = 99"), ("epoch", .integer(1_000_000), "training@epoch"),
            ("batch", .integer(3), "training@batch = 3"), ("steps", .integer(-1), "training@steps"),
            ("seconds", .double(.nan), "training@seconds"), ("history", .string("not json"), "training@history"),
        ]
        for (field, value, mention) in bad {
            var ck = mid
            ck.training.values[field] = value
            XCTAssertThrowsError(try fresh.restore(from: ck, config: config), "\(field) = \(value)") { e in
                XCTAssertTrue("\(e)".contains(url.path) && "\(e)".contains(mention), "\(e)")
            }
        }
        // A finished run (stage = stage count) must have epoch = batch = 0.
        var finished = good
        finished.training.values["stage"] = .integer(2)
        finished.training.values["epoch"] = .integer(1)
        XCTAssertThrowsError(try fresh.restore(from: finished, config: config))
        // NaN in the meta-optimizer's moments or its step counter.
        let momentName = try XCTUnwrap(good.optimizerState.tensors.keys.sorted().first { $0.hasPrefix("exp_avg.") })
        var nanMoment = good
        let m: Tensor<Float> = try good.optimizerState.tensor(named: momentName)
        var scalars = m.scalars
        scalars[0] = .nan
        nanMoment.optimizerState.set(Tensor(shape: m.shape, scalars: scalars), named: momentName)
        var nanStep = good
        nanStep.optimizerState.values["step"] = .double(.nan)
        var wrongShape = good
        wrongShape.optimizerState.set(Tensor<Float>.zeros([7]), named: momentName)
        for (ck, mention) in [(nanMoment, "NaN"), (nanStep, "step"), (wrongShape, momentName)] {
            XCTAssertThrowsError(try fresh.restore(from: ck, config: config)) { e in
                XCTAssertTrue("\(e)".contains(url.path) && "\(e)".contains(mention), "\(e)")
            }
        }
        for (name, p) in before { XCTAssertEqual(fresh.rule.model.parameterTensors()[name], p, "nothing was loaded: \(name)") }
        XCTAssertEqual(fresh.position, MetaTrainingPosition())
        // The undamaged checkpoints still restore.
        XCTAssertNoThrow(try fresh.restore(from: mid, config: config))
        XCTAssertEqual(fresh.position.epoch, 1)
        XCTAssertNoThrow(try fresh.restore(from: good, config: config))
        XCTAssertTrue(fresh.isFinished)
    }

    func testCurriculumLimitsAreEnforced() {
        for stage in [CurriculumStage(metaLearningRate: 1e-3, truncation: 5, horizon: 5 * 1_000_000, epochs: 1),
                      CurriculumStage(metaLearningRate: 1e-3, truncation: 20_000, horizon: 20_000, epochs: 1),
                      CurriculumStage(metaLearningRate: 1e-3, truncation: 5, horizon: 10, epochs: 10_000_000)] {
            XCTAssertThrowsError(try Curriculum(name: "big", stages: [stage]).validate()) { XCTAssertTrue("\($0)".contains("stage 1"), "\($0)") }
        }
        XCTAssertNoThrow(try Curriculum.paper.validate())
    }

    func testWeightsCheckpointRebuildsTheModelInDouble() throws {
        let (t, config) = try makeTrainer()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: file) }
        try MiLoDoCheckpoint.weights(model: t.rule.model, config: config).write(to: file)
        let loaded = try MiLoDoCheckpoint.load(from: file, as: Double.self)
        XCTAssertEqual(loaded.model.topology, t.rule.model.topology)
        for (name, v) in t.rule.model.parameterTensors() { XCTAssertEqual(loaded.model.parameterTensors()[name], v.cast(to: Double.self), name) }
        // A checkpoint of another kind is a clear error.
        try Checkpoint(weightsOf: "mlp", config: "{}", seed: 0, parameters: CheckpointSection()).write(to: file)
        XCTAssertThrowsError(try MiLoDoCheckpoint.load(from: file, as: Double.self))
    }

    func testBoundedOutputsAreRestoredFromTheCheckpointConfiguration() throws {
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        let settings = MetaTrainingSettings()
        var milodo = MiLoDoSettings()
        milodo.boundedAlpha = 0.3
        milodo.consensusWeight = 0.5
        milodo.gamma0 = 0.04
        var rng = RandomState(seed: 4)
        let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, rng: &rng)
        let config = MiLoDoConfig(model: model, mixing: w, curriculum: curriculum, settings: settings, milodo: milodo, trainedOn: "test")
        try config.applyOutputs(to: model, mixing: w)
        model.specialInitialize(gamma0: 0.04, mixing: w, rng: &rng)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: file) }
        try MiLoDoCheckpoint.weights(model: model, config: config).write(to: file)
        let loaded = try MiLoDoCheckpoint.load(from: file, as: Double.self)
        XCTAssertEqual(loaded.model.outputs, .bounded(alpha: 0.3))
        XCTAssertEqual(loaded.config.settings, settings)
        XCTAssertEqual(loaded.config.milodo, milodo)
        // Settings without the newer keys (older files) decode to the paper's loss and outputs.
        let json = #"{"batchSize":32,"weightDecay":0.0001,"clipNorm":1,"gamma0":0.03,"hiddenSize":20,"seed":0}"#
        let old = try JSONDecoder().decode(MiLoDoSettings.self, from: Data(json.utf8))
        XCTAssertEqual(old.boundedAlpha, 0)
        XCTAssertEqual(old.consensusWeight, 0)
        XCTAssertEqual(try JSONDecoder().decode(MetaTrainingSettings.self, from: Data(json.utf8)), MetaTrainingSettings())
    }

    func testResidualStepFeaturesAndStepBoundAreRestoredFromTheCheckpointConfiguration() throws {
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        let settings = MetaTrainingSettings()
        var milodo = MiLoDoSettings()
        milodo.boundedAlpha = 0.5
        milodo.stepAlpha = 0.9
        milodo.stepFeatures = .residual
        milodo.stepScaleReference = 12.5
        milodo.gamma0 = 0.05
        var rng = RandomState(seed: 4)
        let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, stepFeatures: .residual, rng: &rng)
        let config = MiLoDoConfig(model: model, mixing: w, curriculum: curriculum, settings: settings, milodo: milodo, trainedOn: "test")
        try config.applyOutputs(to: model, mixing: w)
        model.specialInitialize(gamma0: 0.05, mixing: w, outputStd: 0.3, rng: &rng)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mt-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: file) }
        try MiLoDoCheckpoint.weights(model: model, config: config).write(to: file)
        let loaded = try MiLoDoCheckpoint.load(from: file, as: Float.self)
        XCTAssertEqual(loaded.model.stepFeatures, .residual)
        XCTAssertEqual(loaded.model.stepAlpha, 0.9, accuracy: 1e-6)
        XCTAssertEqual(loaded.model.stepScaleReference, 12.5)
        XCTAssertEqual(loaded.config.milodo, milodo)
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
        let old = try JSONDecoder().decode(MiLoDoSettings.self, from: Data(json.utf8))
        XCTAssertEqual(old.stepFeatures, .paper)
        XCTAssertEqual(old.stepAlpha, 0)
        XCTAssertEqual(old.stepScaleReference, 0)
        // Configurations written before MiLoDo's settings had their own key keep them in
        // `settings`: they decode to the same configuration (shipped checkpoints and resume files).
        var tree = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        var flat = try XCTUnwrap(tree["settings"] as? [String: Any])
        for (k, v) in try XCTUnwrap(tree.removeValue(forKey: "milodo") as? [String: Any]) { flat[k] = v }
        flat["hiddenSize"] = 20
        tree["settings"] = flat
        let legacy = try JSONDecoder().decode(MiLoDoConfig.self, from: JSONSerialization.data(withJSONObject: tree))
        XCTAssertEqual(legacy, config)
        XCTAssertEqual(legacy.milodo.stepFeatures, .residual)
    }

    func testExactDiffusionWarmStartIsTheRuleAtItsSpecialInitialization() throws {
        let family = try LASSOFamily<Double>(nodes: 4, dimension: 6, samplesPerNode: 3, lambda: 0.1, seed: 2)
        let problems = try family.instances(.train, count: 2)
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let data = try OptimizeeMetaBatch(problems)
        var rng = RandomState(seed: 1)
        let model = try MiLoDoModel<Double>(topology: w.topology, hiddenSize: 4, rng: &rng)
        model.useBoundedOutputs(alpha: 0.5, gamma0: 0.07, mixing: w)
        model.specialInitialize(gamma0: 0.07, mixing: w, outputStd: 0, rng: &rng)  // exactly ED's constants
        var state = model.initialState(batch: 2, dimension: 6, tape: nil, rng: &rng)
        let context = ForwardContext<Double>(tape: nil)
        for _ in 0..<25 { state = try model.step(state, lambda: 0.1, context: context, gradients: data.gradients) }
        let zero = Tensor<Double>.zeros([2, 6])
        let run = data.exactDiffusionRun(x: Array(repeating: zero, count: 4), y: Array(repeating: zero, count: 4),
                                         iterations: 25, gamma: 0.07, mixing: w)
        for i in 0..<4 {
            XCTAssertLessThan(run.x[i].maxAbsDifference(state.x[i].value), 1e-12, "x of node \(i)")
            XCTAssertLessThan(run.y[i].maxAbsDifference(state.y[i].value), 1e-12, "y of node \(i)")
        }
        XCTAssertGreaterThan(run.x[0].normInf(), 1e-3)  // it moved
    }

    func testWarmStartLengthsAreDeterministicLogUniformAndHonourTheProbability() {
        let w = WarmStart(minIterations: 10, maxIterations: 1000, probability: 0.5)
        var drawn = [Int]()
        for seed in 0..<400 as Range<UInt64> {
            let k = MetaTraining.warmStartIterations(w, seed: seed)
            XCTAssertEqual(k, MetaTraining.warmStartIterations(w, seed: seed))
            if let k { drawn.append(k) }
        }
        XCTAssertTrue(drawn.allSatisfy { $0 >= 10 && $0 <= 1000 })
        XCTAssertEqual(Double(drawn.count) / 400, 0.5, accuracy: 0.1)
        // Log-uniform: about half of the draws fall below the geometric mean 100.
        XCTAssertEqual(Double(drawn.filter { $0 < 100 }.count) / Double(drawn.count), 0.5, accuracy: 0.12)
        XCTAssertNil(MetaTraining.warmStartIterations(nil, seed: 1))
        XCTAssertNil(MetaTraining.warmStartIterations(WarmStart(minIterations: 1, maxIterations: 2, probability: 0), seed: 1))
    }

    /// A batch-1 trainer on a 3-node ring running `stage`, with `model` or a fresh small one at
    /// Exact Diffusion's constants (γ₀ = 0.05).
    func smallTrainer(_ training: [LASSO<Float>], stage: CurriculumStage, model: MiLoDoModel<Float>? = nil,
                      stepScaleReference: Double = 0) throws -> MiLoDoMetaTrainer<Float> {
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        var settings = MetaTrainingSettings()
        settings.batchSize = 1
        var rng = RandomState(seed: 4)
        let m = try model ?? MiLoDoModel<Float>(topology: topo, hiddenSize: 4, rng: &rng)
        if model == nil { m.specialInitialize(gamma0: 0.05, mixing: w, rng: &rng) }
        m.stepScaleReference = stepScaleReference
        return try MetaTrainer(model: m, mixing: w, training: training, curriculum: Curriculum(name: "small", stages: [stage]), settings: settings)
    }

    func testLogGapLossIsTheMeanLogRelativeGapAndNeedsTheOptimum() throws {
        let family = try LASSOFamily<Float>(nodes: 3, dimension: 6, samplesPerNode: 4, lambda: 0.1, seed: 9)
        let training = try family.instances(.train, count: 1).map { try $0.withReferenceOptimum() }
        let fStar = try XCTUnwrap(training[0].referenceOptimum?.value)
        let stage = CurriculumStage(metaLearningRate: 1e-3, truncation: 3, horizon: 6, epochs: 1,
                                    warmStart: WarmStart(minIterations: 20, maxIterations: 20, probability: 1, burnIn: 2), loss: .logGap)
        let trainer = try smallTrainer(training, stage: stage)
        let r = try trainer.trainBatch(stage: stage, indices: [0], seed: 11)
        XCTAssertEqual(r.perIteration.count, 6)
        let logs: [Double] = r.perIteration.map { (f: Double) -> Double in Foundation.log(abs((f - fStar) / fStar) + 1e-7) }
        let first: Double = logs[0..<3].reduce(0, +) / 3
        let second: Double = logs[3..<6].reduce(0, +) / 3
        let expected = (first + second) / 2
        XCTAssertEqual(r.loss, expected, accuracy: 1e-3 * abs(expected))
        // Warm-started 22 iterations in: the first window starts below where a cold start's does.
        var cold = stage
        cold.warmStart = nil
        let coldTrainer = try smallTrainer(training, stage: cold, model: trainer.rule.model)
        let c = try coldTrainer.trainBatch(stage: cold, indices: [0], seed: 11)
        XCTAssertLessThan(r.perIteration[0] - fStar, 0.5 * (c.perIteration[0] - fStar))
        // Without reference optima the loss cannot be formed: a clear error.
        let bare = try smallTrainer(family.instances(.train, count: 1), stage: stage, model: trainer.rule.model)
        XCTAssertThrowsError(try bare.trainBatch(stage: stage, indices: [0], seed: 11)) { XCTAssertTrue("\($0)".contains("F*"), "\($0)") }
    }

    func testTrainingNormalizesEachProblemsStepByItsCurvature() throws {
        let family = try LASSOFamily<Float>(nodes: 3, dimension: 6, samplesPerNode: 4, lambda: 0.1, seed: 9)
        let training = try family.instances(.train, count: 2)
        let L = MiLoDoRule<LASSO<Float>>.largestLocalCurvatures(training)
        XCTAssertEqual(L.count, 2)
        XCTAssertTrue(L.allSatisfy { $0 > 0 })
        let stage = CurriculumStage(metaLearningRate: 1e-3, truncation: 2, horizon: 4, epochs: 1)
        func firstWindow(reference: Double) throws -> [Double] {
            try smallTrainer(training, stage: stage, stepScaleReference: reference).trainBatch(stage: stage, indices: [1], seed: 3).perIteration
        }
        let plain = try firstWindow(reference: 0)
        XCTAssertEqual(try firstWindow(reference: L[1]), plain)  // scale L_ref/L = 1: the same run
        XCTAssertNotEqual(try firstWindow(reference: 2 * L[1]), plain)  // twice the step
    }

    func testConsensusTermRaisesTheLossOnlyWhenNodesDisagree() throws {
        let family = try LASSOFamily<Float>(nodes: 3, dimension: 6, samplesPerNode: 4, lambda: 0.1, seed: 9)
        let data = try OptimizeeMetaBatch(family.instances(.train, count: 2))
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
