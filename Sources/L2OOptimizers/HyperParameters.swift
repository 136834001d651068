/// Hyper-parameter handling shared by the optimizers: the processing keys every optimizer accepts
/// (`weight_decay`, `clip_norm` — a value ≤ 0 or NaN is rejected; use `processing.clipNorm = nil`
/// to disable clipping) and the validate-then-commit pattern of `setHyperParameter`.
extension GradientProcessing {
    var hyperParameters: [String: Double] {
        var out = ["weight_decay": weightDecay]
        if let c = clipNorm { out["clip_norm"] = c }
        return out
    }

    /// Applies a processing key; returns false when `name` is not one.
    mutating func set(_ name: String, _ value: Double) -> Bool {
        switch name {
        case "weight_decay": weightDecay = value
        case "clip_norm": clipNorm = value
        default: return false
        }
        return true
    }
}

/// Implemented by each optimizer: set a field by name without validation (false: unknown name),
/// and validate everything.
protocol ValidatedHyperParameters {
    var name: String { get }
    var hyperParameters: [String: Double] { get }
    var processing: GradientProcessing { get set }
    mutating func assign(_ name: String, _ value: Double) -> Bool
    func validate() throws
}

extension ValidatedHyperParameters {
    /// Validate-then-commit: the optimizer is unchanged if `value` is invalid.
    mutating func setValidated(_ key: String, _ value: Double) throws {
        var copy = self
        guard copy.assign(key, value) || copy.processing.set(key, value) else {
            throw OptimizerError.unknownHyperParameter(optimizer: name, name: key, known: Array(hyperParameters.keys))
        }
        try copy.validate()
        self = copy
    }
}
