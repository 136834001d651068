import L2OCore

/// A module with one input and one output, so it can be chained in a `Sequential`.
public protocol UnaryModule<Scalar>: Module {
    func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>?) throws -> Variable<Scalar>
}

extension Linear: UnaryModule {}
extension MLP: UnaryModule {}
extension Conv2D: UnaryModule {}
extension MaxPool2D: UnaryModule {}
extension Flatten: UnaryModule {}
extension BatchNorm: UnaryModule {}
extension ResidualBlock: UnaryModule {}

/// A parameter-free module applying an `Activation` (so nonlinearities can sit in a `Sequential`).
public final class ActivationLayer<Scalar: TensorScalar>: UnaryModule {
    public let activation: Activation
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }
    public init(_ activation: Activation) { self.activation = activation }

    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        activation(x)
    }
}

/// Modules applied in order, `y = f_{k−1}(… f₁(f₀(x)))`. Child `K` is named `"K"` (K counts every
/// module, with or without parameters, as in PyTorch's `nn.Sequential`), so a Sequential stored as
/// child `encoder` yields names such as `encoder.0.weight`, `encoder.2.bias`.
public final class Sequential<Scalar: TensorScalar>: UnaryModule {
    public let modules: [any UnaryModule<Scalar>]
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }

    public init(_ modules: [any UnaryModule<Scalar>]) { self.modules = modules }

    public var children: NamedChildren<Scalar> {
        modules.enumerated().map { ("\($0.offset)", $0.element) }
    }

    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        let ctx = context ?? .default(for: x)
        var h = x
        for m in modules { h = try m(h, context: ctx) }
        return h
    }
}
