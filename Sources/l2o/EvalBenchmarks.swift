import Foundation
import L2O

extension Benchmarks {
    /// One evaluation iteration of Prox-ED and of the learned rule on one LASSO(10, d, N, 0.1)
    /// instance with Double iterates, as `l2o evaluate` runs them (`EvaluationRunner`'s method
    /// step on the problem's node oracles), at d = 300 (N = 10), 3,000 (N = 100) and 30,000
    /// (N = 1,000). The rule has the shipped support checkpoint's shape (hidden 20, residual step
    /// input, bounded outputs, step normalization; its cost does not depend on θ's values) and runs
    /// its networks in Float with the safeguard on (the evaluation default), then without the
    /// safeguard, then with Double networks. Iterations
    /// are timed in runs of `max(1, 30000/d)`; the median is reported per iteration.
    static func evaluationSteps(_ s: BenchSettings, dimensions: [Int] = [300, 3000, 30000]) -> [JSONLine] {
        var lines = [JSONLine]()
        for d in dimensions {
            let n = 10, N = d / 30
            let p = try! LASSO<Double>(A: bigUniform([n, N, d], as: Double.self), b: Tensor.normal([n, N], seed: 4), lambda: 0.1)
            let oracles = try! NodeOracles<Double>(p)
            let w = try! MixingMatrix<Double>(topology: try! .ring(n), rule: .uniform)
            let run = max(1, 30000 / d)
            let reps = s.reps ?? 10
            func perIteration(_ step: () -> Void) -> Double {
                Timing.median(reps: reps, warmup: s.warmup) { for _ in 0..<run { step() } } / Double(run)
            }
            let proxED = ProxED<Double>(stepSize: 0.03)
            var ps = proxED.makeState(oracles, mixing: w)
            let proxMS = perIteration { proxED.step(&ps, oracles, mixing: w) }
            var j = JSONLine("prox-ed-eval-\(d)")
            j.add("n", n); j.add("N", N); j.add("d", d)
            j.add("scalar", "float64")
            j.add("median_ms", proxMS)
            lines.append(j)
            var rng = RandomState(seed: 5)
            let model = try! MiLoDoModel<Double>(topology: w.topology, stepFeatures: .residual, rng: &rng)
            model.specialInitialize(gamma0: 0.05, mixing: w, rng: &rng)
            model.useBoundedOutputs(alpha: 0.5, stepAlpha: 0.9, gamma0: 0.05, mixing: w)
            model.stepScaleReference = 42.71
            // The evaluation default (Float networks, safeguard on), then without the safeguard,
            // then with Double networks.
            for (floatNets, guarded) in [(true, true), (true, false), (false, false)] {
                model.useFloatInference(floatNets)
                let milodo = MiLoDoOptimizer(model: model, safeguard: guarded ? Safeguard() : nil)
                var st = milodo.makeState(oracles, mixing: w)
                let ms = perIteration { milodo.step(&st, oracles, mixing: w) }
                precondition(milodo.iterate(st).isFinite)
                var k = JSONLine("milodo-eval-\(d)" + (floatNets ? "" : "-f64net") + (guarded ? "" : "-unguarded"))
                k.add("n", n); k.add("N", N); k.add("d", d)
                k.add("scalar", "float64")
                k.add("network_scalar", floatNets ? "float32" : "float64")
                k.add("median_ms", ms)
                k.add("ratio_to_prox_ed", ms / proxMS)
                lines.append(k)
            }
        }
        return lines
    }
}
