import Foundation
import L2OCore

/// Per-step coefficients of NAdam.
public struct NAdamCoefficients<Scalar: TensorScalar> {
    let beta1, beta2, gradientCoefficient, momentCoefficient, correction2Root, eps: Scalar
}

/// NAdam (Dozat 2016, "Incorporating Nesterov momentum into Adam") as PyTorch computes it, with
/// the momentum schedule `μ_t = β₁(1 − ½·0.96^{tψ})` (ψ = momentum_decay) and the running product
/// `Π_t = Π_{i≤t} μ_i` kept in the state value `mu_product` (Π₀ = 1):
/// ```
/// m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²,   d = √(v/(1−β₂ᵗ)) + ε
/// p ← p − lr_t(1−μ_t)/(1−Π_t) · g/d − lr_t μ_{t+1}/(1−Π_t μ_{t+1}) · m/d
/// ```
/// PyTorch `torch.optim.NAdam` defaults: lr = 2e-3, betas = (0.9, 0.999), eps = 1e-8,
/// momentum_decay = 4e-3. Slots: `exp_avg`, `exp_avg_sq`.
public struct NAdam<Scalar: TensorScalar>: ElementwiseOptimizer, ValidatedHyperParameters {
    public let name = "nadam"
    var moments: AdamHyperParameters
    public var learningRate: Double { moments.learningRate }
    public var beta1: Double { moments.beta1 }
    public var beta2: Double { moments.beta2 }
    public var epsilon: Double { moments.epsilon }
    public private(set) var momentumDecay: Double
    public var processing: GradientProcessing

    public init(learningRate: Double = 2e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
                momentumDecay: Double = 4e-3, processing: GradientProcessing = GradientProcessing()) throws {
        moments = AdamHyperParameters(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon)
        self.momentumDecay = momentumDecay
        self.processing = processing
        try validate()
    }
    public var slotNames: [String] { ["exp_avg", "exp_avg_sq"] }
    public var stateValueNames: [String] { ["mu_product"] }
    public var hyperParameters: [String: Double] {
        processing.hyperParameters.merging(moments.values) { $1 }.merging(["momentum_decay": momentumDecay]) { $1 }
    }
    public mutating func setHyperParameter(_ name: String, to value: Double) throws { try setValidated(name, value) }
    mutating func assign(_ key: String, _ value: Double) -> Bool {
        guard key == "momentum_decay" else { return moments.assign(key, value) }
        momentumDecay = value
        return true
    }
    func validate() throws {
        try moments.validate(optimizer: name, defaultLearningRate: "2e-3")
        try Check.nonNegative(name, "momentum_decay", momentumDecay, usual: "PyTorch's default is 4e-3")
        try processing.validate(optimizer: name)
    }
    /// `μ_t = β₁(1 − ½·0.96^{tψ})`.
    func mu(_ t: Int) -> Double { beta1 * (1 - 0.5 * pow(0.96, Double(t) * momentumDecay)) }

    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> NAdamCoefficients<Scalar> {
        let muT = mu(t), muNext = mu(t + 1)
        let product = (values["mu_product"] ?? 1) * muT
        values["mu_product"] = product
        return NAdamCoefficients(
            beta1: Scalar(beta1), beta2: Scalar(beta2),
            gradientCoefficient: Scalar(lr * (1 - muT) / (1 - product)),
            momentCoefficient: Scalar(lr * muNext / (1 - product * muNext)),
            correction2Root: Scalar((1 - pow(beta2, Double(t))).squareRoot()), eps: Scalar(epsilon))
    }
    @_specialize(where Scalar == Float)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>],
                      coefficients c: NAdamCoefficients<Scalar>) -> Tensor<Scalar> {
        var m = slots[0], v = slots[1]
        let d = elementwise2(g, &m, &v) { gi, mi, vi in
            mi = c.beta1 * mi + (1 - c.beta1) * gi
            vi = c.beta2 * vi + (1 - c.beta2) * gi * gi
            let denom = Scalar.sqrt(vi) / c.correction2Root + c.eps
            return -(c.gradientCoefficient * gi / denom + c.momentCoefficient * mi / denom)
        }
        slots = [m, v]
        return d
    }
}
