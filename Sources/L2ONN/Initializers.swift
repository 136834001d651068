import L2OCore

/// Seeded weight initialisers. All draw from the project's `RandomState`, so the same seed gives
/// the same weights in Float and Double (up to rounding) on every machine.
public enum Initializer {
    /// `U(−b, b)` with `b = 1/√fanIn` (PyTorch's default for linear and convolution layers).
    public static func fanInUniform<S: TensorScalar>(_ shape: [Int], fanIn: Int, rng: inout RandomState) -> Tensor<S> {
        let b = 1 / S.sqrt(S(Swift.max(fanIn, 1)))
        return Tensor.uniform(shape, low: -b, high: b, rng: &rng)
    }

    /// Glorot/Xavier uniform: `U(−b, b)` with `b = √(6/(fanIn + fanOut))` (Glorot & Bengio, 2010).
    public static func glorotUniform<S: TensorScalar>(_ shape: [Int], fanIn: Int, fanOut: Int, rng: inout RandomState) -> Tensor<S> {
        let b = S.sqrt(6 / S(Swift.max(fanIn + fanOut, 1)))
        return Tensor.uniform(shape, low: -b, high: b, rng: &rng)
    }
}
