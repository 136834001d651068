import L2OCore

/// Plain stochastic gradient descent: `p ← p − lr_t·g`.
///
/// PyTorch `torch.optim.SGD` defaults: lr = 1e-3, momentum = 0, weight_decay = 0.
public struct SGD<Scalar: TensorScalar>: ElementwiseOptimizer, ValidatedHyperParameters {
    public let name = "sgd"
    public private(set) var learningRate: Double
    public var processing: GradientProcessing

    public init(learningRate: Double = 1e-3, processing: GradientProcessing = GradientProcessing()) throws {
        self.learningRate = learningRate
        self.processing = processing
        try validate()
    }
    public var slotNames: [String] { [] }
    public var hyperParameters: [String: Double] { processing.hyperParameters.merging(["lr": learningRate]) { $1 } }
    public mutating func setHyperParameter(_ name: String, to value: Double) throws { try setValidated(name, value) }
    mutating func assign(_ key: String, _ value: Double) -> Bool {
        guard key == "lr" else { return false }
        learningRate = value
        return true
    }
    func validate() throws {
        try Check.nonNegative(name, "lr", learningRate, usual: "PyTorch's default is 1e-3")
        try processing.validate(optimizer: name)
    }
    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> Scalar { Scalar(lr) }
    @_specialize(where Scalar == Float)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>], coefficients lr: Scalar) -> Tensor<Scalar> {
        g * (-lr)
    }
}

/// SGD with heavy-ball momentum, as PyTorch writes it (dampening 0):
/// `b ← μ·b + g` (b⁰ = 0, so b¹ = g), `p ← p − lr_t·b`.
///
/// Defaults: lr = 1e-3 (PyTorch SGD's), μ = 0.9 (PyTorch's default momentum is 0, i.e. plain SGD;
/// 0.9 is the customary value). Slot: `momentum_buffer`.
public struct Momentum<Scalar: TensorScalar>: ElementwiseOptimizer, ValidatedHyperParameters {
    public let name = "momentum"
    public private(set) var learningRate: Double
    public private(set) var momentum: Double
    public var processing: GradientProcessing

    public init(learningRate: Double = 1e-3, momentum: Double = 0.9, processing: GradientProcessing = GradientProcessing()) throws {
        self.learningRate = learningRate
        self.momentum = momentum
        self.processing = processing
        try validate()
    }
    public var slotNames: [String] { ["momentum_buffer"] }
    public var hyperParameters: [String: Double] {
        processing.hyperParameters.merging(["lr": learningRate, "momentum": momentum]) { $1 }
    }
    public mutating func setHyperParameter(_ name: String, to value: Double) throws { try setValidated(name, value) }
    mutating func assign(_ key: String, _ value: Double) -> Bool {
        switch key {
        case "lr": learningRate = value
        case "momentum": momentum = value
        default: return false
        }
        return true
    }
    func validate() throws {
        try Check.nonNegative(name, "lr", learningRate, usual: "PyTorch's default is 1e-3")
        try Check.unitInterval(name, "momentum", momentum, usual: "usually 0.9")
        try processing.validate(optimizer: name)
    }
    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> (lr: Scalar, mu: Scalar) {
        (Scalar(lr), Scalar(momentum))
    }
    @_specialize(where Scalar == Float)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>], coefficients c: (lr: Scalar, mu: Scalar)) -> Tensor<Scalar> {
        var b = slots[0]
        b *= c.mu
        b += g
        slots[0] = b
        return b * (-c.lr)
    }
}

/// SGD with Nesterov momentum in PyTorch's form (Sutskever et al. 2013, dampening 0):
/// `b ← μ·b + g`, `p ← p − lr_t·(g + μ·b)`.
///
/// Defaults: lr = 1e-3 (PyTorch SGD's), μ = 0.9 (PyTorch requires momentum > 0 for nesterov and
/// has no default; 0.9 is customary). Slot: `momentum_buffer`.
public struct Nesterov<Scalar: TensorScalar>: ElementwiseOptimizer, ValidatedHyperParameters {
    public let name = "nesterov"
    public private(set) var learningRate: Double
    public private(set) var momentum: Double
    public var processing: GradientProcessing

    public init(learningRate: Double = 1e-3, momentum: Double = 0.9, processing: GradientProcessing = GradientProcessing()) throws {
        self.learningRate = learningRate
        self.momentum = momentum
        self.processing = processing
        try validate()
    }
    public var slotNames: [String] { ["momentum_buffer"] }
    public var hyperParameters: [String: Double] {
        processing.hyperParameters.merging(["lr": learningRate, "momentum": momentum]) { $1 }
    }
    public mutating func setHyperParameter(_ name: String, to value: Double) throws { try setValidated(name, value) }
    mutating func assign(_ key: String, _ value: Double) -> Bool {
        switch key {
        case "lr": learningRate = value
        case "momentum": momentum = value
        default: return false
        }
        return true
    }
    func validate() throws {
        try Check.nonNegative(name, "lr", learningRate, usual: "PyTorch's default is 1e-3")
        guard momentum > 0 && momentum < 1 else {
            throw OptimizerError.invalidHyperParameter(optimizer: name, name: "momentum", value: momentum,
                requirement: "must lie in (0, 1) — Nesterov needs momentum; usually 0.9 (use SGD for none)")
        }
        try processing.validate(optimizer: name)
    }
    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> (lr: Scalar, mu: Scalar) {
        (Scalar(lr), Scalar(momentum))
    }
    @_specialize(where Scalar == Float)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>], coefficients c: (lr: Scalar, mu: Scalar)) -> Tensor<Scalar> {
        var b = slots[0]
        b *= c.mu
        b += g
        slots[0] = b
        var d = g
        d.addScaled(b, c.mu)
        return d * (-c.lr)
    }
}
