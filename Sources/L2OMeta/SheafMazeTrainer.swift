import Foundation
import L2OCheckpoint
import L2OCore
import L2OData
import L2ONN
import L2OOptimizers
import L2OSheaf

/// Training settings of Sheaf-ADMM on mazes (the paper's recipe: AdamW, a linear warm-up,
/// global gradient clipping at 1, a parameter EMA for evaluation, the horizon K drawn per step).
public struct MazeTrainingSettings: Codable, Equatable, Sendable {
    public var batchSize = 32
    public var steps = 5000
    public var learningRate = 1e-3
    public var weightDecay = 1e-4
    public var warmupSteps = 200
    public var clipNorm = 1.0
    public var emaDecay = 0.999
    /// ADMM iterations per training step, drawn uniformly from this range.
    public var minIterations = 15
    public var maxIterations = 40
    /// The loss averages the last `window` iterates.
    public var window = 3
    /// Training mazes (`cells × cells` cells) and the held-out validation mazes.
    public var trainCount = 10_000
    public var validationCount = 256
    public var cells = 9
    /// ADMM iterations at evaluation.
    public var evaluationIterations = 100
    public var seed: UInt64 = 0

    public init() {}

    public func validate() throws {
        func bad(_ n: String, _ m: String) -> TrainingError { .invalidSetting(name: n, message: m) }
        guard batchSize >= 1 else { throw bad("batch size", "must be at least 1, got \(batchSize)") }
        guard steps >= 0 else { throw bad("steps", "must not be negative, got \(steps)") }
        guard learningRate > 0, learningRate.isFinite else { throw bad("learning rate", "must be positive, got \(learningRate)") }
        guard weightDecay >= 0, warmupSteps >= 0, clipNorm > 0 else { throw bad("optimizer", "weight decay ≥ 0, warm-up ≥ 0 and clip norm > 0 expected") }
        guard emaDecay >= 0, emaDecay < 1 else { throw bad("EMA decay", "must be in [0, 1), got \(emaDecay)") }
        guard minIterations >= 1, maxIterations >= minIterations else {
            throw bad("iterations", "need 1 ≤ min ≤ max, got \(minIterations)…\(maxIterations)")
        }
        guard window >= 1 else { throw bad("window", "must be at least 1, got \(window)") }
        guard trainCount >= batchSize, validationCount >= 1 else {
            throw bad("maze counts", "need at least one batch of training mazes and one validation maze, got \(trainCount) and \(validationCount)")
        }
        guard cells >= 2 else { throw bad("maze cells", "must be at least 2, got \(cells)") }
        guard evaluationIterations >= 1 else { throw bad("evaluation iterations", "must be at least 1, got \(evaluationIterations)") }
    }
}

/// One evaluation of a maze model.
public struct MazeEvaluation: Codable, Equatable, Sendable {
    public var count: Int
    public var solved: Int
    public var solvedRate: Double { count > 0 ? Double(solved) / Double(count) : 0 }
    /// Median of the first iteration that solves a maze, over the solved mazes.
    public var medianFirstSolve: Int?
    /// Mean over mazes and agents of the primal `‖x − z‖` and dual `ρ‖z − z_prev‖` residuals, per iteration.
    public var primal: [Double]
    public var dual: [Double]
    /// Fraction of mazes solved at each iteration.
    public var solvedByIteration: [Double]
}

/// One logged point of a training run.
public struct MazeTrainingRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var seconds: Double
    /// Mean training loss since the previous record.
    public var loss: Double
    /// Validation solved rate with the averaged (EMA) parameters, when evaluated.
    public var validationSolved: Double?
}

/// Trains a maze model (Sheaf-ADMM or a message-passing baseline) on seeded mazes, with exact
/// resume (each step's batch, symmetries and horizon are a function of the seed and the step).
public final class MazeTrainer<Model: MazeSolverModel> {
    public let model: Model
    public let settings: MazeTrainingSettings
    public let optimizer: Chain<Float>
    public private(set) var optimizerState: OptimizerState<Float>
    public private(set) var step = 0
    public private(set) var seconds = 0.0
    public private(set) var history: [MazeTrainingRecord] = []
    public let train: MazeSet
    public let validation: MazeSet
    var lossSum = 0.0, lossCount = 0

    public init(model: Model, settings: MazeTrainingSettings) throws {
        try settings.validate()
        self.model = model
        self.settings = settings
        optimizer = Chain<Float>([
            try ClipByGlobalNorm(settings.clipNorm),
            try ScaleByRule(try Adam<Float>(learningRate: 1)),
            try AddDecayedWeights(settings.weightDecay),
            try ScaleByLearningRate(settings.learningRate,
                                    schedule: settings.warmupSteps > 0 ? .linearWarmup(steps: settings.warmupSteps, then: .constant) : .constant),
            try ParameterEMA(decay: settings.emaDecay),
        ])
        optimizerState = optimizer.makeState(for: model.namedParameters())
        train = try MazeSet.generate(count: settings.trainCount, cells: settings.cells, seed: settings.seed)
        validation = try MazeSet.generate(count: settings.validationCount, cells: settings.cells, seed: settings.seed ^ 0x5EED_0F_7E57)
    }

    /// The batch, symmetries and horizon of step `k`.
    func plan(step k: Int) -> (mazes: [Maze], paths: [[Bool]], iterations: Int) {
        var rng = RandomState(seed: settings.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(k) &+ 1)
        let picked = (0..<settings.batchSize).map { _ in train.mazes[rng.int(below: train.mazes.count)].transformed(rng.int(below: 8)) }
        let K = settings.minIterations + rng.int(below: settings.maxIterations - settings.minIterations + 1)
        return (picked, picked.map { $0.pathMask() }, K)
    }

    /// One training step; returns the loss.
    @discardableResult
    public func trainStep() throws -> Double {
        let t0 = Date()
        let (mazes, paths, K) = plan(step: step)
        model.zeroGrad()
        let tape = Tape<Float>()
        let loss = try model.mazeLoss(mazes, paths: paths, rounds: K, window: settings.window, context: ForwardContext(tape: tape))
        tape.backward(loss)
        try optimizer.step(&optimizerState, parameters: model.namedParameters(), context: StepContext(iteration: step))
        step += 1
        seconds += Date().timeIntervalSince(t0)
        let l = Double(loss.value.scalar)
        lossSum += l
        lossCount += 1
        return l
    }

    /// Closes the current record (mean loss since the last one), evaluating on the validation
    /// set when `validate`.
    public func record(validate: Bool) throws {
        let solved = validate ? try evaluate(validation, iterations: settings.evaluationIterations, averaged: true).solvedRate : nil
        history.append(MazeTrainingRecord(step: step, seconds: seconds, loss: lossCount > 0 ? lossSum / Double(lossCount) : .nan,
                                          validationSolved: solved))
        lossSum = 0
        lossCount = 0
    }

    /// Solved rate and residuals on `set` (mazes of one size), in batches, with the averaged
    /// (EMA) parameters when `averaged`.
    public func evaluate(_ set: MazeSet, iterations: Int, averaged: Bool = true) throws -> MazeEvaluation {
        try withParameters(averaged: averaged) { try Self.evaluate(model, set, iterations: iterations, batchSize: settings.batchSize) }
    }

    /// Runs `body` with the EMA parameters loaded (restored afterwards).
    func withParameters<R>(averaged: Bool, _ body: () throws -> R) throws -> R {
        guard averaged, let avg = optimizer.averagedParameters(optimizerState) else { return try body() }
        let named = model.namedParameters()
        let saved = named.map { $0.parameter.value }
        for (name, p) in named { if let v = avg[name] { p.value = v } }
        defer { for (k, (_, p)) in named.enumerated() { p.value = saved[k] } }
        return try body()
    }

    /// Solved rate and residuals of `model` on `set`.
    public static func evaluate(_ model: Model, _ set: MazeSet, iterations: Int, batchSize: Int) throws -> MazeEvaluation {
        var solved = 0, firsts = [Int]()
        var primal = [Double](repeating: 0, count: iterations), dual = primal, byIteration = primal
        var hasResiduals = false
        var start = 0
        while start < set.mazes.count {
            let end = Swift.min(set.mazes.count, start + batchSize)
            let mazes = Array(set.mazes[start..<end]), paths = Array(set.paths[start..<end])
            let (values, residuals) = try model.evaluationPass(mazes, rounds: iterations)
            for r in MazeSheafModel<Float>.solved(values, paths: paths) where r.solved {
                solved += 1
                if let f = r.first { firsts.append(f) }
            }
            for k in 0..<iterations {
                if let residuals {
                    hasResiduals = true
                    primal[k] += residuals.primal[k] * Double(mazes.count)
                    dual[k] += residuals.dual[k] * Double(mazes.count)
                }
                byIteration[k] += Double(MazeSheafModel<Float>.solved([values[k]], paths: paths).filter(\.solved).count)
            }
            start = end
        }
        let n = Double(Swift.max(1, set.mazes.count))
        firsts.sort()
        return MazeEvaluation(count: set.mazes.count, solved: solved, medianFirstSolve: firsts.isEmpty ? nil : firsts[firsts.count / 2],
                              primal: hasResiduals ? primal.map { $0 / n } : [], dual: hasResiduals ? dual.map { $0 / n } : [],
                              solvedByIteration: byIteration.map { $0 / n })
    }

    // MARK: Checkpoints

    /// The `kind` of the model's checkpoints (`sheaf-admm`, `maze-mpnn`).
    public static var checkpointKind: String { Model.kind }

    /// The run's configuration as canonical JSON: model and training settings, without the
    /// number of steps (a run continues with a larger `steps`).
    public var configJSON: String {
        get throws {
            var identity = settings
            identity.steps = 0
            return try Checkpoint.configJSON(MazeRunConfig<Model.Config>(task: "maze", model: model.config, training: identity))
        }
    }

    /// Weights (the EMA average, which is what evaluation uses) and the configuration.
    public func weightsCheckpoint() throws -> Checkpoint {
        let named = model.namedParameters()
        let avg = optimizer.averagedParameters(optimizerState)
        return Checkpoint(weightsOf: Self.checkpointKind, config: try configJSON, seed: settings.seed,
                          parameters: CheckpointSection(named: named.map { ($0.name, avg?[$0.name] ?? $0.parameter.value) }),
                          metadata: ["steps": .integer(Int64(step))])
    }

    /// Everything needed to continue the run.
    public func resumeCheckpoint() throws -> Checkpoint {
        let opt = optimizer.resumeSection(optimizerState)
        var training = CheckpointSection()
        training.values["step"] = .integer(Int64(step))
        training.values["seconds"] = .double(seconds)
        training.values["loss_sum"] = .double(lossSum)
        training.values["loss_count"] = .integer(Int64(lossCount))
        training.values["history"] = .string(try HistoryJSON.encode(history))
        return Checkpoint(resumeOf: Self.checkpointKind, config: try configJSON, seed: settings.seed,
                          parameters: CheckpointSection(named: model.namedParameters().map { ($0.name, $0.parameter.value) }),
                          optimizerState: opt, training: training)
    }

    /// Restores a run written by `resumeCheckpoint` with the same configuration (all checks
    /// first; nothing changes on error).
    public func restore(from checkpoint: Checkpoint) throws {
        guard checkpoint.type == .resume else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "it is a weights checkpoint, not a resume checkpoint")
        }
        let config = try configJSON
        // Files written with their step target in the config compare without it.
        var stored = checkpoint.config
        if var c = try? JSONDecoder().decode(MazeRunConfig<Model.Config>.self, from: Data(stored.utf8)) {
            c.training.steps = 0
            stored = (try? Checkpoint.configJSON(c)) ?? stored
        }
        guard stored == config else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "it was made with another configuration\n  file: \(checkpoint.config)\n  now:  \(config)")
        }
        let named = model.namedParameters()
        let tensors: [String: Tensor<Float>] = try checkpoint.parameterTensors(expecting: named.map { ($0.name, $0.parameter.shape) })
        let state = try optimizer.resumedState(from: checkpoint, for: named)
        let t = checkpoint.training
        let k = try t.integer(named: "step"), secs = try t.double(named: "seconds")
        let partialSum = (try? t.double(named: "loss_sum")) ?? 0, partialCount = (try? t.integer(named: "loss_count")) ?? 0
        guard k >= 0, secs.isFinite, secs >= 0, partialSum.isFinite, partialCount >= 0 else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "training@step = \(k), seconds = \(secs) are not usable")
        }
        let hist = try HistoryJSON.decode([MazeTrainingRecord].self, from: try t.string(named: "history"), file: checkpoint.file)
        try model.loadParameters(tensors)
        optimizerState = state
        step = Int(k)
        seconds = secs
        history = hist
        lossSum = partialSum
        lossCount = Int(partialCount)
    }

    /// A model from a weights (or resume) checkpoint of this kind.
    public static func loadModel(from checkpoint: Checkpoint) throws -> (Model, MazeRunConfig<Model.Config>) {
        guard checkpoint.kind == checkpointKind else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "it is a '\(checkpoint.kind)' checkpoint, not '\(checkpointKind)'")
        }
        let config = try checkpoint.decodeConfig(MazeRunConfig<Model.Config>.self)
        do { try config.training.validate() } catch {
            throw CheckpointError.invalidConfig(file: checkpoint.file, detail: "\(error)")
        }
        var rng = RandomState(seed: 0)
        let model = try Model(config: config.model, rng: &rng)
        try checkpoint.load(into: model.namedParameters(), allowUnexpected: false)
        return (model, config)
    }
}

/// What a maze model checkpoint's config holds.
public struct MazeRunConfig<ModelConfig: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
    public var task: String
    public var model: ModelConfig
    public var training: MazeTrainingSettings
}

/// Sheaf-ADMM's maze trainer.
public typealias SheafMazeTrainer = MazeTrainer<MazeSheafModel<Float>>
