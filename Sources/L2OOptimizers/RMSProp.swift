import L2OCore

/// RMSProp (Tieleman & Hinton 2012) as PyTorch computes it (no momentum, not centered):
/// `v ← αv + (1−α)g²`, `p ← p − lr_t·g/(√v + ε)`.
///
/// PyTorch `torch.optim.RMSprop` defaults: lr = 1e-2, alpha = 0.99, eps = 1e-8, momentum = 0,
/// centered = False. Slot: `square_avg`.
public struct RMSProp<Scalar: TensorScalar>: ElementwiseOptimizer, ValidatedHyperParameters {
    public let name = "rmsprop"
    public private(set) var learningRate: Double
    public private(set) var alpha: Double
    public private(set) var epsilon: Double
    public var processing: GradientProcessing

    public init(learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
                processing: GradientProcessing = GradientProcessing()) throws {
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.processing = processing
        try validate()
    }
    public var slotNames: [String] { ["square_avg"] }
    public var hyperParameters: [String: Double] {
        processing.hyperParameters.merging(["lr": learningRate, "alpha": alpha, "eps": epsilon]) { $1 }
    }
    public mutating func setHyperParameter(_ name: String, to value: Double) throws { try setValidated(name, value) }
    mutating func assign(_ key: String, _ value: Double) -> Bool {
        switch key {
        case "lr": learningRate = value
        case "alpha": alpha = value
        case "eps": epsilon = value
        default: return false
        }
        return true
    }
    func validate() throws {
        try Check.nonNegative(name, "lr", learningRate, usual: "PyTorch's default is 1e-2")
        try Check.unitInterval(name, "alpha", alpha, usual: "PyTorch's default is 0.99")
        try Check.positive(name, "eps", epsilon, usual: "PyTorch's default is 1e-8")
        try processing.validate(optimizer: name)
    }
    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> (lr: Scalar, alpha: Scalar, eps: Scalar) {
        (Scalar(lr), Scalar(alpha), Scalar(epsilon))
    }
    @_specialize(where Scalar == Float)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>],
                      coefficients c: (lr: Scalar, alpha: Scalar, eps: Scalar)) -> Tensor<Scalar> {
        var v = slots[0]
        let d = elementwise1(g, &v) { gi, vi in
            vi = c.alpha * vi + (1 - c.alpha) * gi * gi
            return -c.lr * gi / (Scalar.sqrt(vi) + c.eps)
        }
        slots[0] = v
        return d
    }
}

/// AdaGrad (Duchi, Hazan & Singer 2011) as PyTorch computes it:
/// `clr = lr_t/(1 + (t−1)·lr_decay)`, `s ← s + g²` (s⁰ = initial_accumulator_value),
/// `p ← p − clr·g/(√s + ε)`.
///
/// PyTorch `torch.optim.Adagrad` defaults: lr = 1e-2, lr_decay = 0, initial_accumulator_value = 0,
/// eps = 1e-10. Slot: `sum`.
public struct AdaGrad<Scalar: TensorScalar>: ElementwiseOptimizer, ValidatedHyperParameters {
    public let name = "adagrad"
    public private(set) var learningRate: Double
    public private(set) var learningRateDecay: Double
    public private(set) var initialAccumulatorValue: Double
    public private(set) var epsilon: Double
    public var processing: GradientProcessing

    public init(learningRate: Double = 1e-2, learningRateDecay: Double = 0, initialAccumulatorValue: Double = 0,
                epsilon: Double = 1e-10, processing: GradientProcessing = GradientProcessing()) throws {
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        self.processing = processing
        try validate()
    }
    public var slotNames: [String] { ["sum"] }
    public var initialSlotValue: Double { initialAccumulatorValue }
    public var hyperParameters: [String: Double] {
        processing.hyperParameters.merging([
            "lr": learningRate, "lr_decay": learningRateDecay,
            "initial_accumulator_value": initialAccumulatorValue, "eps": epsilon,
        ]) { $1 }
    }
    public mutating func setHyperParameter(_ name: String, to value: Double) throws { try setValidated(name, value) }
    mutating func assign(_ key: String, _ value: Double) -> Bool {
        switch key {
        case "lr": learningRate = value
        case "lr_decay": learningRateDecay = value
        case "initial_accumulator_value": initialAccumulatorValue = value
        case "eps": epsilon = value
        default: return false
        }
        return true
    }
    func validate() throws {
        try Check.nonNegative(name, "lr", learningRate, usual: "PyTorch's default is 1e-2")
        try Check.nonNegative(name, "lr_decay", learningRateDecay, usual: "PyTorch's default is 0")
        try Check.nonNegative(name, "initial_accumulator_value", initialAccumulatorValue, usual: "PyTorch's default is 0")
        try Check.positive(name, "eps", epsilon, usual: "PyTorch's default is 1e-10")
        try processing.validate(optimizer: name)
    }
    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> (lr: Scalar, eps: Scalar) {
        (Scalar(lr / (1 + Double(t - 1) * learningRateDecay)), Scalar(epsilon))
    }
    @_specialize(where Scalar == Float)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>],
                      coefficients c: (lr: Scalar, eps: Scalar)) -> Tensor<Scalar> {
        var s = slots[0]
        let d = elementwise1(g, &s) { gi, si in
            si += gi * gi
            return -c.lr * gi / (Scalar.sqrt(si) + c.eps)
        }
        slots[0] = s
        return d
    }
}
