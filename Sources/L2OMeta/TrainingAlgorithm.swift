import Foundation
import L2OCore
import L2OOptimizers

/// What updates the weights in a `Trainer`: any `Optimizer` (one step per minibatch) or BADM
/// (its own pass API: each minibatch is one BADM batch split into sub-batches).
public enum TrainingAlgorithm<Scalar: TensorScalar> {
    case optimizer(any ParameterOptimizer<Scalar>)
    case badm(BADM<Scalar>)

    /// The optimizer's short name (`adam`, `badm`, …).
    public var name: String {
        switch self {
        case .optimizer(let o): return o.name
        case .badm(let b): return b.name
        }
    }

    /// The hyper-parameters by name.
    public var hyperParameters: [String: Double] {
        switch self {
        case .optimizer(let o): return o.hyperParameters
        case .badm(let b): return b.hyperParameters
        }
    }

    /// Names accepted by `named(_:…)` (and `learned:CHECKPOINT.h5`, a meta-trained LSTM optimizer).
    public static var names: [String] { ["badm", "adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop", "adagrad", "nadam"] }

    /// An algorithm by name with the optimizer's defaults (see `docs/optimizers.md`) except where
    /// given. `learningRate` applies to every optimizer but BADM, whose step is `1/(ρ+σ)`;
    /// `rho`, `sigma`, `beta`, `subBatches` apply to BADM only. Throws
    /// `TrainingError.invalidSetting` for an unknown name or a setting given to the wrong
    /// optimizer, and the optimizer's `OptimizerError.invalidHyperParameter` for a bad value.
    public static func named(
        _ name: String, learningRate: Double? = nil, weightDecay: Double? = nil,
        rho: Double? = nil, sigma: Double? = nil, beta: Double? = nil, subBatches: Int? = nil
    ) throws -> TrainingAlgorithm {
        if name.hasPrefix("learned:") {
            let path = String(name.dropFirst("learned:".count))
            guard !path.isEmpty else {
                throw TrainingError.invalidSetting(name: "optimizer", message: "learned: needs a checkpoint path, e.g. learned:Checkpoints/lstm-mlp.h5")
            }
            if learningRate != nil || weightDecay != nil || rho != nil || sigma != nil || beta != nil || subBatches != nil {
                throw TrainingError.invalidSetting(name: "optimizer settings", message: "a learned optimizer takes no hyper-parameters; its network chooses every update")
            }
            let loaded = try LSTMOptimizerCheckpoint.load(from: URL(fileURLWithPath: path), as: Scalar.self)
            return .optimizer(LSTMOptimizer(net: loaded.net, name: name))
        }
        let key = name.lowercased()
        guard names.contains(key) else {
            throw TrainingError.invalidSetting(name: "optimizer", message: "unknown optimizer '\(name)'; choose from \(names.joined(separator: ", "))")
        }
        if key == "badm" {
            if learningRate != nil {
                throw TrainingError.invalidSetting(name: "--lr", message: "BADM has no learning rate; its step is 1/(rho+sigma): set --rho and --sigma")
            }
            if weightDecay != nil {
                throw TrainingError.invalidSetting(name: "--weight-decay", message: "BADM has no weight decay")
            }
            let d = try BADM<Scalar>()
            return .badm(try BADM(rho: rho ?? d.rho, sigma: sigma ?? d.sigma, beta: beta ?? d.beta,
                                  subBatchCount: subBatches ?? d.subBatchCount))
        }
        if rho != nil || sigma != nil || beta != nil || subBatches != nil {
            throw TrainingError.invalidSetting(name: "optimizer settings", message: "--rho, --sigma, --beta and --sub-batches belong to BADM, not \(key)")
        }
        var opt: any ParameterOptimizer<Scalar>
        switch key {
        case "adam": opt = try Adam<Scalar>()
        case "adamw": opt = try AdamW.make(Scalar.self)
        case "sgd": opt = try SGD<Scalar>()
        case "momentum": opt = try Momentum<Scalar>()
        case "nesterov": opt = try Nesterov<Scalar>()
        case "rmsprop": opt = try RMSProp<Scalar>()
        case "adagrad": opt = try AdaGrad<Scalar>()
        default: opt = try NAdam<Scalar>()
        }
        if let learningRate { try opt.setHyperParameter("lr", to: learningRate) }
        if let weightDecay { try opt.setHyperParameter("weight_decay", to: weightDecay) }
        return .optimizer(opt)
    }
}
