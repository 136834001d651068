/// Batched least-squares gradients `g_i = s·A_iᵀ(A_i x_i − b_i)` for blocks `A_i` (`A: [n, N, d]`,
/// `x: [n, d]`, `b: [n, N]`): the local gradient of `f_i(x) = s/2·‖A_i x − b_i‖²` at every node.
///
/// Memory-bound for large `A`, so the kernel streams `A` from memory **once**: it takes a few rows
/// at a time (small enough to stay in the core's L2 cache), computes their residuals with one pass
/// and folds them into `g` with a second pass that hits the cache. Nodes are split across cores;
/// BLAS runs single-threaded inside (no nested parallelism).
public enum LeastSquares {
    /// Rows per cache block (chosen so that a block of a 30,000-wide Float `A` stays in L2).
    public static let rowsPerBlock = 4

    /// How the per-block products are computed. Both stream `A` once; `l2o bench lasso-grad`
    /// times them rep by rep side by side (see docs/performance.md): OpenBLAS's AVX-512 gemv
    /// kernels measured faster, so `.blas` is the default.
    public enum Implementation: String, CaseIterable, Sendable {
        /// Two OpenBLAS gemv calls per 4-row block (the second one hits the cache).
        case blas
        /// Hand-vectorized pipeline: one sweep computes the next block's dots while folding the
        /// previous block into `g`.
        case fused
    }

    @inlinable
    public static func gradient<S: TensorScalar>(
        a: Tensor<S>, x: Tensor<S>, b: Tensor<S>, scale: S, implementation: Implementation = .blas
    ) -> Tensor<S> {
        precondition(a.rank == 3, "LeastSquares.gradient: A must be [n, N, d], got \(a.shape)")
        let n = a.shape[0], N = a.shape[1], d = a.shape[2]
        precondition(x.shape == [n, d], "LeastSquares.gradient: x must be \([n, d]), got \(x.shape)")
        precondition(b.shape == [n, N], "LeastSquares.gradient: b must be \([n, N]), got \(b.shape)")
        var g = Tensor<S>.zeros([n, d])
        if n == 0 || d == 0 || N == 0 { return g }
        Runtime.configure()
        a.scalars.withUnsafeBufferPointer { ap in
            x.scalars.withUnsafeBufferPointer { xp in
                b.scalars.withUnsafeBufferPointer { bp in
                    g.scalars.withUnsafeMutableBufferPointer { gp in
                        let A = ap.baseAddress!, X = xp.baseAddress!, B = bp.baseAddress!, G = gp.baseAddress!
                        // A thread hand-off costs ~10 µs, about a 64k-element pass over A: smaller
                        // problems (e.g. one LASSO(10,300,10) instance, 30k elements) run on one core.
                        Parallel.forEachChunk(n, minimumPerChunk: Swift.max(1, (1 << 16) / Swift.max(1, N * d))) { nodes in
                            for i in nodes {
                                nodeGradient(a: A + i * N * d, x: X + i * d, b: B + i * N, g: G + i * d, rows: N, d: d,
                                             scale: scale, implementation: implementation)
                            }
                        }
                    }
                }
            }
        }
        return g
    }

    /// `g += s·Aᵀ(A x − b)` for one `rows × d` block, streaming `A` once.
    @inlinable
    public static func nodeGradient<S: TensorScalar>(
        a: UnsafePointer<S>, x: UnsafePointer<S>, b: UnsafePointer<S>, g: UnsafeMutablePointer<S>,
        rows N: Int, d: Int, scale: S, implementation: Implementation
    ) {
        if implementation == .blas || N < 8 {
            var r = (S(0), S(0), S(0), S(0))
            var j0 = 0
            while j0 < N {
                let rows = Swift.min(rowsPerBlock, N - j0)
                let blk = a + j0 * d
                withUnsafeMutableBytes(of: &r) { raw in
                    let R = raw.baseAddress!.assumingMemoryBound(to: S.self)
                    for k in 0..<rows { R[k] = -b[j0 + k] }
                    S.gemv(trans: false, m: rows, n: d, alpha: 1, a: blk, lda: d, x: x, incx: 1, beta: 1, y: R, incy: 1)
                    for k in 0..<rows { R[k] *= scale }
                    S.gemv(trans: true, m: rows, n: d, alpha: 1, a: blk, lda: d, x: R, incx: 1, beta: 1, y: g, incy: 1)
                }
                j0 += rows
            }
            return
        }
        // Software pipeline over blocks of 4 rows: one sweep computes the residuals of block
        // b + 1 (streaming it from memory) while folding block b (still in cache) into g.
        let full = N / 4
        var coef = residuals4(a, x, b, scale: scale, d: d)
        for blk in 1..<full {
            let prev = a + (blk - 1) * 4 * d, next = a + blk * 4 * d
            let dots = dot4Axpy4(next, prev, coef, x, g, d)
            let o = blk * 4
            coef = (scale * (dots.0 - b[o]), scale * (dots.1 - b[o + 1]), scale * (dots.2 - b[o + 2]), scale * (dots.3 - b[o + 3]))
        }
        let last = a + (full - 1) * 4 * d
        axpy4(last, last + d, last + 2 * d, last + 3 * d, coef.0, coef.1, coef.2, coef.3, g, d)
        // Leftover rows (N not a multiple of 4).
        for j in (full * 4)..<N {
            let row = a + j * d
            let r = scale * (S.dot(n: d, x: row, y: x) - b[j])
            S.axpy(n: d, alpha: r, x: row, y: g)
        }
    }

    @inlinable @inline(__always)
    static func residuals4<S: TensorScalar>(_ a: UnsafePointer<S>, _ x: UnsafePointer<S>, _ b: UnsafePointer<S>, scale: S, d: Int) -> (S, S, S, S) {
        let t = dot4(a, a + d, a + 2 * d, a + 3 * d, x, d)
        return (scale * (t.0 - b[0]), scale * (t.1 - b[1]), scale * (t.2 - b[2]), scale * (t.3 - b[3]))
    }

    /// One sweep: returns the four dots `next_k · x` and performs `g += Σ_k c_k prev_k`.
    @inlinable @inline(__always)
    static func dot4Axpy4<S: TensorScalar>(
        _ next: UnsafePointer<S>, _ prev: UnsafePointer<S>, _ c: (S, S, S, S),
        _ x: UnsafePointer<S>, _ g: UnsafeMutablePointer<S>, _ d: Int
    ) -> (S, S, S, S) {
        typealias V = SIMD8<S>
        let w = MemoryLayout<S>.stride
        let n0 = UnsafeRawPointer(next), n1 = n0 + d * w, n2 = n1 + d * w, n3 = n2 + d * w
        let p0 = UnsafeRawPointer(prev), p1 = p0 + d * w, p2 = p1 + d * w, p3 = p2 + d * w
        let rx = UnsafeRawPointer(x), rg = UnsafeMutableRawPointer(g)
        let v0 = V(repeating: c.0), v1 = V(repeating: c.1), v2 = V(repeating: c.2), v3 = V(repeating: c.3)
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var j = 0
        while j + 8 <= d {
            let o = j * w
            let xv = rx.loadUnaligned(fromByteOffset: o, as: V.self)
            s0 += n0.loadUnaligned(fromByteOffset: o, as: V.self) * xv
            s1 += n1.loadUnaligned(fromByteOffset: o, as: V.self) * xv
            s2 += n2.loadUnaligned(fromByteOffset: o, as: V.self) * xv
            s3 += n3.loadUnaligned(fromByteOffset: o, as: V.self) * xv
            var acc = rg.loadUnaligned(fromByteOffset: o, as: V.self)
            acc += p0.loadUnaligned(fromByteOffset: o, as: V.self) * v0
            acc += p1.loadUnaligned(fromByteOffset: o, as: V.self) * v1
            acc += p2.loadUnaligned(fromByteOffset: o, as: V.self) * v2
            acc += p3.loadUnaligned(fromByteOffset: o, as: V.self) * v3
            rg.storeBytes(of: acc, toByteOffset: o, as: V.self)
            j += 8
        }
        var d0 = s0.sum(), d1 = s1.sum(), d2 = s2.sum(), d3 = s3.sum()
        let nn = next, pp = prev
        while j < d {
            d0 += nn[j] * x[j]; d1 += nn[d + j] * x[j]; d2 += nn[2 * d + j] * x[j]; d3 += nn[3 * d + j] * x[j]
            g[j] += c.0 * pp[j] + c.1 * pp[d + j] + c.2 * pp[2 * d + j] + c.3 * pp[3 * d + j]
            j += 1
        }
        return (d0, d1, d2, d3)
    }

    /// Four dot products `a_k · x` in one sweep over `x`.
    @inlinable @inline(__always)
    static func dot4<S: TensorScalar>(
        _ a0: UnsafePointer<S>, _ a1: UnsafePointer<S>, _ a2: UnsafePointer<S>, _ a3: UnsafePointer<S>,
        _ x: UnsafePointer<S>, _ d: Int
    ) -> (S, S, S, S) {
        typealias V = SIMD8<S>
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), t0 = V(), t1 = V(), t2 = V(), t3 = V()
        let r0 = UnsafeRawPointer(a0), r1 = UnsafeRawPointer(a1), r2 = UnsafeRawPointer(a2), r3 = UnsafeRawPointer(a3)
        let rx = UnsafeRawPointer(x)
        let w = MemoryLayout<S>.stride
        var j = 0
        while j + 16 <= d {
            let xa = rx.loadUnaligned(fromByteOffset: j * w, as: V.self)
            let xb = rx.loadUnaligned(fromByteOffset: (j + 8) * w, as: V.self)
            s0 += r0.loadUnaligned(fromByteOffset: j * w, as: V.self) * xa
            s1 += r1.loadUnaligned(fromByteOffset: j * w, as: V.self) * xa
            s2 += r2.loadUnaligned(fromByteOffset: j * w, as: V.self) * xa
            s3 += r3.loadUnaligned(fromByteOffset: j * w, as: V.self) * xa
            t0 += r0.loadUnaligned(fromByteOffset: (j + 8) * w, as: V.self) * xb
            t1 += r1.loadUnaligned(fromByteOffset: (j + 8) * w, as: V.self) * xb
            t2 += r2.loadUnaligned(fromByteOffset: (j + 8) * w, as: V.self) * xb
            t3 += r3.loadUnaligned(fromByteOffset: (j + 8) * w, as: V.self) * xb
            j += 16
        }
        var d0 = (s0 + t0).sum(), d1 = (s1 + t1).sum(), d2 = (s2 + t2).sum(), d3 = (s3 + t3).sum()
        while j < d {
            d0 += a0[j] * x[j]; d1 += a1[j] * x[j]; d2 += a2[j] * x[j]; d3 += a3[j] * x[j]
            j += 1
        }
        return (d0, d1, d2, d3)
    }

    /// `g += c₀a₀ + c₁a₁ + c₂a₂ + c₃a₃` in one sweep over `g`.
    @inlinable @inline(__always)
    static func axpy4<S: TensorScalar>(
        _ a0: UnsafePointer<S>, _ a1: UnsafePointer<S>, _ a2: UnsafePointer<S>, _ a3: UnsafePointer<S>,
        _ c0: S, _ c1: S, _ c2: S, _ c3: S, _ g: UnsafeMutablePointer<S>, _ d: Int
    ) {
        typealias V = SIMD8<S>
        let r0 = UnsafeRawPointer(a0), r1 = UnsafeRawPointer(a1), r2 = UnsafeRawPointer(a2), r3 = UnsafeRawPointer(a3)
        let rg = UnsafeMutableRawPointer(g)
        let w = MemoryLayout<S>.stride
        let v0 = V(repeating: c0), v1 = V(repeating: c1), v2 = V(repeating: c2), v3 = V(repeating: c3)
        var j = 0
        while j + 8 <= d {
            var acc = rg.loadUnaligned(fromByteOffset: j * w, as: V.self)
            acc += r0.loadUnaligned(fromByteOffset: j * w, as: V.self) * v0
            acc += r1.loadUnaligned(fromByteOffset: j * w, as: V.self) * v1
            acc += r2.loadUnaligned(fromByteOffset: j * w, as: V.self) * v2
            acc += r3.loadUnaligned(fromByteOffset: j * w, as: V.self) * v3
            rg.storeBytes(of: acc, toByteOffset: j * w, as: V.self)
            j += 8
        }
        while j < d {
            g[j] += c0 * a0[j] + c1 * a1[j] + c2 * a2[j] + c3 * a3[j]
            j += 1
        }
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
