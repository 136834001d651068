/// A sparse matrix in compressed sparse row (CSR) form.
///
/// Used for graph operators (normalized adjacency of a GCN, mixing matrices) where the matrix is
/// a constant and the dense operand is differentiable.
public struct SparseMatrix<Scalar: TensorScalar>: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    /// `rowStart[i]..<rowStart[i+1]` indexes the entries of row `i`.
    public let rowStart: [Int]
    public let colIndex: [Int]
    public let values: [Scalar]

    public init(rows: Int, cols: Int, rowStart: [Int], colIndex: [Int], values: [Scalar]) {
        precondition(rowStart.count == rows + 1 && rowStart.first == 0 && rowStart.last == colIndex.count
                     && colIndex.count == values.count, "SparseMatrix: inconsistent CSR arrays")
        precondition(colIndex.allSatisfy { $0 >= 0 && $0 < cols }, "SparseMatrix: column index out of range 0..<\(cols)")
        self.rows = rows
        self.cols = cols
        self.rowStart = rowStart
        self.colIndex = colIndex
        self.values = values
    }

    /// Builds a CSR matrix from (row, column, value) triplets; duplicates are summed.
    public init(rows: Int, cols: Int, triplets: [(Int, Int, Scalar)]) {
        var byRow = [[(Int, Scalar)]](repeating: [], count: rows)
        for (i, j, v) in triplets {
            precondition(i >= 0 && i < rows && j >= 0 && j < cols, "SparseMatrix: entry (\(i), \(j)) outside \(rows)×\(cols)")
            byRow[i].append((j, v))
        }
        var start = [0], cidx = [Int](), vals = [Scalar]()
        for r in byRow {
            var merged = [Int: Scalar]()
            for (j, v) in r { merged[j, default: 0] += v }
            for j in merged.keys.sorted() { cidx.append(j); vals.append(merged[j]!) }
            start.append(cidx.count)
        }
        self.init(rows: rows, cols: cols, rowStart: start, colIndex: cidx, values: vals)
    }

    public var nonzeroCount: Int { values.count }

    /// The dense form.
    public func toDense() -> Tensor<Scalar> {
        var t = Tensor<Scalar>.zeros([rows, cols])
        for i in 0..<rows { for k in rowStart[i]..<rowStart[i + 1] { t.scalars[i * cols + colIndex[k]] += values[k] } }
        return t
    }

    /// The transpose, in CSR form.
    public func transposed() -> SparseMatrix {
        var t = [(Int, Int, Scalar)]()
        t.reserveCapacity(nonzeroCount)
        for i in 0..<rows { for k in rowStart[i]..<rowStart[i + 1] { t.append((colIndex[k], i, values[k])) } }
        return SparseMatrix(rows: cols, cols: rows, triplets: t)
    }

    /// `S · X` for a dense `X` of shape `[cols, k]` (or `[cols]`).
    @inlinable
    public func matmul(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(x.rank >= 1 && x.shape[0] == cols, "SparseMatrix.matmul: \(rows)×\(cols) sparse times \(x.shape)")
        let k = x.count / Swift.max(cols, 1)
        var s = x.shape
        s[0] = rows
        var out = [Scalar](repeating: 0, count: rows * k)
        x.scalars.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<rows {
                    for e in rowStart[i]..<rowStart[i + 1] {
                        let v = values[e], j = colIndex[e]
                        for q in 0..<k { o[i * k + q] += v * xp[j * k + q] }
                    }
                }
            }
        }
        return Tensor(shape: s, scalars: out)
    }

    /// `Sᵀ · G` without forming the transpose (the adjoint of `matmul`).
    @inlinable
    public func transposedMatmul(_ g: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(g.rank >= 1 && g.shape[0] == rows, "SparseMatrix.transposedMatmul: (\(rows)×\(cols))ᵀ times \(g.shape)")
        let k = g.count / Swift.max(rows, 1)
        var s = g.shape
        s[0] = cols
        var out = [Scalar](repeating: 0, count: cols * k)
        g.scalars.withUnsafeBufferPointer { gp in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<rows {
                    for e in rowStart[i]..<rowStart[i + 1] {
                        let v = values[e], j = colIndex[e]
                        for q in 0..<k { o[j * k + q] += v * gp[i * k + q] }
                    }
                }
            }
        }
        return Tensor(shape: s, scalars: out)
    }
}

/// Differentiable sparse × dense product (the sparse matrix is a constant).
@inlinable
public func matmul<S>(_ a: SparseMatrix<S>, _ x: Variable<S>) -> Variable<S> {
    Variable.unary(x, a.matmul(x.value)) { a.transposedMatmul($0) }
}
