import CBLAS
import Foundation

/// Process-wide numeric runtime settings, applied once before the first tensor kernel runs.
///
/// - OpenBLAS runs single-threaded; the engine splits large products across cores itself
///   (`TensorScalar.parallelGemm`), so one thread pool serves both BLAS and elementwise kernels
///   and idle BLAS threads never spin against them.
/// - Freed buffers up to 32 MiB stay in the heap (glibc `M_MMAP_THRESHOLD`/`M_TRIM_THRESHOLD` raised), so
///   repeated steps reuse memory instead of page-faulting fresh zeroed pages in every iteration.
public enum Runtime {
    public static let configured: Bool = {
        openblas_set_num_threads(1)
        #if os(Linux)
        // 32 MiB is the largest mmap threshold glibc accepts on 64-bit (a larger value is
        // rejected and leaves the dynamic threshold on, which resets the trim threshold to twice
        // the size of the last freed mmapped block and returns freed memory to the system again).
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
        return true
    }()

    /// Applies the settings (idempotent; called by `Tape.init` and `Tensor.matmul`).
    @inlinable public static func configure() { _ = configured }
}

extension TensorScalar {
    /// `C ← α op(A) op(B) + β C` split across cores: by rows of C when there are enough, by
    /// columns otherwise, and over the inner dimension (with a final reduction) when C is small
    /// and `k` is long (e.g. weight gradients `xᵀ·δ` over many rows).
    @inlinable
    public static func parallelGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        Runtime.configure()
        let workers = Parallel.workers
        let work = Double(m) * Double(n) * Double(k)
        if workers <= 1 || work < Double(1 << 20) {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                 beta: beta, c: c, ldc: ldc)
            return
        }
        if k >= 16 * Swift.max(m, n) && m * n <= 1 << 16 {
            // Split the inner dimension; each worker writes a private partial product.
            let per = (k + workers - 1) / workers
            var partial = [Self](repeating: 0, count: workers * m * n)
            partial.withUnsafeMutableBufferPointer { pp in
                let base = pp.baseAddress!
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let k0 = w * per, kk = Swift.min(k, k0 + per) - k0
                    guard kk > 0 else { return }
                    gemm(transA: transA, transB: transB, m: m, n: n, k: kk, alpha: alpha,
                         a: transA ? a + k0 * lda : a + k0, lda: lda,
                         b: transB ? b + k0 : b + k0 * ldb, ldb: ldb,
                         beta: 0, c: base + w * m * n, ldc: n)
                }
                for i in 0..<m {
                    let ci = c + i * ldc
                    for j in 0..<n {
                        var s: Self = 0
                        for w in 0..<workers { s += base[w * m * n + i * n + j] }
                        ci[j] = beta == 0 ? s : beta * ci[j] + s
                    }
                }
            }
            return
        }
        if m >= 2 * workers {
            let per = (m + workers - 1) / workers
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let r0 = w * per, rr = Swift.min(m, r0 + per) - r0
                guard rr > 0 else { return }
                gemm(transA: transA, transB: transB, m: rr, n: n, k: k, alpha: alpha,
                     a: transA ? a + r0 : a + r0 * lda, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c + r0 * ldc, ldc: ldc)
            }
            return
        }
        let per = (n + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let c0 = w * per, cc = Swift.min(n, c0 + per) - c0
            guard cc > 0 else { return }
            gemm(transA: transA, transB: transB, m: m, n: cc, k: k, alpha: alpha, a: a, lda: lda,
                 b: transB ? b + c0 * ldb : b + c0, ldb: ldb, beta: beta, c: c + c0, ldc: ldc)
        }
    }
}
