import L2OCore

/// The parameter optimizers by name, for command lines and configuration files: the one place a
/// new one is registered. Settings are hyper-parameters by name (`lr`, `weight_decay`,
/// `clip_norm`; BADM's `rho`, `sigma`, `beta`, `m0`, `sub_batches`), applied with the optimizer's
/// own validated `setHyperParameter`, so a setting the optimizer does not have, or a bad value,
/// is a typed `OptimizerError` that says what to use instead.
public enum ParameterOptimizers {
    /// Accepted names, BADM first (`l2o train`'s default).
    public static let names = ["badm", "adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop", "adagrad", "nadam"]

    /// The optimizer `name` (case-insensitive) with its defaults (see `docs/optimizers.md`),
    /// then `settings` applied in name order. Throws `OptimizerError.invalidArgument` for an
    /// unknown name.
    public static func make<Scalar: TensorScalar>(
        _ name: String, settings: [String: Double] = [:], as _: Scalar.Type = Scalar.self
    ) throws -> any ParameterOptimizer<Scalar> {
        var opt: any ParameterOptimizer<Scalar>
        switch name.lowercased() {
        case "badm": opt = try BADM<Scalar>()
        case "adam": opt = try Adam<Scalar>()
        case "adamw": opt = try AdamW.make(Scalar.self)
        case "sgd": opt = try SGD<Scalar>()
        case "momentum": opt = try Momentum<Scalar>()
        case "nesterov": opt = try Nesterov<Scalar>()
        case "rmsprop": opt = try RMSProp<Scalar>()
        case "adagrad": opt = try AdaGrad<Scalar>()
        case "nadam": opt = try NAdam<Scalar>()
        default:
            throw OptimizerError.invalidArgument(operation: "optimizer", message: "unknown optimizer '\(name)'; choose from \(names.joined(separator: ", "))")
        }
        for key in settings.keys.sorted() { try opt.setHyperParameter(key, to: settings[key]!) }
        return opt
    }
}
