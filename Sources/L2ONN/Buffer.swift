import L2OCore

/// Non-trainable module state that belongs in a checkpoint (e.g. BatchNorm's running statistics).
///
/// Buffers never receive gradients and are not returned by `namedParameters()`; they are listed by
/// `namedBuffers()` and loaded with `loadBuffers(_:)` / `loadState(_:)`.
public final class Buffer<Scalar: TensorScalar> {
    public var value: Tensor<Scalar>
    public init(_ value: Tensor<Scalar>) { self.value = value }
    public var shape: [Int] { value.shape }
}
