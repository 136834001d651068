extension Tensor {
    /// The transpose of a 2-D tensor.
    @inlinable
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed: need a 2-D tensor, got \(shape)")
        let m = shape[0], n = shape[1]
        return Tensor(shape: [n, m]) { out in
            scalars.withUnsafeBufferPointer { a in
                // Blocked to stay in cache for large matrices.
                let bs = 32
                var i0 = 0
                while i0 < m {
                    var j0 = 0
                    while j0 < n {
                        for i in i0..<Swift.min(m, i0 + bs) {
                            for j in j0..<Swift.min(n, j0 + bs) { out[j * m + i] = a[i * n + j] }
                        }
                        j0 += bs
                    }
                    i0 += bs
                }
            }
        }
    }

    /// Rows `range` along the first axis.
    @inlinable
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows: range \(range) out of bounds for shape \(shape)")
        let inner = count / Swift.max(shape[0], 1)
        var s = shape
        s[0] = range.count
        return Tensor(shape: s, scalars: Array(scalars[(range.lowerBound * inner)..<(range.upperBound * inner)]))
    }

    /// Concatenation along an existing axis; all other extents must agree.
    @inlinable
    public static func concat(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "concat: no tensors")
        let r = parts[0].rank
        let ax = axis < 0 ? axis + r : axis
        precondition(ax >= 0 && ax < r, "concat: axis \(axis) out of range for rank \(r)")
        for p in parts {
            precondition(p.rank == r && (0..<r).allSatisfy { $0 == ax || p.shape[$0] == parts[0].shape[$0] },
                         "concat: shapes \(parts[0].shape) and \(p.shape) differ off axis \(ax)")
        }
        let outer = parts[0].shape[..<ax].reduce(1, *)
        var s = parts[0].shape
        s[ax] = parts.reduce(0) { $0 + $1.shape[ax] }
        var out = [Scalar]()
        out.reserveCapacity(s.reduce(1, *))
        let blocks = parts.map { $0.count / Swift.max(outer, 1) }
        for o in 0..<outer {
            for (p, b) in zip(parts, blocks) { out.append(contentsOf: p.scalars[(o * b)..<((o + 1) * b)]) }
        }
        return Tensor(shape: s, scalars: out)
    }

    /// Stacks tensors of equal shape along a new axis.
    @inlinable
    public static func stack(_ parts: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "stack: no tensors")
        let s0 = parts[0].shape
        for p in parts { precondition(p.shape == s0, "stack: shapes \(s0) and \(p.shape) differ") }
        let ax = axis < 0 ? axis + s0.count + 1 : axis
        var expanded = s0
        expanded.insert(1, at: ax)
        return concat(parts.map { $0.reshaped(expanded) }, axis: ax)
    }

    /// Columns `range` of a 2-D tensor.
    @inlinable
    public func columns(_ range: Range<Int>) -> Tensor {
        precondition(rank == 2 && range.lowerBound >= 0 && range.upperBound <= shape[1],
                     "columns: range \(range) out of bounds for shape \(shape)")
        let m = shape[0], n = shape[1], w = range.count
        return Tensor(shape: [m, w]) { out in
            scalars.withUnsafeBufferPointer { a in
                for i in 0..<m { for j in 0..<w { out[i * w + j] = a[i * n + range.lowerBound + j] } }
            }
        }
    }

    /// Rows picked by index along the first axis (indices may repeat): `out[k] = self[index[k]]`.
    @inlinable
    public func gatherRows(_ index: [Int]) -> Tensor {
        precondition(rank >= 1, "gatherRows: need rank ≥ 1")
        let inner = count / Swift.max(shape[0], 1), rows = shape[0]
        var s = shape
        s[0] = index.count
        return Tensor(shape: s) { out in
            scalars.withUnsafeBufferPointer { a in
                for (k, r) in index.enumerated() {
                    precondition(r >= 0 && r < rows, "gatherRows: index \(r) out of range 0..<\(rows)")
                    for q in 0..<inner { out[k * inner + q] = a[r * inner + q] }
                }
            }
        }
    }

    /// The adjoint of `gatherRows`: a tensor with `rowCount` rows where row `index[k]` accumulates
    /// row `k` of `self` (message aggregation on graphs).
    @inlinable
    public func scatterAddRows(_ index: [Int], rowCount: Int) -> Tensor {
        precondition(rank >= 1 && index.count == shape[0], "scatterAddRows: \(index.count) indices for shape \(shape)")
        let inner = count / Swift.max(shape[0], 1)
        var s = shape
        s[0] = rowCount
        var out = [Scalar](repeating: 0, count: rowCount * inner)
        scalars.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                for (k, r) in index.enumerated() {
                    precondition(r >= 0 && r < rowCount, "scatterAddRows: index \(r) out of range 0..<\(rowCount)")
                    for q in 0..<inner { o[r * inner + q] += a[k * inner + q] }
                }
            }
        }
        return Tensor(shape: s, scalars: out)
    }
}
