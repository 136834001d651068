import L2OCore

/// Runs `body(i, g, s0, s1)` over the elements of a gradient and two state tensors, writing the
/// change into the returned tensor; `s0`, `s1` are updated in place. One pass, no temporaries.
@inlinable
func elementwise2<S: TensorScalar>(
    _ g: Tensor<S>, _ s0: inout Tensor<S>, _ s1: inout Tensor<S>,
    _ body: (S, inout S, inout S) -> S
) -> Tensor<S> {
    let n = g.count
    return Tensor(shape: g.shape) { out in
        g.withUnsafeBufferPointer { gp in
            s0.withUnsafeMutableBufferPointer { a in
                s1.withUnsafeMutableBufferPointer { b in
                    for i in 0..<n { out[i] = body(gp[i], &a[i], &b[i]) }
                }
            }
        }
    }
}

/// One-state variant of `elementwise2`.
@inlinable
func elementwise1<S: TensorScalar>(_ g: Tensor<S>, _ s0: inout Tensor<S>, _ body: (S, inout S) -> S) -> Tensor<S> {
    let n = g.count
    return Tensor(shape: g.shape) { out in
        g.withUnsafeBufferPointer { gp in
            s0.withUnsafeMutableBufferPointer { a in
                for i in 0..<n { out[i] = body(gp[i], &a[i]) }
            }
        }
    }
}
