/// Batched least-squares gradients `g_i = s·A_iᵀ(A_i x_i − b_i)` for blocks `A_i` (`A: [n, N, d]`,
/// `x: [n, d]`, `b: [n, N]`): the local gradient of `f_i(x) = s/2·‖A_i x − b_i‖²` at every node.
///
/// Memory-bound for large `A`, so the kernel streams `A` from memory **once**: it takes a few rows
/// at a time (small enough to stay in the core's L2 cache), computes their residuals with one pass
/// and folds them into `g` with a second pass that hits the cache. Nodes are split across cores;
/// BLAS runs single-threaded inside (no nested parallelism).
public enum LeastSquares {
    /// Rows per cache block (chosen so that a block of a 30,000-wide Float `A` stays in L2).
    public static var rowsPerBlock = 4

    public static func gradient<S: TensorScalar>(a: Tensor<S>, x: Tensor<S>, b: Tensor<S>, scale: S) -> Tensor<S> {
        precondition(a.rank == 3, "LeastSquares.gradient: A must be [n, N, d], got \(a.shape)")
        let n = a.shape[0], N = a.shape[1], d = a.shape[2]
        precondition(x.shape == [n, d], "LeastSquares.gradient: x must be \([n, d]), got \(x.shape)")
        precondition(b.shape == [n, N], "LeastSquares.gradient: b must be \([n, N]), got \(b.shape)")
        var g = Tensor<S>.zeros([n, d])
        if n == 0 || d == 0 || N == 0 { return g }
        let block = Swift.max(1, rowsPerBlock)
        a.scalars.withUnsafeBufferPointer { ap in
            x.scalars.withUnsafeBufferPointer { xp in
                b.scalars.withUnsafeBufferPointer { bp in
                    g.scalars.withUnsafeMutableBufferPointer { gp in
                        let A = ap.baseAddress!, X = xp.baseAddress!, B = bp.baseAddress!, G = gp.baseAddress!
                        Runtime.configure()
                        do {
                            Parallel.forEachChunk(n, minimumPerChunk: 1) { nodes in
                                var r = [S](repeating: 0, count: block)
                                r.withUnsafeMutableBufferPointer { rp in
                                    let R = rp.baseAddress!
                                    for i in nodes {
                                        let Ai = A + i * N * d, xi = X + i * d, gi = G + i * d
                                        var j0 = 0
                                        while j0 < N {
                                            let rows = Swift.min(block, N - j0)
                                            // r = s·(A_blk x − b_blk)
                                            for k in 0..<rows { R[k] = -B[i * N + j0 + k] }
                                            S.gemv(trans: false, m: rows, n: d, alpha: 1, a: Ai + j0 * d, lda: d, x: xi, incx: 1,
                                                   beta: 1, y: R, incy: 1)
                                            for k in 0..<rows { R[k] *= scale }
                                            // g += A_blkᵀ r (rows are still in cache)
                                            S.gemv(trans: true, m: rows, n: d, alpha: 1, a: Ai + j0 * d, lda: d, x: R, incx: 1,
                                                   beta: 1, y: gi, incy: 1)
                                            j0 += rows
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return g
    }
}

extension BLASThreads {
    /// Runs `body` with OpenBLAS limited to one thread (for regions with their own parallel loops).
    public static func withSingleThread<R>(_ body: () throws -> R) rethrows -> R {
        let before = current
        if before != 1 { set(1) }
        defer { if before != 1 { set(before) } }
        return try body()
    }
}
