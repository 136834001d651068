/// Broadcasting follows NumPy: shapes are aligned at the trailing dimension and a dimension of 1
/// (or a missing leading dimension) stretches to match. Row broadcasting (`[m,n] + [n]`) and
/// column broadcasting (`[m,n] + [m,1]`) are the common cases and have fast paths.
public enum Broadcast {
    /// The broadcast shape of two shapes, or nil when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Element strides of `shape` aligned to `outShape`, 0 along broadcast dimensions.
    @inlinable
    static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        let r = outShape.count
        var strides = [Int](repeating: 0, count: r)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let oi = i + (r - shape.count)
            strides[oi] = shape[i] == 1 && outShape[oi] != 1 ? 0 : s
            s *= shape[i]
        }
        return strides
    }
}

extension Tensor {
    /// Applies `f` elementwise.
    @inlinable
    public func map(_ f: (Scalar) -> Scalar) -> Tensor {
        let n = count
        return Tensor(shape: shape) { out in
            scalars.withUnsafeBufferPointer { x in
                for i in 0..<n { out[i] = f(x[i]) }
            }
        }
    }

    /// Combines two tensors elementwise with broadcasting.
    @inlinable
    public func zipWith(_ other: Tensor, _ op: String = "zipWith", _ f: (Scalar, Scalar) -> Scalar) -> Tensor {
        if shape == other.shape {
            let n = count
            return Tensor(shape: shape) { out in
                scalars.withUnsafeBufferPointer { a in
                    other.scalars.withUnsafeBufferPointer { b in
                        for i in 0..<n { out[i] = f(a[i], b[i]) }
                    }
                }
            }
        }
        if other.count == 1 && other.rank <= rank {
            let s = other.scalars[0]
            return map { f($0, s) }
        }
        if count == 1 && rank <= other.rank {
            let s = scalars[0]
            return other.map { f(s, $0) }
        }
        guard let outShape = Broadcast.shape(shape, other.shape) else {
            preconditionFailure("\(op): shapes \(shape) and \(other.shape) cannot be broadcast together")
        }
        // Trailing-suffix fast path: other repeats along leading dimensions (row broadcast).
        if outShape == shape && Array(shape.suffix(other.rank)) == other.shape {
            let inner = other.count, outer = count / Swift.max(inner, 1)
            return Tensor(shape: shape) { out in
                scalars.withUnsafeBufferPointer { a in
                    other.scalars.withUnsafeBufferPointer { b in
                        for o in 0..<outer {
                            let base = o * inner
                            for j in 0..<inner { out[base + j] = f(a[base + j], b[j]) }
                        }
                    }
                }
            }
        }
        let sa = Broadcast.strides(of: shape, in: outShape)
        let sb = Broadcast.strides(of: other.shape, in: outShape)
        let r = outShape.count
        let total = outShape.reduce(1, *)
        let last = outShape[r - 1], la = sa[r - 1], lb = sb[r - 1]
        return Tensor(shape: outShape) { out in
            scalars.withUnsafeBufferPointer { a in
                other.scalars.withUnsafeBufferPointer { b in
                    var idx = [Int](repeating: 0, count: r)
                    var o = 0
                    while o < total {
                        var ia = 0, ib = 0
                        for d in 0..<(r - 1) { ia += idx[d] * sa[d]; ib += idx[d] * sb[d] }
                        for j in 0..<last { out[o + j] = f(a[ia + j * la], b[ib + j * lb]) }
                        o += last
                        var d = r - 2
                        while d >= 0 {
                            idx[d] += 1
                            if idx[d] < outShape[d] { break }
                            idx[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
    }

    /// Sums a broadcast result back to `target` (the adjoint of broadcasting `target` to `shape`).
    @inlinable
    public func sumToShape(_ target: [Int]) -> Tensor {
        if target == shape { return self }
        let tcount = target.reduce(1, *)
        if tcount == 1 { return Tensor(shape: target, scalars: [sum()]) }
        precondition(Broadcast.shape(target, shape) == shape, "sumToShape: \(target) does not broadcast to \(shape)")
        if Array(shape.suffix(target.count)) == target {
            let inner = tcount, outer = count / inner
            var acc = [Scalar](repeating: 0, count: inner)
            scalars.withUnsafeBufferPointer { a in
                for o in 0..<outer {
                    let base = o * inner
                    for j in 0..<inner { acc[j] += a[base + j] }
                }
            }
            return Tensor(shape: target, scalars: acc)
        }
        let st = Broadcast.strides(of: target, in: shape)
        let r = shape.count
        var acc = [Scalar](repeating: 0, count: tcount)
        var idx = [Int](repeating: 0, count: r)
        for o in 0..<count {
            var t = 0
            for d in 0..<r { t += idx[d] * st[d] }
            acc[t] += scalars[o]
            var d = r - 1
            while d >= 0 {
                idx[d] += 1
                if idx[d] < shape[d] { break }
                idx[d] = 0
                d -= 1
            }
        }
        return Tensor(shape: target, scalars: acc)
    }

    // MARK: Operators

    @inlinable public static func + (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, "+") { $0 + $1 } }
    @inlinable public static func - (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, "-") { $0 - $1 } }
    @inlinable public static func * (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, "*") { $0 * $1 } }
    @inlinable public static func / (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, "/") { $0 / $1 } }
    @inlinable public static func + (a: Tensor, s: Scalar) -> Tensor { a.map { $0 + s } }
    @inlinable public static func - (a: Tensor, s: Scalar) -> Tensor { a.map { $0 - s } }
    @inlinable public static func * (a: Tensor, s: Scalar) -> Tensor { a.map { $0 * s } }
    @inlinable public static func / (a: Tensor, s: Scalar) -> Tensor { a.map { $0 / s } }
    @inlinable public static func + (s: Scalar, a: Tensor) -> Tensor { a.map { s + $0 } }
    @inlinable public static func - (s: Scalar, a: Tensor) -> Tensor { a.map { s - $0 } }
    @inlinable public static func * (s: Scalar, a: Tensor) -> Tensor { a.map { s * $0 } }
    @inlinable public static func / (s: Scalar, a: Tensor) -> Tensor { a.map { s / $0 } }
    @inlinable public static prefix func - (a: Tensor) -> Tensor { a.map { -$0 } }

    /// In-place `self += other` for equal shapes (no allocation when storage is unique).
    @inlinable
    public static func += (a: inout Tensor, b: Tensor) {
        if a.shape == b.shape {
            let n = a.count
            a.scalars.withUnsafeMutableBufferPointer { x in
                b.scalars.withUnsafeBufferPointer { y in
                    for i in 0..<n { x[i] += y[i] }
                }
            }
        } else {
            a = a + b
        }
    }
    @inlinable public static func -= (a: inout Tensor, b: Tensor) { a = a.shape == b.shape ? a.zipWith(b) { $0 - $1 } : a - b }
    @inlinable public static func *= (a: inout Tensor, s: Scalar) {
        a.scalars.withUnsafeMutableBufferPointer { x in for i in 0..<x.count { x[i] *= s } }
    }

    /// `self += alpha * x` in place (BLAS axpy); shapes must match.
    @inlinable
    public mutating func addScaled(_ x: Tensor, _ alpha: Scalar) {
        precondition(shape == x.shape, "addScaled: shapes \(shape) and \(x.shape) differ")
        let n = count
        scalars.withUnsafeMutableBufferPointer { y in
            x.scalars.withUnsafeBufferPointer { xp in Scalar.axpy(n: n, alpha: alpha, x: xp.baseAddress!, y: y.baseAddress!) }
        }
    }
}

// MARK: Elementwise functions

@inlinable public func exp<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { S.exp($0) } }
@inlinable public func log<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { S.log($0) } }
@inlinable public func tanh<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { S.tanh($0) } }
@inlinable public func sqrt<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { S.sqrt($0) } }
@inlinable public func square<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { $0 * $0 } }
/// `1 / (1 + e^{−x})`, evaluated without overflow for large |x|.
@inlinable public func sigmoid<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { sigmoidScalar($0) } }
/// `ln(1 + e^x)`, evaluated stably.
@inlinable public func softplus<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { softplusScalar($0) } }
@inlinable public func relu<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { $0 > 0 ? $0 : 0 } }
@inlinable public func leakyRelu<S>(_ x: Tensor<S>, slope: S = 0.01) -> Tensor<S> { x.map { $0 > 0 ? $0 : slope * $0 } }
@inlinable public func abs<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { Swift.abs($0) } }
/// −1, 0 or 1 elementwise.
@inlinable public func sign<S>(_ x: Tensor<S>) -> Tensor<S> { x.map { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) } }
@inlinable public func clamp<S>(_ x: Tensor<S>, min lo: S, max hi: S) -> Tensor<S> { x.map { Swift.min(Swift.max($0, lo), hi) } }
/// `soft(v, t) = sign(v)·max(|v| − t, 0)`, the proximal operator of `t‖·‖₁`.
@inlinable public func softThreshold<S>(_ v: Tensor<S>, _ t: S) -> Tensor<S> { v.map { softThresholdScalar($0, t) } }
/// Soft-thresholding with a per-element threshold (broadcast to `v`'s shape).
@inlinable public func softThreshold<S>(_ v: Tensor<S>, _ t: Tensor<S>) -> Tensor<S> { v.zipWith(t, "softThreshold") { softThresholdScalar($0, $1) } }
@inlinable public func maximum<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> { a.zipWith(b, "maximum") { Swift.max($0, $1) } }
@inlinable public func minimum<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> { a.zipWith(b, "minimum") { Swift.min($0, $1) } }

@inlinable @inline(__always)
public func sigmoidScalar<S: TensorScalar>(_ x: S) -> S {
    if x >= 0 { return 1 / (1 + S.exp(-x)) }
    let e = S.exp(x)
    return e / (1 + e)
}
@inlinable @inline(__always)
public func softplusScalar<S: TensorScalar>(_ x: S) -> S {
    x > 0 ? x + S.log1p(S.exp(-x)) : S.log1p(S.exp(x))
}
@inlinable @inline(__always)
public func softThresholdScalar<S: TensorScalar>(_ v: S, _ t: S) -> S {
    v > t ? v - t : (v < -t ? v + t : 0)
}
