import L2OCore

/// A reference minimizer `x*` and optimal value `F* = F(x*)`, with the KKT residual certifying it.
public struct ReferenceOptimum<Scalar: TensorScalar>: Sendable, Equatable {
    /// The minimizer, shape `[d]`.
    public var x: Tensor<Scalar>
    /// `F(x*)`, evaluated in Double.
    public var value: Double
    /// `‖dist(−∇f(x*), ∂r(x*))‖₂` (see `Optimizee.kktResidual(at:)`), evaluated in Double.
    public var kktResidual: Double
    /// Solver iterations spent.
    public var iterations: Int

    public init(x: Tensor<Scalar>, value: Double, kktResidual: Double, iterations: Int) {
        self.x = x
        self.value = value
        self.kktResidual = kktResidual
        self.iterations = iterations
    }

    /// The same optimum in another scalar type.
    public func cast<T: TensorScalar>(to: T.Type = T.self) -> ReferenceOptimum<T> {
        ReferenceOptimum<T>(x: x.cast(), value: value, kktResidual: kktResidual, iterations: iterations)
    }
}

/// A composite finite-sum objective
/// ```
/// F(x) = Σ_s α_s f_s(x) + r(x),   x ∈ R^d,  s = 0..<shardCount
/// ```
/// with smooth shards `f_s` and a proximable regularizer `r`. A shard is a node of a decentralized
/// problem (then `α_s = 1/n`), a sub-batch for BADM, or the whole data for SGD.
///
/// Conformers provide the per-shard oracles; batched versions over a node matrix `X ∈ R^{n×d}`
/// (row `i` is `x_i`, `n = shardCount`) default to a loop over shards and may be overridden with
/// fused kernels. The gradient is also available as a tape op whose backward is the
/// Hessian-vector product (`gradient(shard:at:)` on a `Variable`), so meta-training can
/// differentiate through `∇f_s`.
public protocol Optimizee<Scalar> {
    associatedtype Scalar: TensorScalar
    /// The problem dimension `d`.
    var dimension: Int { get }
    /// The number of shards.
    var shardCount: Int { get }
    /// The weights `α_s`, one per shard.
    var shardWeights: [Scalar] { get }
    /// The non-smooth part `r`.
    var regularizer: Regularizer<Scalar> { get }
    /// `(x*, F*)` when it has been computed.
    var referenceOptimum: ReferenceOptimum<Scalar>? { get }

    /// `f_s(x)` for `x` of shape `[d]`.
    func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar
    /// `∇f_s(x)`, shape `[d]`.
    func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar>
    /// `∇²f_s(x) v`, shape `[d]`.
    func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar>
    /// Row `i` is `∇f_i(x_i)` for the node matrix `X` of shape `[shardCount, d]`.
    func gradients(at X: Tensor<Scalar>) -> Tensor<Scalar>
    /// Row `i` is `∇²f_i(x_i) v_i`, all of shape `[shardCount, d]`.
    func hessianVectorProducts(at X: Tensor<Scalar>, directions V: Tensor<Scalar>) -> Tensor<Scalar>
    /// The smooth part `Σ_s α_s f_s(x)`.
    func smoothValue(at x: Tensor<Scalar>) -> Scalar
    /// `Σ_s α_s ∇f_s(x)`.
    func smoothGradient(at x: Tensor<Scalar>) -> Tensor<Scalar>
}

extension Optimizee {
    /// Loops over shards; override with a fused kernel where one exists.
    public func gradients(at X: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(X.shape == [shardCount, dimension], "gradients: X must be \([shardCount, dimension]), got \(X.shape)")
        let d = dimension
        var out = Tensor<Scalar>.zeros([shardCount, d])
        for s in 0..<shardCount {
            let g = gradient(shard: s, at: X.rows(s..<(s + 1)).reshaped([d]))
            out.scalars.replaceSubrange((s * d)..<((s + 1) * d), with: g.scalars)
        }
        return out
    }

    /// Loops over shards; override with a fused kernel where one exists.
    public func hessianVectorProducts(at X: Tensor<Scalar>, directions V: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(X.shape == [shardCount, dimension] && V.shape == X.shape,
                     "hessianVectorProducts: X and V must be \([shardCount, dimension]), got \(X.shape), \(V.shape)")
        let d = dimension
        var out = Tensor<Scalar>.zeros([shardCount, d])
        for s in 0..<shardCount {
            let hv = hessianVectorProduct(
                shard: s, at: X.rows(s..<(s + 1)).reshaped([d]), direction: V.rows(s..<(s + 1)).reshaped([d]))
            out.scalars.replaceSubrange((s * d)..<((s + 1) * d), with: hv.scalars)
        }
        return out
    }

    /// `Σ_s α_s f_s(x)` by a loop over shards.
    public func smoothValue(at x: Tensor<Scalar>) -> Scalar {
        let w = shardWeights
        var total: Scalar = 0
        for s in 0..<shardCount { total += w[s] * smoothValue(shard: s, at: x) }
        return total
    }

    /// `Σ_s α_s ∇f_s(x)` by a loop over shards.
    public func smoothGradient(at x: Tensor<Scalar>) -> Tensor<Scalar> {
        let w = shardWeights
        var g = Tensor<Scalar>.zeros([dimension])
        for s in 0..<shardCount { g.addScaled(gradient(shard: s, at: x), w[s]) }
        return g
    }

    /// The full objective `F(x) = Σ_s α_s f_s(x) + r(x)`.
    public func value(_ x: Tensor<Scalar>) -> Scalar { smoothValue(at: x) + regularizer.value(x) }

    /// `prox_{t·r}(v)`.
    public func prox(_ v: Tensor<Scalar>, step t: Scalar) -> Tensor<Scalar> { regularizer.prox(v, step: t) }

    /// The KKT residual `‖dist(−∇f(x), ∂r(x))‖₂` with `f = Σ_s α_s f_s` (per coordinate as in
    /// `Regularizer.optimalityViolation`): zero exactly at a minimizer of the convex `F`.
    public func kktResidual(at x: Tensor<Scalar>) -> Scalar {
        regularizer.optimalityViolation(at: x, gradient: smoothGradient(at: x)).norm()
    }

    /// `F(x) − F*` when a reference optimum is known.
    public func optimalityGap(_ x: Tensor<Scalar>) -> Double? {
        referenceOptimum.map { Double(value(x)) - $0.value }
    }
}
