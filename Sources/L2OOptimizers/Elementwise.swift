import L2OCore
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

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
/// and NaN for ±∞ or NaN) in sixteen independent lanes, so the loop runs at memory speed;
/// specialized so that the generic optimizer step does not pay a dynamic call per element.
@_specialize(where S == Float)
@_specialize(where S == Double)
func allFinite<S: TensorScalar>(_ tensors: [Tensor<S>]) -> Bool {
    typealias V = SIMD16<S>
    for t in tensors {
        let finite = t.withUnsafeBufferPointer { p -> Bool in
            var acc = V()
            var j = 0
            if let base = p.baseAddress {
                while j + V.scalarCount <= p.count {
                    let x = UnsafeRawPointer(base + j).loadUnaligned(as: V.self)
                    acc += x - x
                    j += V.scalarCount
                }
            }
            var tail: S = 0
            while j < p.count { tail += p[j] - p[j]; j += 1 }
            return acc.sum() + tail == 0
        }
        if !finite { return false }
    }
    return true
}

/// Lane-wise IEEE square root in SSE registers on x86-64 (`squareRoot()` of a Swift scalar keeps
/// a per-element libm fallback for negative inputs, which stops the compiler from vectorizing it).
@inline(__always)
func squareRoot<S: TensorScalar>(_ v: SIMD16<S>) -> SIMD16<S> {
    #if arch(x86_64)
    if S.self == Float.self {
        let f = unsafeBitCast(v, to: SIMD16<Float>.self)
        let r = SIMD16(lowHalf: SIMD8(lowHalf: _mm_sqrt_ps(f.lowHalf.lowHalf), highHalf: _mm_sqrt_ps(f.lowHalf.highHalf)),
                       highHalf: SIMD8(lowHalf: _mm_sqrt_ps(f.highHalf.lowHalf), highHalf: _mm_sqrt_ps(f.highHalf.highHalf)))
        return unsafeBitCast(r, to: SIMD16<S>.self)
    }
    if S.self == Double.self {
        let d = unsafeBitCast(v, to: SIMD16<Double>.self)
        func quarter(_ q: SIMD4<Double>) -> SIMD4<Double> { SIMD4(lowHalf: _mm_sqrt_pd(q.lowHalf), highHalf: _mm_sqrt_pd(q.highHalf)) }
        let r = SIMD16(lowHalf: SIMD8(lowHalf: quarter(d.lowHalf.lowHalf), highHalf: quarter(d.lowHalf.highHalf)),
                       highHalf: SIMD8(lowHalf: quarter(d.highHalf.lowHalf), highHalf: quarter(d.highHalf.highHalf)))
        return unsafeBitCast(r, to: SIMD16<S>.self)
    }
    #endif
    return v.squareRoot()
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
