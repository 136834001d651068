import Dispatch
import Foundation

/// Splits `0..<count` into contiguous chunks and runs `body` on them on all cores.
///
/// Runs inline when the work is small (`count < minimumPerChunk * 2`) or only one core is
/// available, so small tensors never pay for thread hand-off. Never call BLAS with more than one
/// thread from inside `body` (see `BLASThreads`).
public enum Parallel {
    /// Number of worker chunks used for large loops (the number of active cores).
    public static var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @inlinable
    public static func forEachChunk(
        _ count: Int, minimumPerChunk: Int = 16384, _ body: (Range<Int>) -> Void
    ) {
        let chunks = Swift.min(workers, count / Swift.max(1, minimumPerChunk))
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        let per = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * per
            let hi = Swift.min(count, lo + per)
            if lo < hi { body(lo..<hi) }
        }
    }
}
