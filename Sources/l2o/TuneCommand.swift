import ArgumentParser
import Foundation
import L2O

/// `l2o tune`: grid search of the handcrafted methods' step sizes on training problems.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Grid-search each handcrafted method's step size on training problems.",
        discussion: """
            For each method, every step size of a geometric grid runs --iterations iterations on \
            --count training instances (LASSO or logistic regression); the chosen step is the stable one reaching --tolerance in \
            the fewest iterations (median over instances) among those with --margin stable grid \
            points above them. Writes the choices and every candidate \
            as JSON (read by `l2o evaluate --tuned`) and prints a table.
            """)

    @Option(help: "Problems: a suite JSON or an instance-set .h5 file.")
    var problems: String = "Optimizees/lasso-10-300-10-0.1.json"
    @Option(help: "Group index of a suite (see 'l2o problems list').")
    var group: Int = 0
    @Option(help: "Comma-separated handcrafted methods.") var methods: String = "prox-dgd,pg-extra,prox-ed,prox-atc,dapg,odapg,admm"
    @Option(help: "Training instances per grid point.") var count: Int = 4
    @Option(help: "Iterations per run.") var iterations: Int = 3000
    @Option(help: "Relative-gap tolerance that defines 'fastest'.") var tolerance: Double = 1e-6
    @Option(help: "Smallest step of the grid.") var low: Double = 0.002
    @Option(help: "Largest step of the grid.") var high: Double = 0.2
    @Option(help: "Grid points.") var points: Int = 21
    @Option(help: "Safety margin: this many larger grid points must also be stable for a step to be chosen.")
    var margin: Int = 1
    @Option(help: "Communication graph.") var topology: String = "ring"
    @Option(help: "Mixing rule.") var mixing: String = "uniform"
    @Option(help: "Output JSON.") var out: String = "runs/tuned-steps.json"
    @Option(help: "Seed (random topologies).") var seed: UInt64 = 0

    func validate() throws {
        guard low > 0, high > low else { throw ValidationError("need 0 < --low < --high") }
        guard points >= 2 else { throw ValidationError("--points must be ≥ 2") }
        guard margin >= 0 else { throw ValidationError("--margin must be ≥ 0") }
        guard group >= 0 else { throw ValidationError("--group must be ≥ 0") }
        guard count >= 1, iterations >= 1 else { throw ValidationError("--count and --iterations must be ≥ 1") }
        guard tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance is a relative gap: it must be in (0, 1), e.g. 1e-6; got \(tolerance)") }
        guard low.isFinite, high.isFinite, high <= MethodSpec.maximumStepSize else { throw ValidationError("--low and --high must be finite, with --high ≤ 1e6") }
        guard points <= 10_000 else { throw ValidationError("--points must be at most 10000") }
        guard iterations <= ResourceLimits.maximumIterations else { throw ValidationError("--iterations must be at most \(ResourceLimits.maximumIterations)") }
        _ = try MethodSpec.parseList(methods, allowLearned: false)
        guard MixingRule(rawValue: mixing) != nil else { throw ValidationError("unknown --mixing '\(mixing)'") }
    }

    func run() throws {
        let names = try MethodSpec.parseList(methods, allowLearned: false)
        let url = try OutputFolder.prepareFile(out, flag: "--out", extensions: ["json"])
        printErr("Loading \(count) training problems from \(problems) (with reference optima)…")
        let instances: [EvaluationInstance<Double>] = try ProblemSource.evaluation(
            problems, split: .train, count: count, group: group, prefix: "train") { k, n in progressLine("  instance \(k)/\(n)") }.instances
        progressLine("", final: false)
        let topo = try makeTopology(topology, nodes: instances[0].oracles.nodeCount, seed: seed)
        let w = try MixingMatrix<Double>(topology: topo, rule: MixingRule(rawValue: mixing)!)
        let tuner = StepSizeTuner(low: low, high: high, count: points, iterations: iterations, tolerance: tolerance, margin: margin)
        var results = [StepSizeTuner.Result]()
        var table = MarkdownTable(header: ["method", "tuned γ", "median iterations to \(formatNumber(tolerance))", "stable range"])
        for name in names {
            let r: StepSizeTuner.Result = try MethodSpec.with(name, step: 1, scalar: Double.self, mixing: w) { method in
                func open<M: DecentralizedMethod>(_ m: M) throws -> StepSizeTuner.Result where M.Scalar == Double {
                    try tuner.tune({ var c = m; c.stepSize = $0; return c }, on: instances, mixing: w) { k, n in
                        progressLine("tune \(name) [\(k)/\(n)]")
                    }
                }
                return try open(method)
            }
            progressLine("", final: false)
            if r.atGridEdge { printErr("warning: the step chosen for \(name) is the largest of the grid; widen it with --high") }
            results.append(r)
            let best = r.candidates.first { $0.stepSize == r.best }!
            let stable = r.candidates.filter(\.stable).map(\.stepSize)
            table.append([name, formatNumber(r.best),
                          best.medianIterations > Double(iterations) ? "> \(iterations)" : formatNumber(best.medianIterations),
                          "\(formatNumber(stable.min() ?? .nan))–\(formatNumber(stable.max() ?? .nan))"])
        }
        let tuned = TunedSteps(problems: problems, topology: topology, mixing: mixing, iterations: iterations, tolerance: tolerance,
                               steps: Dictionary(uniqueKeysWithValues: results.map { ($0.method, $0.best) }), results: results)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try enc.encode(tuned).write(to: url, options: .atomic)
        print(table.render())
        printErr("Wrote \(url.path)")
    }
}
