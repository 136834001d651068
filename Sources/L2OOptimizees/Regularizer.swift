import L2OCore

/// The non-smooth, proximable part `r` of a composite objective `F(x) = Σ_s α_s f_s(x) + r(x)`.
public enum Regularizer<Scalar: TensorScalar>: Sendable, Equatable {
    /// `r ≡ 0`.
    case none
    /// `r(x) = λ‖x‖₁` with `λ ≥ 0`.
    case l1(Scalar)

    /// The ℓ₁ weight λ (0 for `.none`).
    @inlinable public var lambda: Scalar {
        switch self {
        case .none: return 0
        case .l1(let l): return l
        }
    }

    /// `r(x)`.
    @inlinable
    public func value(_ x: Tensor<Scalar>) -> Scalar {
        switch self {
        case .none: return 0
        case .l1(let l): return l * x.norm1()
        }
    }

    /// `prox_{t·r}(v) = argmin_u r(u) + ‖u − v‖²/(2t)`: the identity for `.none`, the soft threshold
    /// `sign(v)·max(|v| − tλ, 0)` for `λ‖·‖₁`.
    @inlinable
    public func prox(_ v: Tensor<Scalar>, step t: Scalar) -> Tensor<Scalar> {
        switch self {
        case .none: return v
        case .l1(let l): return softThreshold(v, t * l)
        }
    }

    /// The prox as a tape op (`softThreshold` with a constant threshold for λ‖·‖₁); its backward is
    /// `1[|v| > tλ]`.
    @inlinable
    public func prox(_ v: Variable<Scalar>, step t: Scalar) -> Variable<Scalar> {
        switch self {
        case .none: return v
        case .l1(let l): return softThreshold(v, t * l)
        }
    }

    /// A subgradient of `r` at `x` (for λ‖·‖₁: `λ·sign(x)`, 0 at 0), used as the backward of `F`.
    @inlinable
    public func subgradient(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        switch self {
        case .none: return .zeros(x.shape)
        case .l1(let l): return sign(x) * l
        }
    }

    /// Per coordinate, the distance from `−g` to the subdifferential `∂r(x)`:
    /// for `.none` `|g_j|`; for λ‖·‖₁ `|g_j + λ·sign(x_j)|` where `x_j ≠ 0` and `max(|g_j| − λ, 0)`
    /// where `x_j = 0`. With `g = ∇(Σα_s f_s)(x)` this is zero exactly at a minimizer (`0 ∈ ∇f + ∂r`).
    @inlinable
    public func optimalityViolation(at x: Tensor<Scalar>, gradient g: Tensor<Scalar>) -> Tensor<Scalar> {
        switch self {
        case .none:
            return abs(g)
        case .l1(let l):
            return x.zipWith(g) { xj, gj in
                xj == 0 ? Swift.max(Swift.abs(gj) - l, 0) : Swift.abs(gj + (xj > 0 ? l : -l))
            }
        }
    }
}
