import Foundation
import L2OCore
import L2OOptimizers

/// Optimizers for a `Trainer` by name: every name of `ParameterOptimizers` (with settings), and
/// `learned:CHECKPOINT.h5`, a meta-trained LSTM optimizer (which takes no settings).
public enum TrainingOptimizers {
    /// The names `make` accepts besides `learned:…`.
    public static var names: [String] { ParameterOptimizers.names }

    /// Throws `TrainingError.invalidSetting` for `learned:` without a path or with settings, the
    /// checkpoint's typed errors for an unusable file, and `OptimizerError` for an unknown name or
    /// a bad setting.
    public static func make<Scalar: TensorScalar>(
        _ name: String, settings: [String: Double] = [:], as _: Scalar.Type = Scalar.self
    ) throws -> any ParameterOptimizer<Scalar> {
        guard name.hasPrefix("learned:") else { return try ParameterOptimizers.make(name, settings: settings) }
        let path = String(name.dropFirst("learned:".count))
        guard !path.isEmpty else {
            throw TrainingError.invalidSetting(name: "optimizer", message: "learned: needs a checkpoint path, e.g. learned:Checkpoints/lstm-mlp.h5")
        }
        guard settings.isEmpty else {
            throw TrainingError.invalidSetting(name: "optimizer settings", message: "a learned optimizer takes no hyper-parameters; its network chooses every update")
        }
        let loaded = try LSTMOptimizerCheckpoint.load(from: URL(fileURLWithPath: path), as: Scalar.self)
        return LSTMOptimizer(net: loaded.net, name: name)
    }
}
