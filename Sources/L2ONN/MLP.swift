import L2OCore

/// A multilayer perceptron: `Linear → act → … → Linear → outputActivation`.
///
/// `sizes = [in, h₁, …, out]` gives `sizes.count − 1` linear layers named `layers.K` (K = 0, 1, …
/// counts linear layers only; activations hold no parameters and take no index), so the
/// parameters are `layers.0.weight, layers.0.bias, layers.1.weight, …`.
public final class MLP<Scalar: TensorScalar>: Module {
    public let sizes: [Int]
    public let layers: [Linear<Scalar>]
    /// Applied after every layer but the last.
    public let activation: Activation
    /// Applied after the last layer.
    public let outputActivation: Activation
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }

    public init(
        sizes: [Int], activation: Activation = .relu, outputActivation: Activation = .identity,
        bias: Bool = true, rng: inout RandomState
    ) throws {
        try requireArgument(sizes.count >= 2, "MLP", "need at least input and output sizes, got \(sizes)")
        self.sizes = sizes
        self.activation = activation
        self.outputActivation = outputActivation
        var ls = [Linear<Scalar>]()
        for k in 0..<(sizes.count - 1) { ls.append(try Linear(sizes[k], sizes[k + 1], bias: bias, rng: &rng)) }
        layers = ls
    }

    public var children: NamedChildren<Scalar> {
        layers.enumerated().map { ("layers.\($0.offset)", $0.element) }
    }

    /// Runs the layers in order; throws `shapeMismatch` unless `x` is `[*, sizes[0]]`.
    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        let ctx = context ?? .default(for: x)
        var h = x
        for (k, layer) in layers.enumerated() {
            h = try layer(h, context: ctx)
            h = k == layers.count - 1 ? outputActivation(h) : activation(h)
        }
        return h
    }
}
