extension Tensor {
    /// Matrix product `op(a) · op(b)` of 2-D tensors through BLAS gemm, or a batched product when
    /// `a` is 3-D (`[B, m, k]`) and `b` is 3-D (`[B, k, n]`, one matrix per batch) or 2-D (shared).
    @inlinable
    public static func matmul(
        _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
    ) -> Tensor {
        if a.rank == 3 { return batchedMatmul(a, b, transposeA: transposeA, transposeB: transposeB) }
        precondition(a.rank == 2 && b.rank == 2, "matmul: need 2-D operands, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
        let k2 = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == k2, "matmul: inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") × \(b.shape)\(transposeB ? "ᵀ" : "")")
        if m == 0 || n == 0 || k == 0 { return Tensor.zeros([m, n]) }
        var c = Tensor(shape: [m, n]) { _ in }
        a.scalars.withUnsafeBufferPointer { ap in
            b.scalars.withUnsafeBufferPointer { bp in
                c.scalars.withUnsafeMutableBufferPointer { cp in
                    Scalar.parallelGemm(
                        transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                        a: ap.baseAddress!, lda: a.shape[1], b: bp.baseAddress!, ldb: b.shape[1],
                        beta: 0, c: cp.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }

    @inlinable
    static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let batch = a.shape[0]
        let shared = b.rank == 2
        precondition(shared || (b.rank == 3 && b.shape[0] == batch), "matmul: batch shapes \(a.shape) and \(b.shape) differ")
        let ar = a.shape[1], ac = a.shape[2]
        let br = shared ? b.shape[0] : b.shape[1], bc = shared ? b.shape[1] : b.shape[2]
        let m = transposeA ? ac : ar, k = transposeA ? ar : ac
        let k2 = transposeB ? bc : br, n = transposeB ? br : bc
        precondition(k == k2, "matmul: inner dimensions differ: \(a.shape) × \(b.shape)")
        if m == 0 || n == 0 || k == 0 { return Tensor.zeros([batch, m, n]) }
        var c = Tensor(shape: [batch, m, n]) { _ in }
        Runtime.configure()
        a.scalars.withUnsafeBufferPointer { ap in
            b.scalars.withUnsafeBufferPointer { bp in
                c.scalars.withUnsafeMutableBufferPointer { cp in
                    // One product per worker at a time (BLAS is single-threaded).
                    let perItem = m * n * k
                    Parallel.forEachChunk(batch, minimumPerChunk: Swift.max(1, (1 << 18) / Swift.max(perItem, 1))) { items in
                    for i in items {
                        Scalar.gemm(
                            transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1,
                            a: ap.baseAddress! + i * ar * ac, lda: ac,
                            b: bp.baseAddress! + (shared ? 0 : i * br * bc), ldb: bc,
                            beta: 0, c: cp.baseAddress! + i * m * n, ldc: n)
                    }
                    }
                }
            }
        }
        return c
    }

    /// Matrix–vector product `op(A) x` through BLAS gemv (`A` 2-D, `x` 1-D).
    @inlinable
    public static func matvec(_ a: Tensor, _ x: Tensor, transpose: Bool = false) -> Tensor {
        precondition(a.rank == 2 && x.rank == 1, "matvec: need a matrix and a vector, got \(a.shape) and \(x.shape)")
        let m = a.shape[0], n = a.shape[1]
        precondition((transpose ? m : n) == x.count, "matvec: \(a.shape)\(transpose ? "ᵀ" : "") × \(x.shape)")
        var y = Tensor.zeros([transpose ? n : m])
        if m == 0 || n == 0 { return y }
        Runtime.configure()
        a.scalars.withUnsafeBufferPointer { ap in
            x.scalars.withUnsafeBufferPointer { xp in
                y.scalars.withUnsafeMutableBufferPointer { yp in
                    let A = ap.baseAddress!, X = xp.baseAddress!, Y = yp.baseAddress!
                    // Split the output across cores: rows of A for A x, columns of A for Aᵀ x.
                    Parallel.forEachChunk(transpose ? n : m, minimumPerChunk: Swift.max(1, (1 << 17) / Swift.max(transpose ? m : n, 1))) { r in
                        if transpose {
                            Scalar.gemv(trans: true, m: m, n: r.count, alpha: 1, a: A + r.lowerBound, lda: n,
                                        x: X, incx: 1, beta: 0, y: Y + r.lowerBound, incy: 1)
                        } else {
                            Scalar.gemv(trans: false, m: r.count, n: n, alpha: 1, a: A + r.lowerBound * n, lda: n,
                                        x: X, incx: 1, beta: 0, y: Y + r.lowerBound, incy: 1)
                        }
                    }
                }
            }
        }
        return y
    }
}

/// Matrix product; see `Tensor.matmul`.
@inlinable
public func matmul<S>(_ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool = false, transposeB: Bool = false) -> Tensor<S> {
    Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
}
