// Fused single-node operations with hand-written backward passes. Each one is a hot composite
// of the methods (dense layers, LSTM cells of learned optimizers, the ℓ1 prox, gossip) that
// would otherwise record several nodes and allocate several intermediates.

/// `x W + b` for `x` of shape `[m, k]`, `W` of shape `[k, n]` and optional `b` of shape `[n]`.
@inlinable
public func linear<S>(_ x: Variable<S>, _ w: Variable<S>, _ b: Variable<S>? = nil) -> Variable<S> {
    let xv = x.value, wv = w.value
    precondition(xv.rank == 2 && wv.rank == 2 && xv.shape[1] == wv.shape[0],
                 "linear: input \(xv.shape) does not match weight \(wv.shape)")
    let m = xv.shape[0], k = xv.shape[1], n = wv.shape[1]
    if let b { precondition(b.shape == [n], "linear: bias \(b.shape) does not match weight \(wv.shape)") }
    var out = Tensor<S>.zeros([m, n])
    out.scalars.withUnsafeMutableBufferPointer { o in
        if let bv = b?.value.scalars {
            for i in 0..<m { for j in 0..<n { o[i * n + j] = bv[j] } }
        }
        if m > 0 && n > 0 && k > 0 {
            xv.scalars.withUnsafeBufferPointer { xp in
                wv.scalars.withUnsafeBufferPointer { wp in
                    S.parallelGemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: xp.baseAddress!, lda: k,
                           b: wp.baseAddress!, ldb: n, beta: b == nil ? 0 : 1, c: o.baseAddress!, ldc: n)
                }
            }
        }
    }
    let inputs = b.map { [x, w, $0] } ?? [x, w]
    let need = inputs.map(\.isRecorded)
    // The pullback captures tensors and flags only: a captured Variable would hold the tape
    // that holds the pullback, and the tape with everything recorded on it would never be freed.
    let hasBias = b != nil
    return Variable.record(out, inputs: inputs) { g in
        let gx: Tensor<S>? = need[0] ? Tensor.matmul(g, wv, transposeB: true) : nil
        let gw: Tensor<S>? = need[1] ? Tensor.matmul(xv, g, transposeA: true) : nil
        var res = [gx, gw]
        if hasBias { res.append(need[2] ? g.sum(axis: 0) : nil) }
        return res
    }
}

/// Soft-thresholding `sign(v)·max(|v| − t, 0)` with a differentiable per-element threshold `t`
/// (broadcast to `v`): the prox of `‖·‖₁` in the metric `diag(1/t)`. Derivatives:
/// `∂/∂v = 1[|v| > t]`, `∂/∂t = −sign(v)·1[|v| > t]`.
@inlinable
public func softThreshold<S>(_ v: Variable<S>, _ t: Variable<S>) -> Variable<S> {
    let vv = v.value, tv = t.value
    let out = softThreshold(vv, tv)
    return Variable.binary(v, t, out) { g, nv, nt in
        let active = vv.zipWith(tv) { Swift.abs($0) > $1 ? ($0 > 0 ? 1 : -1) : 0 }
        let gv: Tensor<S>? = nv ? (g * abs(active)).sumToShape(vv.shape) : nil
        let gt: Tensor<S>? = nt ? (-(g * active)).sumToShape(tv.shape) : nil
        return (gv, gt)
    }
}

/// A mixing (gossip) operator over a graph, applied in the robust form
/// `(W x)_i = x_i − Σ_{j≠i} w_ij (x_i − x_j)`, which keeps row sums exactly 1 in floating point.
///
/// `weights` holds the off-diagonal weights `w_ij` (i ≠ j); the diagonal is implied.
public struct GossipOperator<Scalar: TensorScalar>: Sendable {
    public let weights: SparseMatrix<Scalar>
    public let transposedWeights: SparseMatrix<Scalar>

    public init(weights: SparseMatrix<Scalar>) {
        precondition(weights.rows == weights.cols, "GossipOperator: weights must be square, got \(weights.rows)×\(weights.cols)")
        for i in 0..<weights.rows {
            for e in weights.rowStart[i]..<weights.rowStart[i + 1] {
                precondition(weights.colIndex[e] != i, "GossipOperator: weights must not include the diagonal (row \(i))")
            }
        }
        self.weights = weights
        self.transposedWeights = weights.transposed()
    }

    public var nodeCount: Int { weights.rows }

    /// `Σ_{j} w_ij (x_i − x_j)` for every node (the weighted Laplacian), X of shape `[n, d]`.
    @inlinable
    public func laplacian(_ x: Tensor<Scalar>) -> Tensor<Scalar> { Self.laplacian(x, weights) }

    /// `x_i − Σ_j w_ij (x_i − x_j)`.
    @inlinable
    public func apply(_ x: Tensor<Scalar>) -> Tensor<Scalar> { Self.robust(x, weights) }

    /// The adjoint: `g_i − Σ_j (w_ij g_i − w_ji g_j)`.
    @inlinable
    public func applyAdjoint(_ g: Tensor<Scalar>) -> Tensor<Scalar> {
        let n = nodeCount
        let d = g.count / Swift.max(n, 1)
        return Tensor(shape: g.shape) { out in
            g.scalars.withUnsafeBufferPointer { gp in
                for i in 0..<n {
                    var rowSum: Scalar = 0
                    for e in weights.rowStart[i]..<weights.rowStart[i + 1] { rowSum += weights.values[e] }
                    for q in 0..<d { out[i * d + q] = gp[i * d + q] - rowSum * gp[i * d + q] }
                    for e in transposedWeights.rowStart[i]..<transposedWeights.rowStart[i + 1] {
                        let w = transposedWeights.values[e], j = transposedWeights.colIndex[e]
                        for q in 0..<d { out[i * d + q] += w * gp[j * d + q] }
                    }
                }
            }
        }
    }

    @inlinable
    static func laplacian(_ x: Tensor<Scalar>, _ w: SparseMatrix<Scalar>) -> Tensor<Scalar> {
        let n = w.rows
        precondition(x.rank >= 1 && x.shape[0] == n, "gossip: \(n) nodes but X has shape \(x.shape)")
        let d = x.count / Swift.max(n, 1)
        return Tensor(shape: x.shape) { out in
            x.scalars.withUnsafeBufferPointer { xp in
                for i in 0..<n {
                    for q in 0..<d { out[i * d + q] = 0 }
                    for e in w.rowStart[i]..<w.rowStart[i + 1] {
                        let wij = w.values[e], j = w.colIndex[e]
                        for q in 0..<d { out[i * d + q] += wij * (xp[i * d + q] - xp[j * d + q]) }
                    }
                }
            }
        }
    }

    @inlinable
    static func robust(_ x: Tensor<Scalar>, _ w: SparseMatrix<Scalar>) -> Tensor<Scalar> {
        var l = laplacian(x, w)
        l.withUnsafeMutableBufferPointer { lp in
            x.scalars.withUnsafeBufferPointer { xp in
                for i in 0..<lp.count { lp[i] = xp[i] - lp[i] }
            }
        }
        return l
    }
}

/// Differentiable gossip step `x_i − Σ_j w_ij (x_i − x_j)`.
@inlinable
public func gossip<S>(_ x: Variable<S>, _ op: GossipOperator<S>) -> Variable<S> {
    Variable.unary(x, op.apply(x.value)) { op.applyAdjoint($0) }
}
