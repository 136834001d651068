import Foundation
import L2O

extension Benchmarks {
    /// Where splitting a loop across cores starts to pay: a pass `y ← y + α·x` over `count`
    /// Doubles (the shape of the small per-node passes of a decentralized iteration) on one core
    /// and through `Parallel.forEachChunk` on all, for counts from 1,024 to 4M, and the cost of
    /// an empty hand-off (`concurrentPerform` with one chunk per worker). `crossover` is the
    /// smallest count at which all cores were faster (null if never).
    static func parallelCrossover(_ s: BenchSettings) -> [JSONLine] {
        var lines = [JSONLine]()
        let workers = Parallel.workers
        let handOff = Timing.median(reps: (s.reps ?? 10) * 100, warmup: s.warmup * 10) {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in }
        }
        var j = JSONLine("parallel-hand-off")
        j.add("threads", workers)
        j.add("median_us", handOff * 1e3)
        lines.append(j)
        var crossover: Int?
        var count = 1024
        while count <= 1 << 22 {
            let x = [Double](repeating: 1.5, count: count)
            var y = [Double](repeating: 0.5, count: count)
            // Enough passes per timing that each lasts ≥ ~1 ms.
            let passes = Swift.max(1, (1 << 21) / count)
            func time(_ minimumPerChunk: Int) -> Double {
                y.withUnsafeMutableBufferPointer { yp in
                    x.withUnsafeBufferPointer { xp in
                        let Y = yp.baseAddress!, X = xp.baseAddress!
                        return Timing.median(reps: s.reps ?? 10, warmup: s.warmup) {
                            for _ in 0..<passes {
                                Parallel.forEachChunk(count, minimumPerChunk: minimumPerChunk) { r in
                                    for i in r { Y[i] += 1e-9 * X[i] }
                                }
                            }
                        } / Double(passes)
                    }
                }
            }
            let one = time(count), all = time(1)
            var l = JSONLine("parallel-crossover")
            l.add("count", count)
            l.add("threads", workers)
            l.add("one_core_us", one * 1e3)
            l.add("all_cores_us", all * 1e3)
            l.add("speedup", one / all)
            lines.append(l)
            if crossover == nil, all < one { crossover = count }
            count *= 2
        }
        var c = JSONLine("parallel-crossover-summary")
        c.add("threads", workers)
        if let crossover { c.add("crossover_count", crossover) } else { c.add("crossover_count", "none") }
        lines.append(c)
        return lines
    }
}
