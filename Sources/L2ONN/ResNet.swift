import L2OCore

/// Global average pooling over the spatial axes: `y[n, c] = (1/HW) Σ_{h,w} x[n, c, h, w]`.
/// Throws `shapeMismatch` unless `x` is `[N, C, H, W]`.
@inlinable
public func globalAveragePool2d<S>(_ x: Variable<S>) throws -> Variable<S> {
    try requireShape(x.shape, [nil, nil, nil, nil], "globalAveragePool2d input")
    let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    return x.reshaped([n, c, hw]).mean(axis: 2)
}

/// The residual network for small images of He et al. (2016, §4.2), "Deep Residual Learning for
/// Image Recognition":
/// ```
/// h₀ = relu(BN(conv3×3(x)))                                   inC → w₀ channels, stride 1
/// stage s = 0 … S−1: `blocksPerStage` `ResidualBlock`s of width w_s; the first block of every
///                    stage s ≥ 1 has stride 2 (and a 1×1 projection shortcut)
/// logits = Linear(globalAveragePool(h), w_{S−1} → classes)
/// ```
/// With widths 16/32/64, one block per stage, 3 input channels and 10 classes it has 78,042
/// parameters (the ResNet of [MiLoDo] App. E.2); with one input channel (Fashion-MNIST) 77,754.
///
/// Names as in torchvision: `conv1.weight`, `bn1.weight`, `bn1.bias`, `layer1.0.conv1.weight`, …
/// (stage `s` is `layer{s+1}`, block `b` is `.b`), `fc.weight`, `fc.bias`.
public final class ResNet<Scalar: TensorScalar>: Module, UnaryModule {
    public let inChannels: Int
    public let widths: [Int]
    public let blocksPerStage: Int
    public let classCount: Int
    public let conv1: Conv2D<Scalar>
    public let bn1: BatchNorm<Scalar>
    /// `stages[s][b]` is block `b` of stage `s`.
    public let stages: [[ResidualBlock<Scalar>]]
    public let fc: Linear<Scalar>
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }

    /// Throws `invalidArgument` for non-positive sizes or no stage.
    public init(inChannels: Int, widths: [Int] = [16, 32, 64], blocksPerStage: Int = 1, classCount: Int,
                batchNormMomentum: Scalar = 0.1, rng: inout RandomState) throws {
        try requireArgument(inChannels > 0 && classCount > 0 && blocksPerStage > 0 && !widths.isEmpty && widths.allSatisfy { $0 > 0 }, "ResNet",
                            "need positive channels, classes, blocks per stage and at least one stage width, got in \(inChannels), widths \(widths), \(blocksPerStage) block(s), \(classCount) classes")
        self.inChannels = inChannels
        self.widths = widths
        self.blocksPerStage = blocksPerStage
        self.classCount = classCount
        conv1 = try Conv2D(inChannels: inChannels, outChannels: widths[0], kernelSize: 3, stride: 1, padding: 1, bias: false, rng: &rng)
        bn1 = try BatchNorm(featureCount: widths[0], momentum: batchNormMomentum)
        var stages = [[ResidualBlock<Scalar>]]()
        var channels = widths[0]
        for (s, width) in widths.enumerated() {
            var blocks = [ResidualBlock<Scalar>]()
            for b in 0..<blocksPerStage {
                blocks.append(try ResidualBlock(inChannels: channels, outChannels: width, stride: s > 0 && b == 0 ? 2 : 1,
                                                batchNormMomentum: batchNormMomentum, rng: &rng))
                channels = width
            }
            stages.append(blocks)
        }
        self.stages = stages
        fc = try Linear(channels, classCount, rng: &rng)
    }

    public var children: NamedChildren<Scalar> {
        var c: NamedChildren<Scalar> = [("conv1", conv1), ("bn1", bn1)]
        for (s, blocks) in stages.enumerated() {
            for (b, block) in blocks.enumerated() { c.append(("layer\(s + 1).\(b)", block)) }
        }
        c.append(("fc", fc))
        return c
    }

    /// Every BatchNorm layer of the network, in forward order.
    public var batchNormLayers: [BatchNorm<Scalar>] {
        [bn1] + stages.joined().flatMap { block in [block.bn1, block.bn2] + (block.downsample.map { [$0.bn] } ?? []) }
    }

    /// Sets `tracksRunningStatistics` on every BatchNorm layer.
    public func trackRunningStatistics(_ on: Bool) {
        for bn in batchNormLayers { bn.tracksRunningStatistics = on }
    }

    /// Logits `[N, classes]` of images `[N, inC, H, W]`; throws `shapeMismatch` for another input shape.
    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        try requireShape(x.shape, [nil, inChannels, nil, nil], "ResNet(\(inChannels) channels) input")
        let ctx = context ?? .default(for: x)
        var h = relu(try bn1(try conv1(x, context: ctx), context: ctx))
        for block in stages.joined() { h = try block(h, context: ctx) }
        return try fc(try globalAveragePool2d(h), context: ctx)
    }
}
