import ArgumentParser
import Foundation
import L2O

/// `l2o milodo-coefficients`: what a learned MiLoDo rule does along a run — the distribution of
/// its step `p_i`, dual weights `p_ij,1` and mixing weights `p_ij,2` at log-spaced iterations,
/// next to the gap and the consensus error. Compare with Exact Diffusion's constants
/// `p = γ`, `p_ij,1 = w_ij/(2γ)`, `p_ij,2 = w_ij/2`.
struct CoefficientsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "milodo-coefficients",
        abstract: "Show the coefficients a MiLoDo checkpoint produces along a run on one instance.")

    @Argument(help: "A MiLoDo checkpoint (.h5).") var checkpoint: String
    @Option(help: "Problems: a suite JSON or an instance-set .h5 file.")
    var problems: String = "Optimizees/lasso-10-300-10-0.1.json"
    @Option(help: "Split of a suite (train, validation, test).") var split: String = "test"
    @Option(help: "Which instance of the split.") var instance: Int = 0
    @Option(help: "Iterations.") var iterations: Int = 1000
    @Option(help: "Seed of the initial LSTM states.") var seed: UInt64 = 0

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be ≥ 1") }
        guard instance >= 0, instance < ProblemSuite.maximumInstancesPerSplit else { throw ValidationError("--instance must be ≥ 0 and below \(ProblemSuite.maximumInstancesPerSplit)") }
        guard Split(rawValue: split) != nil else { throw ValidationError("--split must be train, validation or test") }
    }

    func run() throws {
        let ps: [LASSO<Double>] = try ProblemSource.lasso(problems, split: Split(rawValue: split)!, count: instance + 1, optimum: true)
        guard instance < ps.count else { throw ValidationError("the split has only \(ps.count) instances") }
        let loaded: (model: MiLoDoModel<Double>, mixing: MixingMatrix<Double>, config: MiLoDoConfig)
        do { loaded = try MiLoDoCheckpoint.load(from: URL(fileURLWithPath: checkpoint), as: Double.self) } catch {
            throw ValidationError("cannot load \(checkpoint): \(error)")
        }
        let p = ps[instance]
        guard p.nodes == loaded.model.topology.nodeCount else {
            throw ValidationError("\(checkpoint) has \(loaded.model.topology.nodeCount) nodes, the problems \(p.nodes)")
        }
        let inst = try evaluationInstances([p], names: ["\(split)-\(instance)"])[0]
        let milodo = MiLoDoOptimizer(model: loaded.model, seed: seed)
        var state = milodo.makeState(inst.oracles, mixing: loaded.mixing)
        let logAt = Set(LogSchedule.iterations(last: iterations))
        var table = MarkdownTable(header: ["iteration", "rel. gap", "consensus", "p (q05/med/q95, zero)", "p_ij,1 (q05/med/q95)",
                                           "p_ij,2 (q05/med/q95, zero)", "max |y|"])
        func summary(_ ts: [Tensor<Double>], zeros: Bool) -> String {
            var all = ts.flatMap(\.scalars)
            all.sort()
            guard !all.isEmpty else { return "—" }
            let q = { (f: Double) in all[min(all.count - 1, Int(f * Double(all.count - 1)))] }
            var s = "\(formatNumber(q(0.05)))/\(formatNumber(q(0.5)))/\(formatNumber(q(0.95)))"
            if zeros { s += ", \(String(format: "%.0f%%", 100 * Double(all.filter { $0 == 0 }.count) / Double(all.count)))" }
            return s
        }
        for k in 1...iterations {
            var seen: MiLoDoModel<Double>.Coefficients?
            milodo.step(&state, inst.oracles, mixing: loaded.mixing, observe: logAt.contains(k) ? { seen = $0 } : nil)
            if let c = seen {
                let m = EvaluationRunner.metrics(milodo.iterate(state), inst)
                let ymax = state.rule.y.map { $0.value.scalars.map(abs).max() ?? 0 }.max() ?? 0
                table.append([String(k), formatNumber(m.relative), formatNumber(m.consensus), summary(c.p, zeros: true),
                              summary(c.p1.flatMap { $0 }, zeros: false), summary(c.p2.flatMap { $0 }, zeros: true), formatNumber(ymax)])
            }
        }
        print(table.render())
    }
}
