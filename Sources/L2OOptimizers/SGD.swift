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

/// Which update `MomentumSGD` applies after `b ← μ·b + g`.
public protocol MomentumVariant {
    /// The optimizer's short name.
    static var name: String { get }
    /// Nesterov's look-ahead `p ← p − lr_t·(g + μ·b)` instead of heavy ball `p ← p − lr_t·b`.
    static var isNesterov: Bool { get }
}

/// Heavy-ball momentum (Polyak 1964): `p ← p − lr_t·b`.
public enum HeavyBall: MomentumVariant {
    public static let name = "momentum"
    public static let isNesterov = false
}

/// Nesterov momentum in PyTorch's form (Sutskever et al. 2013): `p ← p − lr_t·(g + μ·b)`.
public enum NesterovMomentum: MomentumVariant {
    public static let name = "nesterov"
    public static let isNesterov = true
}

/// SGD with momentum as PyTorch's `torch.optim.SGD(momentum: μ, nesterov: …)` computes it
/// (dampening 0): `b ← μ·b + g` (b⁰ = 0, so b¹ = g), then
/// `p ← p − lr_t·b` (`Momentum`, heavy ball) or `p ← p − lr_t·(g + μ·b)` (`Nesterov`).
///
/// Defaults: lr = 1e-3 (PyTorch SGD's), μ = 0.9 (PyTorch's default momentum is 0, i.e. plain
/// SGD, and Nesterov has no default; 0.9 is the customary value). Nesterov needs μ > 0.
/// Slot: `momentum_buffer`.
public struct MomentumSGD<Scalar: TensorScalar, Variant: MomentumVariant>: ElementwiseOptimizer, ValidatedHyperParameters {
    public var name: String { Variant.name }
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
        if Variant.isNesterov {
            guard momentum > 0 && momentum < 1 else {
                throw OptimizerError.invalidHyperParameter(optimizer: name, name: "momentum", value: momentum,
                    requirement: "must lie in (0, 1) — Nesterov needs momentum; usually 0.9 (use SGD for none)")
            }
        } else {
            try Check.unitInterval(name, "momentum", momentum, usual: "usually 0.9")
        }
        try processing.validate(optimizer: name)
    }
    public func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> (lr: Scalar, mu: Scalar) {
        (Scalar(lr), Scalar(momentum))
    }
    @_specialize(where Scalar == Float, Variant == HeavyBall)
    @_specialize(where Scalar == Float, Variant == NesterovMomentum)
    public func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>], coefficients c: (lr: Scalar, mu: Scalar)) -> Tensor<Scalar> {
        var b = slots[0]
        b *= c.mu
        b += g
        slots[0] = b
        guard Variant.isNesterov else { return b * (-c.lr) }
        var d = g
        d.addScaled(b, c.mu)
        return d * (-c.lr)
    }
}

/// SGD with heavy-ball momentum (see `MomentumSGD`).
public typealias Momentum<Scalar: TensorScalar> = MomentumSGD<Scalar, HeavyBall>
/// SGD with Nesterov momentum (see `MomentumSGD`).
public typealias Nesterov<Scalar: TensorScalar> = MomentumSGD<Scalar, NesterovMomentum>
