import L2OCore

/// Batch normalisation layer for `[B, F]` features or `[B, C, H, W]` images (channel axis 1);
/// see `batchNorm` for the equations and the fused kernel.
///
/// - Training: normalises with batch statistics and updates the running statistics like PyTorch,
///   `r ← (1 − momentum)·r + momentum·s` with `s` the batch mean and the *unbiased* batch variance
///   `σ²·m/(m−1)` (`m` elements per channel; `m = 1` throws).
/// - Evaluation: normalises with the running statistics.
///
/// Parameters: `weight` (γ, init 1) and `bias` (β, init 0), both `[C]`.
/// Buffers: `running_mean` (init 0) and `running_var` (init 1), both `[C]`.
/// The running statistics are plain values, never on the tape; every training-mode forward
/// updates them, including forwards with substituted parameters (`ForwardContext`) and
/// no-grad forwards — unless `tracksRunningStatistics` is off, which makes training-mode forwards
/// pure functions of the input and the parameters (no state is written, so they may run
/// concurrently).
public final class BatchNorm<Scalar: TensorScalar>: Module {
    public let featureCount: Int
    public let momentum: Scalar
    public let epsilon: Scalar
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    public let runningMean: Buffer<Scalar>
    public let runningVariance: Buffer<Scalar>
    public var isTraining = true
    /// Whether training-mode forwards update the running statistics (default `true`).
    public var tracksRunningStatistics = true
    public var children: NamedChildren<Scalar> { [] }

    public init(featureCount: Int, momentum: Scalar = 0.1, epsilon: Scalar = 1e-5) throws {
        try requireArgument(featureCount > 0, "BatchNorm", "feature count must be positive, got \(featureCount)")
        try requireArgument(momentum >= 0 && momentum <= 1 && epsilon > 0, "BatchNorm",
                            "need 0 ≤ momentum ≤ 1 and epsilon > 0, got \(momentum), \(epsilon)")
        self.featureCount = featureCount
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(.ones([featureCount]))
        bias = Parameter(.zeros([featureCount]))
        runningMean = Buffer(.zeros([featureCount]))
        runningVariance = Buffer(.ones([featureCount]))
    }

    public var localParameters: NamedParameters<Scalar> { [("weight", weight), ("bias", bias)] }
    public var localBuffers: NamedBuffers<Scalar> {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }

    /// Throws `shapeMismatch` unless `x` is `[B, C]` or `[B, C, …]` with `C = featureCount`.
    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        guard x.shape.count >= 2, x.shape[1] == featureCount else {
            throw NNError.shapeMismatch(operation: "BatchNorm(\(featureCount)) input",
                                        expected: "[*, \(featureCount)] or [*, \(featureCount), …]", actual: x.shape)
        }
        let ctx = context ?? .default(for: x)
        let gamma = ctx.variable(weight), beta = ctx.variable(bias)
        if !isTraining {
            return try batchNorm(x, gamma: gamma, beta: beta, epsilon: epsilon,
                                 runningStatistics: (runningMean.value, runningVariance.value)).output
        }
        let m = x.value.count / featureCount
        try requireArgument(m > 1, "BatchNorm(\(featureCount))",
                            "training needs more than one value per channel, got input \(x.shape); use eval() for single samples")
        let r = try batchNorm(x, gamma: gamma, beta: beta, epsilon: epsilon)
        guard tracksRunningStatistics else { return r.output }
        let unbiased = Scalar(m) / Scalar(m - 1)
        runningMean.value = runningMean.value * (1 - momentum) + r.mean * momentum
        runningVariance.value = runningVariance.value * (1 - momentum) + r.variance * (momentum * unbiased)
        return r.output
    }
}
