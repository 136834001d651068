extension Tensor {
    /// Sum of all elements (pairwise in blocks for accuracy).
    @inlinable
    public func sum() -> Scalar {
        scalars.withUnsafeBufferPointer { p in
            var total: Scalar = 0
            var i = 0
            let n = p.count
            while i < n {
                let hi = Swift.min(n, i + 1024)
                var block: Scalar = 0
                for j in i..<hi { block += p[j] }
                total += block
                i = hi
            }
            return total
        }
    }
    @inlinable public func mean() -> Scalar { count == 0 ? 0 : sum() / Scalar(count) }
    @inlinable public func max() -> Scalar { scalars.max() ?? -.infinity }
    @inlinable public func min() -> Scalar { scalars.min() ?? .infinity }

    /// Splits the shape around `axis` into (outer, axis length, inner) extents.
    @inlinable
    func axisExtents(_ axis: Int) -> (outer: Int, n: Int, inner: Int, axis: Int) {
        let ax = axis < 0 ? axis + rank : axis
        precondition(ax >= 0 && ax < rank, "axis \(axis) out of range for shape \(shape)")
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        return (outer, shape[ax], inner, ax)
    }

    /// Sum along one axis; the axis is removed unless `keepingDims`.
    @inlinable
    public func sum(axis: Int, keepingDims: Bool = false) -> Tensor {
        let (outer, n, inner, ax) = axisExtents(axis)
        var out = [Scalar](repeating: 0, count: outer * inner)
        scalars.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                for p in 0..<outer {
                    for k in 0..<n {
                        let base = (p * n + k) * inner
                        for q in 0..<inner { o[p * inner + q] += a[base + q] }
                    }
                }
            }
        }
        var s = shape
        if keepingDims { s[ax] = 1 } else { s.remove(at: ax) }
        return Tensor(shape: s, scalars: out)
    }

    @inlinable
    public func mean(axis: Int, keepingDims: Bool = false) -> Tensor {
        let n = axisExtents(axis).n
        return sum(axis: axis, keepingDims: keepingDims) * (1 / Scalar(Swift.max(n, 1)))
    }

    /// Maximum along an axis and the index where it is attained (first on ties).
    @inlinable
    public func maxWithIndex(axis: Int, keepingDims: Bool = false) -> (values: Tensor, indices: [Int]) {
        let (outer, n, inner, ax) = axisExtents(axis)
        precondition(n > 0, "max(axis:) over an empty axis of \(shape)")
        var out = [Scalar](repeating: -.infinity, count: outer * inner)
        var idx = [Int](repeating: 0, count: outer * inner)
        for p in 0..<outer {
            for k in 0..<n {
                for q in 0..<inner {
                    let v = scalars[(p * n + k) * inner + q]
                    if v > out[p * inner + q] || k == 0 { out[p * inner + q] = v; idx[p * inner + q] = k }
                }
            }
        }
        var s = shape
        if keepingDims { s[ax] = 1 } else { s.remove(at: ax) }
        return (Tensor(shape: s, scalars: out), idx)
    }
    @inlinable public func max(axis: Int, keepingDims: Bool = false) -> Tensor { maxWithIndex(axis: axis, keepingDims: keepingDims).values }
    /// Index of the largest element along `axis`.
    @inlinable public func argmax(axis: Int) -> [Int] { maxWithIndex(axis: axis).indices }

    /// Euclidean norm of all elements.
    @inlinable public func norm() -> Scalar { Scalar.sqrt(squaredNorm()) }
    @inlinable public func squaredNorm() -> Scalar {
        scalars.withUnsafeBufferPointer { p in Scalar.dot(n: p.count, x: p.baseAddress!, y: p.baseAddress!) }
    }
    /// ℓ1 norm.
    @inlinable public func norm1() -> Scalar { scalars.reduce(0) { $0 + Swift.abs($1) } }
    /// ℓ∞ norm.
    @inlinable public func normInf() -> Scalar { scalars.reduce(0) { Swift.max($0, Swift.abs($1)) } }
    /// Inner product of two tensors of equal shape.
    @inlinable public func dot(_ other: Tensor) -> Scalar {
        precondition(shape == other.shape, "dot: shapes \(shape) and \(other.shape) differ")
        return scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in Scalar.dot(n: a.count, x: a.baseAddress!, y: b.baseAddress!) }
        }
    }
}
