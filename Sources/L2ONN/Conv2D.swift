import L2OCore

/// A 2-D convolution layer over NCHW batches (see `conv2d` for the equation and the fused kernel).
///
/// Parameters: `weight [outC, inC, k, k]` and, unless `bias: false`, `bias [outC]`.
/// Initialisation: `U(−1/√(inC·k²), 1/√(inC·k²))` (PyTorch's default).
public final class Conv2D<Scalar: TensorScalar>: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?
    public var isTraining = true
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }

    public init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, rng: inout RandomState
    ) throws {
        try requireArgument(inChannels > 0 && outChannels > 0 && kernelSize > 0, "Conv2D",
                            "channels and kernel size must be positive, got \(inChannels) → \(outChannels), kernel \(kernelSize)")
        try requireArgument(stride > 0 && padding >= 0, "Conv2D",
                            "stride must be positive and padding non-negative, got stride \(stride), padding \(padding)")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let fanIn = inChannels * kernelSize * kernelSize
        weight = Parameter(Initializer.fanInUniform([outChannels, inChannels, kernelSize, kernelSize], fanIn: fanIn, rng: &rng))
        self.bias = bias ? Parameter(Initializer.fanInUniform([outChannels], fanIn: fanIn, rng: &rng)) : nil
    }

    public var localParameters: NamedParameters<Scalar> {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Output spatial size for an input of `height × width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernelSize) / stride + 1, (width + 2 * padding - kernelSize) / stride + 1)
    }

    /// Throws `shapeMismatch` unless `x` is `[*, inC, *, *]`.
    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        try requireShape(x.shape, [nil, inChannels, nil, nil], "Conv2D(\(inChannels) → \(outChannels)) input")
        let ctx = context ?? .default(for: x)
        return try conv2d(x, weight: ctx.variable(weight), bias: bias.map { ctx.variable($0) }, stride: stride, padding: padding)
    }
}
