import Foundation
import L2O

extension Benchmarks {
    /// Sheaf-ADMM on 19×19 mazes in the paper's configuration (3×3 patches, stride 2, 8-connected,
    /// d_v = 10, d_e = 5, rank 4, directional maps; 81 agents, 272 edges), batch 32, Float:
    /// `sheaf-maze-step` is one training step (forward over K = 20 ADMM iterations with 5 CG steps
    /// each, backward, AdamW + EMA update), `sheaf-maze-eval` one forward over K = 100 without a
    /// tape. Reports the process's peak resident memory so far.
    static func sheafMaze(_ s: BenchSettings) -> [JSONLine] {
        var settings = MazeTrainingSettings()
        settings.batchSize = 32
        settings.trainCount = 256
        settings.validationCount = 32
        settings.minIterations = 20
        settings.maxIterations = 20
        var rng = RandomState(seed: 1)
        let trainer = try! SheafMazeTrainer(model: try! MazeSheafModel(config: .paper, rng: &rng), settings: settings)
        let stepMs = Timing.median(reps: s.reps ?? 10, warmup: s.warmup) { _ = try! trainer.trainStep() }
        let batch = Array(trainer.validation.mazes.prefix(32))
        let evalMs = Timing.median(reps: max(3, (s.reps ?? 10) / 2), warmup: 1) {
            _ = try! trainer.model(batch, iterations: 100, context: ForwardContext(tape: nil))
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024
        var a = JSONLine("sheaf-maze-step")
        a.add("batch", 32); a.add("iterations", 20); a.add("cg_steps", 5); a.add("size", 19)
        a.add("parameters", trainer.model.parameterCount)
        a.add("scalar", "float32")
        a.add("median_ms", stepMs)
        a.add("peak_rss_mb", peakMB)
        var b = JSONLine("sheaf-maze-eval")
        b.add("batch", 32); b.add("iterations", 100); b.add("cg_steps", 5); b.add("size", 19)
        b.add("scalar", "float32")
        b.add("median_ms", evalMs)
        b.add("peak_rss_mb", peakMB)
        return [a, b]
    }
}
