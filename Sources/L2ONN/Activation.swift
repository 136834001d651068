import L2OCore

/// Elementwise nonlinearities used between layers.
///
/// `identity` is `x`, `relu` is `max(x, 0)`, `tanh` is `tanh x`, `sigmoid` is `1/(1+e^{−x})`,
/// `leakyRelu(slope:)` is `x` for `x > 0` and `slope·x` otherwise.
public enum Activation: Equatable, Sendable, Codable {
    case identity
    case relu
    case tanh
    case sigmoid
    case leakyRelu(slope: Double)

    /// Applies the nonlinearity (one tape node, or none for `identity`).
    @inlinable
    public func callAsFunction<S: TensorScalar>(_ x: Variable<S>) -> Variable<S> {
        switch self {
        case .identity: return x
        case .relu: return L2OCore.relu(x)
        case .tanh: return L2OCore.tanh(x)
        case .sigmoid: return L2OCore.sigmoid(x)
        case let .leakyRelu(slope): return L2OCore.leakyRelu(x, slope: S(slope))
        }
    }
}
