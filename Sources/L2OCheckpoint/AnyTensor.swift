import L2OCore

/// A tensor whose element type (float32 or float64) is known only at run time, as in a file.
public enum AnyTensor: Equatable, Sendable {
    case float32(Tensor<Float>)
    case float64(Tensor<Double>)

    /// Wraps a typed tensor, keeping its element type.
    public init<S: TensorScalar>(_ tensor: Tensor<S>) {
        if let t = tensor as? Tensor<Float> {
            self = .float32(t)
        } else if let t = tensor as? Tensor<Double> {
            self = .float64(t)
        } else {
            self = .float64(tensor.cast(to: Double.self))
        }
    }

    /// The extent of each dimension (`[]` for a scalar).
    public var shape: [Int] {
        switch self {
        case .float32(let t): return t.shape
        case .float64(let t): return t.shape
        }
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// `float32` or `float64`.
    public var dtypeName: String {
        switch self {
        case .float32: return Float.dtypeName
        case .float64: return Double.dtypeName
        }
    }

    /// The tensor with element type `S`: the stored tensor itself (bit-exact) when the types
    /// agree, otherwise converted elementwise (float64 → float32 rounds to nearest).
    public func tensor<S: TensorScalar>(as type: S.Type = S.self) -> Tensor<S> {
        switch self {
        case .float32(let t): return (t as? Tensor<S>) ?? t.cast(to: S.self)
        case .float64(let t): return (t as? Tensor<S>) ?? t.cast(to: S.self)
        }
    }

    /// The elements widened to Double (exact for both types), for statistics.
    public var doubleScalars: [Double] {
        switch self {
        case .float32(let t): return t.scalars.map(Double.init)
        case .float64(let t): return t.scalars
        }
    }

    /// Number of NaN or infinite elements.
    public var nonFiniteCount: Int {
        switch self {
        case .float32(let t): return t.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        case .float64(let t): return t.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        }
    }
}
