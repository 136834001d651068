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

/// Whether every element of every tensor is finite. Branch-free (`x − x` is 0 for a finite `x`
/// and NaN for ±∞ or NaN), so the loop vectorizes; specialized so that the generic optimizer
/// step does not pay a dynamic call per element.
@_specialize(where S == Float)
@_specialize(where S == Double)
func allFinite<S: TensorScalar>(_ tensors: [Tensor<S>]) -> Bool {
    for t in tensors {
        let finite = t.withUnsafeBufferPointer { p -> Bool in
            var acc: S = 0
            for x in p { acc += x - x }
            return acc == 0
        }
        if !finite { return false }
    }
    return true
}

/// `p + Δ` as a new tensor (one pass, specialized for the generic optimizer step).
@_specialize(where S == Float)
@_specialize(where S == Double)
func applying<S: TensorScalar>(_ delta: Tensor<S>, to p: Tensor<S>) -> Tensor<S> {
    var v = delta
    v.withUnsafeMutableBufferPointer { vp in
        p.withUnsafeBufferPointer { pp in
            for i in 0..<vp.count { vp[i] = pp[i] + vp[i] }
        }
    }
    return v
}

/// Calls `body` with the storage of every tensor of `tensors`, in order (read-only, no copies).
func withBuffers<S: TensorScalar, R>(_ tensors: [Tensor<S>], _ body: ([UnsafeBufferPointer<S>]) throws -> R) rethrows -> R {
    var buffers = [UnsafeBufferPointer<S>]()
    buffers.reserveCapacity(tensors.count)
    func nest(_ k: Int) throws -> R {
        if k == tensors.count { return try body(buffers) }
        return try tensors[k].withUnsafeBufferPointer { p in
            buffers.append(p)
            return try nest(k + 1)
        }
    }
    return try nest(0)
}

/// Calls `body` with the mutable storage of every tensor of `tensors`, in order (each made
/// unique first, so writes never reach a copy shared elsewhere).
func withMutableBuffers<S: TensorScalar, R>(_ tensors: inout [Tensor<S>], _ body: ([UnsafeMutableBufferPointer<S>]) throws -> R) rethrows -> R {
    var buffers = [UnsafeMutableBufferPointer<S>]()
    buffers.reserveCapacity(tensors.count)
    return try tensors.withUnsafeMutableBufferPointer { ts in
        func nest(_ k: Int) throws -> R {
            if k == ts.count { return try body(buffers) }
            return try ts[k].withUnsafeMutableBufferPointer { p in
                buffers.append(p)
                return try nest(k + 1)
            }
        }
        return try nest(0)
    }
}
