import L2OCore

/// The basic residual block of He et al. (2016), "Deep Residual Learning for Image Recognition":
/// ```
/// y = relu( BN₂(conv₂(relu(BN₁(conv₁(x))))) + shortcut(x) )
/// ```
/// `conv₁` is 3×3 with the block's stride, `conv₂` is 3×3 with stride 1 (both padding 1, no bias).
/// `shortcut(x) = x` when channels and stride are unchanged, otherwise the projection
/// `BN_d(conv_d(x))` with a 1×1 convolution of the block's stride.
///
/// Names (as in torchvision): `conv1.weight`, `bn1.weight`, `bn1.bias`, `conv2.weight`,
/// `bn2.weight`, `bn2.bias`, and for the projection `downsample.0.weight`, `downsample.1.weight`,
/// `downsample.1.bias`; buffers `bn1.running_mean`, `bn1.running_var`, … likewise.
public final class ResidualBlock<Scalar: TensorScalar>: Module {
    public let inChannels: Int
    public let outChannels: Int
    public let stride: Int
    public let conv1: Conv2D<Scalar>
    public let bn1: BatchNorm<Scalar>
    public let conv2: Conv2D<Scalar>
    public let bn2: BatchNorm<Scalar>
    /// The projection shortcut, present when channels or stride change.
    public let downsample: (conv: Conv2D<Scalar>, bn: BatchNorm<Scalar>)?
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }

    /// `batchNormMomentum` is the running-statistics momentum of the block's BatchNorm layers.
    public init(inChannels: Int, outChannels: Int, stride: Int = 1, batchNormMomentum: Scalar = 0.1, rng: inout RandomState) throws {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.stride = stride
        conv1 = try Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, rng: &rng)
        bn1 = try BatchNorm(featureCount: outChannels, momentum: batchNormMomentum)
        conv2 = try Conv2D(inChannels: outChannels, outChannels: outChannels, kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng)
        bn2 = try BatchNorm(featureCount: outChannels, momentum: batchNormMomentum)
        if stride != 1 || inChannels != outChannels {
            downsample = (try Conv2D(inChannels: inChannels, outChannels: outChannels, kernelSize: 1, stride: stride, padding: 0, bias: false, rng: &rng),
                          try BatchNorm(featureCount: outChannels, momentum: batchNormMomentum))
        } else {
            downsample = nil
        }
    }

    public var children: NamedChildren<Scalar> {
        var c: NamedChildren<Scalar> = [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
        if let d = downsample { c += [("downsample.0", d.conv), ("downsample.1", d.bn)] }
        return c
    }

    /// Throws `shapeMismatch` unless `x` is `[*, inC, *, *]`.
    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        try requireShape(x.shape, [nil, inChannels, nil, nil], "ResidualBlock(\(inChannels) → \(outChannels)) input")
        let ctx = context ?? .default(for: x)
        var h = relu(try bn1(try conv1(x, context: ctx), context: ctx))
        h = try bn2(try conv2(h, context: ctx), context: ctx)
        let shortcut = try downsample.map { try $0.bn(try $0.conv(x, context: ctx), context: ctx) } ?? x
        return relu(h + shortcut)
    }
}
