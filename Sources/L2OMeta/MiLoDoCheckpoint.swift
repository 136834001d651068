import Foundation
import L2OCore
import L2OCheckpoint
import L2OOptimizers
import L2ODecentralized

/// MiLoDo's own meta-training settings ([MiLoDo] §4.3 and App. E.3 defaults): the warm start's
/// step, the consensus term, output bounds, step features and step normalization.
public struct MiLoDoSettings: Codable, Sendable, Equatable {
    /// The step size the special initialization starts from (γ₀; also the warm start's step).
    public var gamma0 = 0.03
    /// Weight `c` of the consensus term: a window's loss is the mean of
    /// `F(x̄ᵏ) + c·(1/n)Σ_i‖x_iᵏ − x̄ᵏ‖²`. The paper's loss is `c = 0`; `F(x̄)` alone cannot see
    /// disagreement patterns that average out (e.g. the alternating mode of a ring), so a rule
    /// trained on short horizons may leave them unstable.
    public var consensusWeight = 0.0
    /// `0` = the paper's output activations; `α ∈ (0, 1)` = coefficients bounded within `1 ± α`
    /// of Exact Diffusion's (`MiLoDoModel.useBoundedOutputs`).
    public var boundedAlpha = 0.0
    /// Bound of the step `p_i` alone in bounded mode (`0` = the same as `boundedAlpha`).
    public var stepAlpha = 0.0
    /// Inputs of the step network `φ_M` (`MiLoDoStepFeatures`): `paper` or `residual`.
    public var stepFeatures = MiLoDoStepFeatures.paper
    /// `L_ref` of the step normalization (`MiLoDoModel.stepScaleReference`; 0 = off).
    public var stepScaleReference = 0.0
    public init() {}

    enum CodingKeys: String, CodingKey { case gamma0, consensusWeight, boundedAlpha, stepAlpha, stepFeatures, stepScaleReference }
    /// Fields missing in older files take the values they had before they existed.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gamma0 = try c.decode(Double.self, forKey: .gamma0)
        consensusWeight = try c.decodeIfPresent(Double.self, forKey: .consensusWeight) ?? 0
        boundedAlpha = try c.decodeIfPresent(Double.self, forKey: .boundedAlpha) ?? 0
        stepAlpha = try c.decodeIfPresent(Double.self, forKey: .stepAlpha) ?? 0
        stepFeatures = try c.decodeIfPresent(MiLoDoStepFeatures.self, forKey: .stepFeatures) ?? .paper
        stepScaleReference = try c.decodeIfPresent(Double.self, forKey: .stepScaleReference) ?? 0
    }
}

/// Everything needed to rebuild a MiLoDo model without other files (the `config` attribute).
public struct MiLoDoConfig: Codable, Sendable, Equatable {
    public var topology: String
    public var nodeCount: Int
    /// Undirected edges `[i, j]` of the communication graph.
    public var edges: [[Int]]
    public var mixingRule: String
    public var hiddenSize: Int
    public var gamma0: Double
    /// The scalar type the parameters were trained in.
    public var scalar: String
    /// What the model was trained on (suite name and problem shape).
    public var trainedOn: String
    public var curriculum: Curriculum
    public var settings: MetaTrainingSettings
    /// MiLoDo's own settings (the key `milodo`; files written before it existed keep these
    /// fields in `settings`, where decoding finds them).
    public var milodo: MiLoDoSettings

    public init<S>(model: MiLoDoModel<S>, mixing: MixingMatrix<S>, curriculum: Curriculum, settings: MetaTrainingSettings,
                   milodo: MiLoDoSettings, trainedOn: String) {
        topology = model.topology.name
        nodeCount = model.topology.nodeCount
        edges = model.topology.edges.map { [$0.i, $0.j] }
        mixingRule = mixing.rule?.rawValue ?? "custom"
        hiddenSize = model.hiddenSize
        gamma0 = milodo.gamma0
        scalar = S.dtypeName
        self.trainedOn = trainedOn
        self.curriculum = curriculum
        self.settings = settings
        self.milodo = milodo
    }

    enum CodingKeys: String, CodingKey {
        case topology, nodeCount, edges, mixingRule, hiddenSize, gamma0, scalar, trainedOn, curriculum, settings, milodo
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        topology = try c.decode(String.self, forKey: .topology)
        nodeCount = try c.decode(Int.self, forKey: .nodeCount)
        edges = try c.decode([[Int]].self, forKey: .edges)
        mixingRule = try c.decode(String.self, forKey: .mixingRule)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        gamma0 = try c.decode(Double.self, forKey: .gamma0)
        scalar = try c.decode(String.self, forKey: .scalar)
        trainedOn = try c.decode(String.self, forKey: .trainedOn)
        curriculum = try c.decode(Curriculum.self, forKey: .curriculum)
        settings = try c.decode(MetaTrainingSettings.self, forKey: .settings)
        // Older files: MiLoDo's fields sit in `settings`.
        milodo = try c.decodeIfPresent(MiLoDoSettings.self, forKey: .milodo) ?? c.decode(MiLoDoSettings.self, forKey: .settings)
    }

    /// Puts a freshly built model in the output mode the configuration names.
    public func applyOutputs<S>(to model: MiLoDoModel<S>, mixing: MixingMatrix<S>) throws {
        let a = milodo.boundedAlpha, aM = milodo.stepAlpha
        guard a == 0 || (a > 0 && a < 1) else { throw MetaTrainingError.invalid("bounded-output α must be in (0, 1), got \(a)") }
        guard aM == 0 || (a > 0 && aM > 0 && aM < 1) else {
            throw MetaTrainingError.invalid("a step bound α_M (\(aM)) needs bounded outputs (α in (0, 1)) and must be in (0, 1)")
        }
        guard model.stepFeatures == milodo.stepFeatures else {
            throw MetaTrainingError.invalid("the model's step features '\(model.stepFeatures.rawValue)' differ from the configuration's '\(milodo.stepFeatures.rawValue)'")
        }
        guard milodo.stepScaleReference >= 0, milodo.stepScaleReference.isFinite else {
            throw MetaTrainingError.invalid("the step-normalization reference must be ≥ 0, got \(milodo.stepScaleReference)")
        }
        model.stepScaleReference = milodo.stepScaleReference
        if a > 0 { model.useBoundedOutputs(alpha: S(a), stepAlpha: aM > 0 ? S(aM) : nil, gamma0: S(gamma0), mixing: mixing) }
    }

    /// The largest LSTM hidden size a checkpoint may declare (each node holds `O(h²)` weights).
    public static let maximumHiddenSize = 1024

    /// Checks the values a file could hold wrongly (edge pairs, sizes, γ₀) before anything is built.
    public func validate(file: String) throws {
        func bad(_ detail: String) -> CheckpointError { .invalidConfig(file: file, detail: detail) }
        guard nodeCount >= 1, nodeCount <= Topology.maximumNodeCount else {
            throw bad("nodeCount \(nodeCount) must be between 1 and \(Topology.maximumNodeCount)")
        }
        if let e = edges.first(where: { $0.count != 2 }) { throw bad("edge \(e) must be a pair [i, j]") }
        guard hiddenSize >= 1, hiddenSize <= Self.maximumHiddenSize else {
            throw bad("hiddenSize \(hiddenSize) must be between 1 and \(Self.maximumHiddenSize)")
        }
        guard gamma0.isFinite, gamma0 > 0 else { throw bad("gamma0 \(gamma0) must be a positive number") }
        guard milodo.gamma0 == gamma0 else { throw bad("gamma0 \(gamma0) differs from milodo.gamma0 \(milodo.gamma0)") }
    }

    public func makeTopology() throws -> Topology {
        guard edges.allSatisfy({ $0.count == 2 }) else {
            throw MetaTrainingError.invalid("every edge of the configuration must be a pair [i, j]")
        }
        return try Topology(name: topology, nodeCount: nodeCount, edges: edges.map { ($0[0], $0[1]) })
    }
    public func makeMixing<S>(_ t: Topology) throws -> MixingMatrix<S> {
        guard let rule = MixingRule(rawValue: mixingRule) else {
            throw MetaTrainingError.invalid("checkpoint mixing rule '\(mixingRule)' is not one of \(MixingRule.allCases.map(\.rawValue))")
        }
        return try MixingMatrix(topology: t, rule: rule)
    }
}

public enum MiLoDoCheckpoint {
    public static let kind = "milodo"

    /// A weights checkpoint (parameters + config) for evaluation and shipping.
    public static func weights<S>(model: MiLoDoModel<S>, config: MiLoDoConfig, metadata: [String: HDF5AttributeValue] = [:]) throws -> Checkpoint {
        Checkpoint(weightsOf: kind, config: try Checkpoint.configJSON(config), seed: config.settings.seed,
                   parameters: CheckpointSection(parameters: model.namedParameters()), metadata: metadata)
    }

    /// Rebuilds the model (in any scalar type) and its mixing matrix from a MiLoDo checkpoint.
    public static func load<S: TensorScalar>(_ checkpoint: Checkpoint, as: S.Type = S.self) throws -> (model: MiLoDoModel<S>, mixing: MixingMatrix<S>, config: MiLoDoConfig) {
        guard checkpoint.kind == kind else {
            throw MetaTrainingError.invalid("\(checkpoint.file) holds a '\(checkpoint.kind)' checkpoint, not '\(kind)'")
        }
        let config: MiLoDoConfig = try checkpoint.decodeConfig(MiLoDoConfig.self)
        try config.validate(file: checkpoint.file)
        let topology = try config.makeTopology()
        let mixing: MixingMatrix<S> = try config.makeMixing(topology)
        var rng = RandomState(seed: 0)
        let model = try MiLoDoModel<S>(topology: topology, hiddenSize: config.hiddenSize, stepFeatures: config.milodo.stepFeatures, rng: &rng)
        try config.applyOutputs(to: model, mixing: mixing)
        try checkpoint.load(into: model.namedParameters())
        return (model, mixing, config)
    }

    public static func load<S: TensorScalar>(from url: URL, as: S.Type = S.self) throws -> (model: MiLoDoModel<S>, mixing: MixingMatrix<S>, config: MiLoDoConfig) {
        try load(try Checkpoint.read(from: url, kind: kind), as: S.self)
    }
}

extension MetaTrainer {
    /// A resume checkpoint: θ, the Adam state, the position in the curriculum and the history;
    /// `config` (the rule's configuration, e.g. `MiLoDoConfig`) is stored as JSON and must match
    /// on `restore`.
    public func resumeCheckpoint<Config: Codable & Equatable>(config: Config, metadata: [String: HDF5AttributeValue] = [:]) throws -> Checkpoint {
        var opt = CheckpointSection()
        let exported = optimizer.exportState(optimizerState)
        for (name, t) in exported.tensors { opt.set(t, named: name) }
        for (name, v) in exported.values { opt.values[name] = .double(v) }
        var training = CheckpointSection()
        training.values["stage"] = .integer(Int64(position.stage))
        training.values["epoch"] = .integer(Int64(position.epoch))
        training.values["batch"] = .integer(Int64(position.batch))
        training.values["steps"] = .integer(Int64(position.steps))
        training.values["skipped"] = .integer(Int64(position.skipped))
        training.values["seconds"] = .double(secondsBefore)
        let enc = JSONEncoder()
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        training.values["history"] = .string(String(decoding: try enc.encode(history), as: UTF8.self))
        let current = EpochInProgress(losses: epochLosses, finals: epochFinals, skipped: epochSkipped,
                                      seconds: epochSecondsBefore + Date().timeIntervalSince(epochStart))
        training.values["epoch_in_progress"] = .string(String(decoding: try enc.encode(current), as: UTF8.self))
        return Checkpoint(resumeOf: rule.kind, config: try Checkpoint.configJSON(config), seed: settings.seed,
                          parameters: CheckpointSection(parameters: rule.namedParameters()),
                          optimizerState: opt, training: training, metadata: metadata)
    }

    /// Restores θ, the meta-optimizer and the position from a resume checkpoint made by the same
    /// configuration (same curriculum and settings: anything else is refused).
    public func restore<Config: Codable & Equatable>(from checkpoint: Checkpoint, config: Config) throws {
        guard checkpoint.type == .resume else { throw MetaTrainingError.resume("\(checkpoint.file) is a weights checkpoint") }
        guard checkpoint.kind == rule.kind else {
            throw MetaTrainingError.resume("\(checkpoint.file) holds a '\(checkpoint.kind)' checkpoint, not '\(rule.kind)'")
        }
        let stored: Config = try checkpoint.decodeConfig(Config.self)
        guard stored == config else {
            throw MetaTrainingError.resume("\(checkpoint.file) was made with another configuration (curriculum, settings, topology or data); use another --out or delete it")
        }
        // The position first: every counter must be one the curriculum can reach.
        let t = checkpoint.training
        let file = checkpoint.file
        func counter(_ name: String) throws -> Int {
            let v = try t.integer(named: name)
            guard v >= 0, v <= Int64(ResourceLimits.maximumIterations) else {
                throw MetaTrainingError.resume("\(file): training@\(name) = \(v) must be a whole number ≥ 0; the file was damaged or edited")
            }
            return Int(v)
        }
        var newPosition = MetaTrainingPosition()
        newPosition.stage = try counter("stage")
        newPosition.epoch = try counter("epoch")
        newPosition.batch = try counter("batch")
        newPosition.steps = try counter("steps")
        newPosition.skipped = try counter("skipped")
        let stages = curriculum.stages
        if newPosition.stage == stages.count {
            guard newPosition.epoch == 0, newPosition.batch == 0 else {
                throw MetaTrainingError.resume("\(file): training@stage = \(newPosition.stage) marks a finished run, but epoch = \(newPosition.epoch) and batch = \(newPosition.batch) are not 0; the file was damaged or edited")
            }
        } else {
            guard newPosition.stage < stages.count else {
                throw MetaTrainingError.resume("\(file): training@stage = \(newPosition.stage) but the curriculum has \(stages.count) stage(s); the file was damaged or edited")
            }
            let epochs = stages[newPosition.stage].epochs
            guard newPosition.epoch < epochs else {
                throw MetaTrainingError.resume("\(file): training@epoch = \(newPosition.epoch) but stage \(newPosition.stage + 1) has \(epochs) epoch(s); the file was damaged or edited")
            }
            guard newPosition.batch < batchesPerEpoch else {
                throw MetaTrainingError.resume("\(file): training@batch = \(newPosition.batch) but an epoch has \(batchesPerEpoch) batch(es); the file was damaged or edited")
            }
        }
        let seconds = try t.double(named: "seconds")
        guard seconds.isFinite, seconds >= 0 else {
            throw MetaTrainingError.resume("\(file): training@seconds = \(seconds) must be a finite number ≥ 0")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let newHistory: [MetaEpochSummary]
        do {
            newHistory = try dec.decode([MetaEpochSummary].self, from: Data(try t.string(named: "history").utf8))
        } catch let e as CheckpointError {
            throw e
        } catch {
            throw MetaTrainingError.resume("\(file): training@history is not the JSON list of epoch summaries this version writes (\(error))")
        }
        let totalEpochs = stages.reduce(0) { $0 + $1.epochs }
        guard newHistory.count <= totalEpochs else {
            throw MetaTrainingError.resume("\(file): training@history lists \(newHistory.count) epochs but the curriculum has \(totalEpochs); the file was damaged or edited")
        }
        var tensors = [String: Tensor<Scalar>]()
        let newOptimizerState: OptimizerState<Scalar>
        for name in checkpoint.optimizerState.tensors.keys { tensors[name] = try checkpoint.optimizerState.tensor(named: name) }
        var values = [String: Double]()
        for (name, v) in checkpoint.optimizerState.values {
            switch v {
            case .double(let d): values[name] = d
            case .integer(let i): values[name] = Double(i)
            default: continue
            }
        }
        do {
            newOptimizerState = try optimizer.importState(ExportedOptimizerState(tensors: tensors, values: values), for: rule.namedParameters())
        } catch let e as OptimizerError {
            throw MetaTrainingError.resume("\(file): the meta-optimizer state (group optimizer_state) is not usable: \(e)")
        }
        // The epoch in progress (absent from files of earlier versions: that epoch's summary then
        // covers only the part trained after the resume).
        var current = EpochInProgress(losses: [], finals: [], skipped: 0, seconds: 0)
        if t.values["epoch_in_progress"] != nil {
            do {
                current = try dec.decode(EpochInProgress.self, from: Data(try t.string(named: "epoch_in_progress").utf8))
            } catch let e as CheckpointError {
                throw e
            } catch {
                throw MetaTrainingError.resume("\(file): training@epoch_in_progress is not readable (\(error)); the file was damaged or edited")
            }
            guard current.skipped >= 0, current.seconds.isFinite, current.seconds >= 0,
                  current.losses.count <= ResourceLimits.maximumIterations, current.finals.count <= ResourceLimits.maximumIterations else {
                throw MetaTrainingError.resume("\(file): training@epoch_in_progress holds impossible counts; the file was damaged or edited")
            }
        }
        try checkpoint.load(into: rule.namedParameters())  // all or nothing; last of the checks
        optimizerState = newOptimizerState
        position = newPosition
        secondsBefore = seconds
        history = newHistory
        epochLosses = current.losses
        epochFinals = current.finals
        epochSkipped = current.skipped
        epochSecondsBefore = current.seconds
        epochStart = Date()
    }
}

/// The accumulators of the epoch a resume checkpoint was written in.
struct EpochInProgress: Codable {
    var losses: [Double], finals: [Double], skipped: Int, seconds: Double
}
