import L2OCore

/// A fully connected layer `y = x W + b`.
///
/// Shapes: `x [B, in]`, `weight [in, out]` (note: the transpose of PyTorch's layout, matching
/// Core's fused `linear`), `bias [out]`, `y [B, out]`. Parameter names: `weight`, `bias`.
/// Initialisation: `U(−1/√in, 1/√in)` for both (PyTorch's default).
public final class Linear<Scalar: TensorScalar>: Module {
    public let inputSize: Int
    public let outputSize: Int
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?
    public var isTraining = true
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }

    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, rng: inout RandomState) throws {
        try requireArgument(inputSize > 0 && outputSize > 0, "Linear",
                            "sizes must be positive, got \(inputSize) → \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        weight = Parameter(Initializer.fanInUniform([inputSize, outputSize], fanIn: inputSize, rng: &rng))
        self.bias = bias ? Parameter(Initializer.fanInUniform([outputSize], fanIn: inputSize, rng: &rng)) : nil
    }

    public var localParameters: NamedParameters<Scalar> {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `x W + b`; throws `shapeMismatch` unless `x` is `[*, in]`.
    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        try requireShape(x.shape, [nil, inputSize], "Linear(\(inputSize) → \(outputSize)) input")
        let ctx = context ?? .default(for: x)
        return linear(x, ctx.variable(weight), bias.map { ctx.variable($0) })
    }
}
