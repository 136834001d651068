import Foundation
import L2O

extension Benchmarks {
    /// `graph-energy`: value, gradient and Hessian-vector product of heat diffusion, Kuramoto and
    /// Hopf–Kuramoto (Float) on the 75×75 triangular lattice and, when `make data` has extracted it,
    /// the Stanford bunny's edge graph.
    static func graphEnergy(_ s: BenchSettings) -> [JSONLine] {
        var graphs: [(String, GraphRecipe)] = [("triangular-75x75", .triangular(rows: 75, cols: 75))]
        let bunny = OFFMesh.bunnyPath()
        if FileManager.default.fileExists(atPath: bunny) { graphs.append(("bunny", .mesh(path: bunny))) } else {
            FileHandle.standardError.write(Data("graph-energy: \(bunny) missing, skipping the bunny (\(OFFMesh.bunnyHint))\n".utf8))
        }
        var lines = [JSONLine]()
        for (label, recipe) in graphs {
            guard let heat = try? HeatDiffusionFamily<Float>(graph: recipe, seed: 1).instance(.train, index: 0),
                  let kuramoto = try? KuramotoFamily<Float>(graph: recipe, seed: 1).instance(.train, index: 0),
                  let hopf = try? HopfKuramotoFamily<Float>(graph: recipe, s1: -1, s2: 0.1, seed: 1).instance(.train, index: 0)
            else { continue }
            func time<P: Optimizee>(_ energy: String, _ p: P, _ x: Tensor<Float>) where P.Scalar == Float {
                let reps = s.reps ?? 50
                let v = Tensor<Float>.normal([p.dimension], seed: 2)
                var line = JSONLine("graph-energy")
                line.add("energy", energy)
                line.add("graph", label)
                line.add("nodes", p.dimension)
                line.add("edges", heat.graph.edgeCount)
                line.add("dtype", Float.dtypeName)
                line.add("value_ms", Timing.median(reps: reps, warmup: s.warmup) { _ = p.value(x) })
                line.add("gradient_ms", Timing.median(reps: reps, warmup: s.warmup) { _ = p.gradient(shard: 0, at: x) })
                line.add("hvp_ms", Timing.median(reps: reps, warmup: s.warmup) { _ = p.hessianVectorProduct(shard: 0, at: x, direction: v) })
                lines.append(line)
            }
            time("heat", heat, heat.initialPoint)
            time("kuramoto", kuramoto, kuramoto.initialPoint)
            time("hopf-kuramoto", hopf, hopf.initialPoint)
        }
        return lines
    }
}
