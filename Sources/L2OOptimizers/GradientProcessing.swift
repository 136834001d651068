import L2OCore

/// Which parameters decoupled weight decay applies to, decided from the full name and the shape.
///
/// Common practice excludes biases and normalization scales/offsets, which are exactly the rank-1
/// parameters of `Linear`, `Conv2D` and `BatchNorm`: use `.excludingRankOne`. Name-based rules
/// use `.excluding { name in name.hasSuffix(".bias") }`.
public struct WeightDecayFilter: Sendable {
    public let decays: @Sendable (_ name: String, _ shape: [Int]) -> Bool
    public init(_ decays: @escaping @Sendable (_ name: String, _ shape: [Int]) -> Bool) { self.decays = decays }
    /// Every parameter decays (PyTorch's behaviour).
    public static let all = WeightDecayFilter { _, _ in true }
    /// Parameters of rank ≤ 1 (biases, norm scales and offsets) do not decay.
    public static let excludingRankOne = WeightDecayFilter { _, shape in shape.count > 1 }
    /// Parameters whose name satisfies `predicate` do not decay.
    public static func excluding(where predicate: @escaping @Sendable (String) -> Bool) -> WeightDecayFilter {
        WeightDecayFilter { name, _ in !predicate(name) }
    }
}

/// What every gradient-based optimizer does around its own rule, in this order:
///
/// 1. **Global-norm clipping** (Pascanu et al. 2013): with `G = sqrt(Σ_p ‖g_p‖²)` over all
///    parameters with a gradient, every `g_p` is scaled by `c/G` when `G > c` (`clipNorm = c`).
/// 2. The optimizer's rule gives the change `Δ_p` from the (clipped) gradient.
/// 3. **Decoupled weight decay** (Loshchilov & Hutter 2019, AdamW):
///    `p ← p + Δ_p − lr_t·λ·p` for parameters the filter admits (λ = `weightDecay`).
/// 4. **Non-finite guard**: if the loss in the step context, the gradient norm, any new parameter
///    value or any new state entry is NaN or ±∞, nothing is changed, the step is counted in
///    `OptimizerState.skippedSteps` and reported in `StepReport`.
///
/// The learning rate is `lr_t = lr · schedule.multiplier(t)` with `t` the context's iteration.
public struct GradientProcessing: Sendable {
    public var schedule: LearningRateSchedule
    /// Global-norm clipping threshold `c`; nil disables clipping.
    public var clipNorm: Double?
    /// Decoupled weight decay `λ ≥ 0` (0 disables it).
    public var weightDecay: Double
    public var weightDecayFilter: WeightDecayFilter
    /// Whether the non-finite guard is on (default). Off, non-finite updates are applied as computed.
    public var skipNonFiniteUpdates: Bool

    public init(schedule: LearningRateSchedule = .constant, clipNorm: Double? = nil, weightDecay: Double = 0,
                weightDecayFilter: WeightDecayFilter = .all, skipNonFiniteUpdates: Bool = true) {
        self.schedule = schedule
        self.clipNorm = clipNorm
        self.weightDecay = weightDecay
        self.weightDecayFilter = weightDecayFilter
        self.skipNonFiniteUpdates = skipNonFiniteUpdates
    }

    /// Throws `invalidHyperParameter` for a non-positive clip norm, negative weight decay or a bad schedule.
    public func validate(optimizer: String) throws {
        if let c = clipNorm, !(c > 0 && c.isFinite) {
            throw OptimizerError.invalidHyperParameter(
                optimizer: optimizer, name: "clip_norm", value: c, requirement: "must be positive and finite (e.g. 1.0), or nil to disable clipping")
        }
        guard weightDecay >= 0 && weightDecay.isFinite else {
            throw OptimizerError.invalidHyperParameter(
                optimizer: optimizer, name: "weight_decay", value: weightDecay, requirement: "must be ≥ 0 (AdamW's default is 0.01; 0 disables it)")
        }
        try schedule.validate(optimizer: optimizer)
    }
}

/// Global gradient norm `sqrt(Σ_p ‖g_p‖²)` (accumulated in Double).
@inlinable
@_specialize(where S == Float)
@_specialize(where S == Double)
public func globalNorm<S: TensorScalar>(_ tensors: [Tensor<S>]) -> Double {
    var s = 0.0
    for t in tensors {
        t.withUnsafeBufferPointer { p in
            for x in p { let d = Double(x); s += d * d }
        }
    }
    return s.squareRoot()
}

/// Scales every tensor by `c/G` when their global norm `G` exceeds `c`; returns the tensors and `G`.
public func clipByGlobalNorm<S: TensorScalar>(_ tensors: [Tensor<S>], maxNorm c: Double) -> (tensors: [Tensor<S>], norm: Double) {
    let g = globalNorm(tensors)
    guard g > c, g.isFinite else { return (tensors, g) }
    let scale = S(c / g)
    return (tensors.map { $0 * scale }, g)
}
