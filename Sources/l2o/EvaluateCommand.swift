import ArgumentParser
import Foundation
import L2O

/// `l2o evaluate`: long runs of handcrafted and learned methods on held-out problems.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate decentralized methods (handcrafted or learned) on held-out LASSO or logistic-regression problems.",
        discussion: """
            Runs every method on every instance for --iterations iterations with no tape (constant \
            memory), logging the relative gap of the node average, the consensus error and the \
            time at log-spaced iterations. Writes report.md, trace.csv, report.json and SVG plots \
            into --out, and prints the table. Problems: LASSO (lasso, linear-regression, \
            lasso-patches) or logistic regression (logistic, logistic-adult) suites and instance sets.
            """)

    @Option(help: "Problems: a suite JSON or an instance-set .h5 file.")
    var problems: String = "Optimizees/lasso-10-300-10-0.1.json"
    @Option(help: "Group index of a suite (see 'l2o problems list').")
    var group: Int = 0
    @Option(help: "Split of a suite to evaluate on (train, validation, test).")
    var split: String = "test"
    @Option(help: "Number of instances (default: all of the split, at most 10).")
    var count: Int = 10
    @Option(help: "Comma-separated methods: \(MethodSpec.handcrafted.joined(separator: ",")), milodo:CHECKPOINT.h5")
    var methods: String = "prox-ed,pg-extra"
    @Option(help: "Iterations per run.") var iterations: Int = 10000
    @Option(help: "Scalar type: float or double.") var scalar: String = "double"
    @Option(help: "Communication graph.") var topology: String = "ring"
    @Option(help: "Mixing rule: uniform, metropolis-hastings, max-degree, laplacian.") var mixing: String = "uniform"
    @Option(help: "Tuned step sizes (JSON written by `l2o tune`).") var tuned: String?
    @Option(name: .customLong("step"), help: "A step size, METHOD=γ (repeatable; overrides --tuned).")
    var steps: [String] = []
    @Option(help: "Output folder.") var out: String = "runs/evaluate"
    @Option(help: "Seed (random topologies).") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Scalar type of learned rules' networks: float (default, the precision they were trained in) or double.",
                               discussion: "Iterates, gradients and duals are always in the --scalar type. 'double' (with --scalar double) evaluates the networks in Double on the slower tensor path; the method is then reported as milodo-f64net."))
    var networkScalar: String = "float"
    @Flag(name: .customLong("no-safeguard"), help: ArgumentHelp("Run learned rules without their safeguard.",
                                                                 discussion: "By default a learned rule falls back to Exact Diffusion's step (γ = 1/L) whenever its own steps stop reducing the fixed-point residual (docs/milodo.md, 'The safeguard'); the report says how often. Without it the method is reported as milodo-unguarded."))
    var noSafeguard = false
    @Option(help: "Learned iterations per progress window of the safeguard.") var safeguardWindow: Int = Safeguard().window
    @Option(help: "Decrease of the best fixed-point residual the safeguard requires from one window to the next (fraction).")
    var safeguardDecrease: Double = Safeguard().minimumDecrease
    @Option(help: "Comma-separated relative-gap tolerances to report iterations and seconds to.")
    var tolerances: String = "1e-3,1e-5,1e-7,1e-9,1e-11,1e-13,1e-15"
    @Option(help: ArgumentHelp("Evaluate the gap every N iterations.",
                               discussion: "Each check is a pass over the data (as costly as a gradient on large problems); with N > 1 a tolerance's hit is the first check at or below it (up to N − 1 iterations after the first iteration below it when the gap falls steadily). Step times are unaffected."))
    var checkEvery: Int = 1

    /// `--tolerances` parsed: positive, finite, in decreasing order.
    func parsedTolerances() throws -> [Double] {
        let parts = tolerances.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var out = [Double]()
        for p in parts {
            guard let v = Double(p), v.isFinite, v > 0 else { throw ValidationError("--tolerances: '\(p)' is not a positive number") }
            out.append(v)
        }
        guard !out.isEmpty else { throw ValidationError("--tolerances: give at least one tolerance") }
        guard zip(out, out.dropFirst()).allSatisfy({ $0 > $1 }) else { throw ValidationError("--tolerances must decrease (e.g. 1e-3,1e-5)") }
        return out
    }

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be ≥ 1") }
        guard count >= 1 else { throw ValidationError("--count must be ≥ 1") }
        guard group >= 0 else { throw ValidationError("--group must be ≥ 0") }
        guard ["float", "double"].contains(scalar) else { throw ValidationError("--scalar must be float or double") }
        guard ["float", scalar].contains(networkScalar) else {
            throw ValidationError("--network-scalar must be float or the --scalar type (\(scalar)), got '\(networkScalar)'")
        }
        guard Split(rawValue: split) != nil else { throw ValidationError("--split must be train, validation or test") }
        guard MixingRule(rawValue: mixing) != nil else { throw ValidationError("unknown --mixing '\(mixing)'") }
        guard checkEvery >= 1 else { throw ValidationError("--check-every must be ≥ 1") }
        guard safeguardWindow >= 1, safeguardWindow <= 1_000_000 else { throw ValidationError("--safeguard-window must be 1…1,000,000, got \(safeguardWindow)") }
        guard safeguardDecrease >= 0, safeguardDecrease < 1 else { throw ValidationError("--safeguard-decrease must lie in [0, 1), got \(safeguardDecrease)") }
        guard iterations <= ResourceLimits.maximumIterations else { throw ValidationError("--iterations must be at most \(ResourceLimits.maximumIterations) (10¹²), got \(iterations)") }
        _ = try parsedTolerances()
        _ = try MethodSpec.parseList(methods)
        _ = try MethodSpec.parseSteps(steps)
    }

    func run() throws {
        if scalar == "float" { try evaluate(Float.self) } else { try evaluate(Double.self) }
    }

    func evaluate<S: TensorScalar>(_: S.Type) throws {
        var stepSizes = [String: Double]()
        if let tuned { stepSizes = try TunedSteps.load(tuned).steps }
        stepSizes.merge(try MethodSpec.parseSteps(steps)) { $1 }
        let specs = try MethodSpec.parseList(methods)
        for spec in specs where !spec.hasPrefix("milodo:") && stepSizes[spec] == nil {
            throw ValidationError("no step size for \(spec): run `l2o tune` and pass --tuned FILE, or give --step \(spec)=γ")
        }
        let outURL = try OutputFolder.prepare(out, flag: "--out")
        printErr("Loading \(split) problems from \(problems) (reference optima by FISTA where not stored)…")
        let (problemName, instances): (String, [EvaluationInstance<S>]) = try ProblemSource.evaluation(
            problems, split: Split(rawValue: split)!, count: count, group: group, prefix: split) { k, n in
            progressLine("  instance \(k)/\(n)")
        }
        progressLine("", final: false)
        let topo = try makeTopology(topology, nodes: instances[0].oracles.nodeCount, seed: seed)
        let w = try MixingMatrix<S>(topology: topo, rule: MixingRule(rawValue: mixing)!)
        let settings = EvaluationSettings(iterations: iterations, tolerances: try parsedTolerances(), checkInterval: checkEvery)
        var traces = [EvaluationTrace]()
        let total = specs.count * instances.count * iterations
        let bar = ProgressBar(total: total, label: "evaluate", minimumInterval: 0.5) { progressLine($0) }
        var done = 0
        for spec in specs {
            try MethodSpec.with(spec, step: stepSizes[spec], scalar: S.self, mixing: w,
                                floatNetworks: networkScalar == "float",
                                safeguard: noSafeguard ? nil : Safeguard(window: safeguardWindow, minimumDecrease: safeguardDecrease)) { method in
                for inst in instances {
                    traces.append(runOne(method, inst, w, settings) { k, gap in
                        bar.update(done + k, fields: [("method", spec.hasPrefix("milodo:") ? "milodo" : spec), ("gap", String(format: "%.1e", gap))])
                    })
                    done += iterations
                }
            }
        }
        progressLine("", final: false)
        let title = "\(problemName), \(topo.name), \(S.dtypeName)"
        let report = EvaluationReport(title: title, settings: settings, traces: traces)
        let files = try report.write(to: outURL)
        print(report.markdownTable())
        printErr("Wrote \(files.map(\.path).joined(separator: ", "))")
        try reportDivergence(traces)
    }

    func runOne<S>(_ method: any DecentralizedMethod<S>, _ inst: EvaluationInstance<S>, _ w: MixingMatrix<S>,
                   _ settings: EvaluationSettings, progress: @escaping (Int, Double) -> Void) -> EvaluationTrace {
        func open<M: DecentralizedMethod>(_ m: M) -> EvaluationTrace where M.Scalar == S {
            EvaluationRunner.run(m, on: inst, mixing: w, settings: settings, progress: progress)
        }
        return open(method)
    }
}
