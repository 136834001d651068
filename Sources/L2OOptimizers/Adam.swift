import Foundation
import L2OCore

/// Per-step coefficients of Adam: rate, betas, bias corrections `1 − β^t`, ε.
public struct AdamCoefficients<Scalar: TensorScalar> {
    let lr, beta1, beta2, correction1, correction2Root, eps: Scalar
}

/// Adam (Kingma & Ba 2015, Algorithm 1) as PyTorch computes it:
/// ```
/// m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²,
/// p ← p − (lr_t/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)
/// ```
/// PyTorch `torch.optim.Adam` defaults: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8,
/// weight_decay = 0 (PyTorch's Adam weight decay is an L2 term; here `processing.weightDecay` is
/// decoupled, which makes `Adam` with weight decay the same as `AdamW`). Slots: `exp_avg`, `exp_avg_sq`.
public struct Adam<Scalar: TensorScalar>: ElementwiseOptimizer, ValidatedHyperParameters {
    public var name: String { isAdamW ? "adamw" : "adam" }
    var isAdamW = false
    var moments: AdamHyperParameters
    public var learningRate: Double { moments.learningRate }
    public var beta1: Double { moments.beta1 }
    public var beta2: Double { moments.beta2 }
    public var epsilon: Double { moments.epsilon }
    public var processing: GradientProcessing

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                processing: GradientProcessing = GradientProcessing()) throws {
        moments = AdamHyperParameters(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
        self.processing = processing
        try validate()
    }
    public var slotNames: [String] { ["exp_avg", "exp_avg_sq"] }
    public var hyperParameters: [String: Double] { processing.hyperParameters.merging(moments.values) { $1 } }
    public mutating func setHyperParameter(_ name: String, to value: Double) throws { try setValidated(name, value) }
    mutating func assign(_ key: String, _ value: Double) -> Bool { moments.assign(key, value) }
    func validate() throws {
        try moments.validate(optimizer: name, defaultLearningRate: "1e-3")
        try processing.validate(optimizer: name)
    }
    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> AdamCoefficients<Scalar> {
        AdamCoefficients(
            lr: Scalar(lr), beta1: Scalar(beta1), beta2: Scalar(beta2),
            correction1: Scalar(1 - pow(beta1, Double(t))), correction2Root: Scalar((1 - pow(beta2, Double(t))).squareRoot()),
            eps: Scalar(epsilon))
    }
    @_specialize(where Scalar == Float)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>], coefficients c: AdamCoefficients<Scalar>) -> Tensor<Scalar> {
        var m = slots[0], v = slots[1]
        let stepSize = c.lr / c.correction1
        let d = elementwise2(g, &m, &v) { gi, mi, vi in
            mi = c.beta1 * mi + (1 - c.beta1) * gi
            vi = c.beta2 * vi + (1 - c.beta2) * gi * gi
            return -stepSize * mi / (Scalar.sqrt(vi) / c.correction2Root + c.eps)
        }
        slots = [m, v]
        return d
    }
}

/// The hyper-parameters Adam and NAdam share, by PyTorch's names `lr`, `beta1`, `beta2`, `eps`.
struct AdamHyperParameters: Sendable {
    var learningRate: Double
    var beta1: Double
    var beta2: Double
    var epsilon: Double

    var values: [String: Double] { ["lr": learningRate, "beta1": beta1, "beta2": beta2, "eps": epsilon] }

    /// Sets one of the four by name; false for any other name.
    mutating func assign(_ key: String, _ value: Double) -> Bool {
        switch key {
        case "lr": learningRate = value
        case "beta1": beta1 = value
        case "beta2": beta2 = value
        case "eps": epsilon = value
        default: return false
        }
        return true
    }

    func validate(optimizer name: String, defaultLearningRate: String) throws {
        try Check.nonNegative(name, "lr", learningRate, usual: "PyTorch's default is \(defaultLearningRate)")
        try Check.unitInterval(name, "beta1", beta1, usual: "PyTorch's default is 0.9")
        try Check.unitInterval(name, "beta2", beta2, usual: "PyTorch's default is 0.999")
        try Check.positive(name, "eps", epsilon, usual: "PyTorch's default is 1e-8")
    }
}

/// AdamW (Loshchilov & Hutter 2019): Adam plus decoupled weight decay `p ← p − lr_t·λ·p`.
///
/// PyTorch `torch.optim.AdamW` defaults: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8,
/// weight_decay = 1e-2. Which parameters decay is `processing.weightDecayFilter` (PyTorch: all;
/// `.excludingRankOne` leaves biases and norm parameters alone).
public enum AdamW {
    public static func make<Scalar: TensorScalar>(
        _ type: Scalar.Type = Scalar.self, learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
        epsilon: Double = 1e-8, weightDecay: Double = 1e-2, processing: GradientProcessing = GradientProcessing()
    ) throws -> Adam<Scalar> {
        var p = processing
        p.weightDecay = weightDecay
        var adam = try Adam<Scalar>(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, processing: p)
        adam.isAdamW = true
        return adam
    }
}
