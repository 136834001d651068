import ArgumentParser
import Foundation
import L2O

/// `l2o compare-optimizers`: the same model from the same initialization, several optimizers.
struct CompareOptimizersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-optimizers",
        abstract: "Train the same model from the same initialization with several optimizers and compare them.",
        discussion: """
            For every seed, every optimizer starts from the model initialized with that seed and \
            sees the same data order. Writes into --out: comparison.md (per-optimizer summary and \
            per-run table), one CSV, resume and weights checkpoint per run, and SVG plots of \
            training loss and test accuracy against epochs and against training seconds. Runs \
            already finished (or partly done) in --out are resumed, not repeated.
            """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "Comma-separated optimizers, each NAME[:KEY=VALUE…], e.g. badm:rho=100:sigma=400,adam:lr=0.002.")
    var optimizers: String = "badm,adam,rmsprop"
    @Option(help: "Comma-separated seeds (initialization and data order).") var seeds: String = "0"
    @Option(parsing: .unconditional, help: "Target test accuracy for the epochs/seconds-to-target columns.") var target: Double = 0.85
    @Option(help: "Output folder.") var out: String = "runs/compare"

    var specs: [OptimizerSpec] { get throws { try optimizers.split(separator: ",").map { try OptimizerSpec(String($0)) } } }
    var seedList: [UInt64] {
        get throws {
            try seeds.split(separator: ",").map {
                guard let s = UInt64($0) else { throw ValidationError("--seeds must be comma-separated non-negative integers, got '\($0)'") }
                return s
            }
        }
    }

    func validate() throws {
        let s = try specs
        guard !s.isEmpty else { throw ValidationError("--optimizers is empty; e.g. badm,adam,rmsprop") }
        guard Set(s.map(\.text)).count == s.count else { throw ValidationError("--optimizers lists an optimizer twice") }
        guard !(try seedList).isEmpty else { throw ValidationError("--seeds is empty; e.g. 0,1,2") }
        guard target > 0, target <= 1 else { throw ValidationError("--target is a test accuracy in (0, 1], e.g. 0.85") }
    }

    func run() throws {
        let specs = try self.specs, seeds = try seedList
        let data = try options.loadData()
        let outDir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let command = "l2o compare-optimizers " + CommandLine.arguments.dropFirst(2).joined(separator: " ")
        var runs = [TrainingRun]()
        for seed in seeds {
            for spec in specs {
                let stem = spec.text.replacingOccurrences(of: ":", with: "_").replacingOccurrences(of: "=", with: "") + "-seed\(seed)"
                let trainer = try trainResumable(options: options, data: data, spec: spec, seed: seed, outDir: outDir, stem: stem, command: command)
                runs.append(TrainingRun(label: spec.text, seed: seed, history: Array(trainer.history.prefix(options.epochs + 1))))
            }
        }
        let title = "\(options.architecture) on \(options.dataset)"
        for (stem, plot) in TrainingComparison.plots(runs, title: title, evaluation: options.validation == nil ? "test" : "validation") {
            try plot.render().write(to: outDir.appendingPathComponent("\(stem).svg"), atomically: true, encoding: .utf8)
        }
        let report = """
            # Optimizer comparison: \(title)

            Command: `\(command)`

            \(options.epochs) epochs, batch \(options.batchSize), \(data.train.count) training / \(data.test.count) \(options.evaluationSetName) samples, \
            seeds \(seeds.map(String.init).joined(separator: ", ")); every optimizer starts from the same initialization for a \
            given seed. Seconds are training time (evaluation excluded).

            ## Summary over seeds

            \(TrainingComparison.summaryTable(runs, target: target, evaluation: options.validation == nil ? "test" : "validation").render())
            ## Every run

            \(TrainingComparison.runTable(runs, target: target, evaluation: options.validation == nil ? "test" : "validation").render())
            Plots: loss-vs-epochs.svg, accuracy-vs-epochs.svg, loss-vs-seconds.svg, accuracy-vs-seconds.svg.

            """
        try report.write(to: outDir.appendingPathComponent("comparison.md"), atomically: true, encoding: .utf8)
        print(report, terminator: "")
    }
}
