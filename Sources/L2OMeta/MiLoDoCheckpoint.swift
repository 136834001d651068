import Foundation
import L2OCore
import L2OCheckpoint
import L2OOptimizers
import L2ODecentralized

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

    public init<S>(model: MiLoDoModel<S>, mixing: MixingMatrix<S>, curriculum: Curriculum, settings: MetaTrainingSettings, trainedOn: String) {
        topology = model.topology.name
        nodeCount = model.topology.nodeCount
        edges = model.topology.edges.map { [$0.i, $0.j] }
        mixingRule = mixing.rule?.rawValue ?? "custom"
        hiddenSize = model.hiddenSize
        gamma0 = settings.gamma0
        scalar = S.dtypeName
        self.trainedOn = trainedOn
        self.curriculum = curriculum
        self.settings = settings
    }

    /// Puts a freshly built model in the output mode the configuration names.
    public func applyOutputs<S>(to model: MiLoDoModel<S>, mixing: MixingMatrix<S>) throws {
        let a = settings.boundedAlpha, aM = settings.stepAlpha
        guard a == 0 || (a > 0 && a < 1) else { throw MetaTrainingError.invalid("bounded-output α must be in (0, 1), got \(a)") }
        guard aM == 0 || (a > 0 && aM > 0 && aM < 1) else {
            throw MetaTrainingError.invalid("a step bound α_M (\(aM)) needs bounded outputs (α in (0, 1)) and must be in (0, 1)")
        }
        guard model.stepFeatures == settings.stepFeatures else {
            throw MetaTrainingError.invalid("the model's step features '\(model.stepFeatures.rawValue)' differ from the configuration's '\(settings.stepFeatures.rawValue)'")
        }
        guard settings.stepScaleReference >= 0, settings.stepScaleReference.isFinite else {
            throw MetaTrainingError.invalid("the step-normalization reference must be ≥ 0, got \(settings.stepScaleReference)")
        }
        model.stepScaleReference = settings.stepScaleReference
        if a > 0 { model.useBoundedOutputs(alpha: S(a), stepAlpha: aM > 0 ? S(aM) : nil, gamma0: S(gamma0), mixing: mixing) }
    }

    public func makeTopology() throws -> Topology {
        try Topology(name: topology, nodeCount: nodeCount, edges: edges.map { ($0[0], $0[1]) })
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
        let topology = try config.makeTopology()
        let mixing: MixingMatrix<S> = try config.makeMixing(topology)
        var rng = RandomState(seed: 0)
        let model = try MiLoDoModel<S>(topology: topology, hiddenSize: config.hiddenSize, stepFeatures: config.settings.stepFeatures, rng: &rng)
        try config.applyOutputs(to: model, mixing: mixing)
        try checkpoint.load(into: model.namedParameters())
        return (model, mixing, config)
    }

    public static func load<S: TensorScalar>(from url: URL, as: S.Type = S.self) throws -> (model: MiLoDoModel<S>, mixing: MixingMatrix<S>, config: MiLoDoConfig) {
        try load(try Checkpoint.read(from: url, kind: kind), as: S.self)
    }
}

extension MetaTrainer {
    /// A resume checkpoint: θ, the Adam state, the position in the curriculum and the history.
    public func resumeCheckpoint(config: MiLoDoConfig, metadata: [String: HDF5AttributeValue] = [:]) throws -> Checkpoint {
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
        return Checkpoint(resumeOf: MiLoDoCheckpoint.kind, config: try Checkpoint.configJSON(config), seed: settings.seed,
                          parameters: CheckpointSection(parameters: model.namedParameters()),
                          optimizerState: opt, training: training, metadata: metadata)
    }

    /// Restores θ, the meta-optimizer and the position from a resume checkpoint made by the same
    /// configuration (same curriculum and settings: anything else is refused).
    public func restore(from checkpoint: Checkpoint, config: MiLoDoConfig) throws {
        guard checkpoint.type == .resume else { throw MetaTrainingError.resume("\(checkpoint.file) is a weights checkpoint") }
        let stored: MiLoDoConfig = try checkpoint.decodeConfig(MiLoDoConfig.self)
        guard stored == config else {
            throw MetaTrainingError.resume("\(checkpoint.file) was made with another configuration (curriculum, settings, topology or data); use another --out or delete it")
        }
        try checkpoint.load(into: model.namedParameters())
        var tensors = [String: Tensor<Scalar>]()
        for name in checkpoint.optimizerState.tensors.keys { tensors[name] = try checkpoint.optimizerState.tensor(named: name) }
        var values = [String: Double]()
        for (name, v) in checkpoint.optimizerState.values {
            switch v {
            case .double(let d): values[name] = d
            case .integer(let i): values[name] = Double(i)
            default: continue
            }
        }
        optimizerState = try optimizer.importState(ExportedOptimizerState(tensors: tensors, values: values), for: model.namedParameters())
        let t = checkpoint.training
        position.stage = Int(try t.integer(named: "stage"))
        position.epoch = Int(try t.integer(named: "epoch"))
        position.batch = Int(try t.integer(named: "batch"))
        position.steps = Int(try t.integer(named: "steps"))
        position.skipped = Int(try t.integer(named: "skipped"))
        secondsBefore = try t.double(named: "seconds")
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        history = try dec.decode([MetaEpochSummary].self, from: Data(try t.string(named: "history").utf8))
    }
}
