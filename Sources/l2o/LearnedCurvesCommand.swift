import ArgumentParser
import Foundation
import L2O

/// `l2o learned-curves`: a meta-trained LSTM optimizer against Adam with a tuned learning rate on
/// held-out classifier-training tasks, as [L2L], §3.2 reports it.
struct LearnedCurvesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learned-curves",
        abstract: "Training loss of a learned LSTM optimizer vs tuned Adam on held-out MLP training tasks.",
        discussion: """
            Adam's learning rate is chosen from --adam-lrs by the lowest mean loss after --steps \
            steps on --tune-tasks training tasks (the learned optimizer's own training split); both \
            then train --held-out held-out tasks (new initial weights and samples) for --steps \
            minibatch steps. Writes a table of the mean loss (over all of a task's samples) at \
            each of --marks to --out/curves.md and the raw numbers to curves.json.
            """)

    @Option(help: "The learned optimizer checkpoint (from `l2o meta-train --rule lstm`).")
    var checkpoint: String = "Checkpoints/lstm-mlp.h5"
    @OptionGroup var tasks: LSTMTaskOptions
    @Option(help: "Held-out tasks to evaluate on.") var heldOut: Int = 10
    @Option(help: "Training tasks to tune Adam's learning rate on.") var tuneTasks: Int = 5
    @Option(help: "Steps per task.") var steps: Int = 1000
    @Option(help: "Comma-separated steps at which the loss is reported.") var marks: String = "100,1000"
    @Option(help: "Comma-separated learning rates of Adam's grid.") var adamLrs: String = "0.0003,0.001,0.003,0.01,0.03,0.1"
    @Option(help: "Seed of the task family (use the meta-training seed to reproduce its tasks).") var seed: UInt64 = 0
    @Option(help: "Output folder.") var out: String = "runs/learned-curves"

    func parsedList(_ text: String, flag: String) throws -> [Double] {
        let v = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !v.isEmpty, v.allSatisfy({ $0 != nil && $0!.isFinite && $0! > 0 }) else { throw ValidationError("\(flag) must be a comma-separated list of positive numbers") }
        return v.map { $0! }
    }

    func validate() throws {
        try tasks.validate()
        guard (1...10_000).contains(heldOut), (1...10_000).contains(tuneTasks) else { throw ValidationError("--held-out and --tune-tasks must be between 1 and 10000") }
        guard (1...1_000_000).contains(steps) else { throw ValidationError("--steps must be between 1 and 1000000") }
        let m = try parsedList(marks, flag: "--marks")
        guard m.allSatisfy({ $0 == $0.rounded() && $0 <= Double(steps) }), zip(m, m.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw ValidationError("--marks must be increasing whole numbers ≤ --steps, e.g. 100,1000")
        }
        _ = try parsedList(adamLrs, flag: "--adam-lrs")
    }

    func run() throws {
        let outURL = try OutputFolder.prepare(out, flag: "--out")
        let markSteps = try parsedList(marks, flag: "--marks").map { Int($0) }
        let lrs = try parsedList(adamLrs, flag: "--adam-lrs")
        let learned: LSTMOptimizer<Float>
        do { learned = LSTMOptimizer(net: try LSTMOptimizerCheckpoint.load(from: URL(fileURLWithPath: checkpoint), as: Float.self).net, name: "learned") } catch {
            throw InputError("cannot load --checkpoint \(checkpoint): \(error)")
        }
        let family = try RealData.loading { try tasks.family(seed: seed) }
        let tuning = try family.instances(.train, count: tuneTasks)
        let heldOutTasks = try family.instances(.test, count: heldOut)
        printErr("Tuning Adam's learning rate over \(lrs.map(formatNumber).joined(separator: ", ")) on \(tuneTasks) training tasks of \(family.name)…")
        var best = (lr: lrs[0], loss: Double.infinity)
        var grid = [(Double, Double)]()
        for lr in lrs {
            var total = 0.0
            for (k, t) in tuning.enumerated() {
                total += try TrainingCurve.run(try Adam<Float>(learningRate: lr), on: t, steps: steps, marks: [steps], seed: UInt64(k))[0]
            }
            let mean = total / Double(tuneTasks)
            grid.append((lr, mean))
            progressLine("  adam lr \(formatNumber(lr)): mean loss \(String(format: "%.4f", mean)) after \(steps) steps", final: true)
            if mean < best.loss { best = (lr, mean) }
        }
        if best.lr == lrs.first || best.lr == lrs.last { printErr("warning: the tuned learning rate \(formatNumber(best.lr)) is at the edge of the grid; widen --adam-lrs") }
        var curves = [String: [[Double]]]()
        for (name, run) in [("learned", { (t: MLPClassification<Float>, s: UInt64) in try TrainingCurve.run(learned, on: t, steps: steps, marks: markSteps, seed: s) }),
                            ("adam lr=\(formatNumber(best.lr))", { t, s in try TrainingCurve.run(try Adam<Float>(learningRate: best.lr), on: t, steps: steps, marks: markSteps, seed: s) })] {
            var rows = [[Double]]()
            for (k, t) in heldOutTasks.enumerated() {
                rows.append(try run(t, 1000 + UInt64(k)))
                progressLine("  \(name): held-out task \(k + 1)/\(heldOut)")
            }
            curves[name] = rows
        }
        progressLine("", final: false)
        var table = MarkdownTable(header: ["optimizer"] + markSteps.map { "loss after \($0) steps (mean ± sd)" } + ["diverged"])
        for name in curves.keys.sorted() {
            let rows = curves[name]!
            var row = [name]
            for m in markSteps.indices {
                let v = rows.map { $0[m] }.filter(\.isFinite)
                let mean = v.reduce(0, +) / Double(max(v.count, 1))
                let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(v.count - 1, 1))).squareRoot()
                row.append(v.isEmpty ? "—" : String(format: "%.4f ± %.4f", mean, sd))
            }
            row.append("\(rows.filter { !$0.allSatisfy(\.isFinite) }.count)/\(rows.count)")
            table.append(row)
        }
        let command = "l2o learned-curves " + CommandLine.arguments.dropFirst(2).joined(separator: " ")
        let report = "## \(family.name) (\(tasks.mlpActivation)) on \(tasks.dataset), minibatch \(tasks.minibatch), \(heldOut) held-out tasks\n\nCommand: `\(command)`\n\nAdam's grid (mean loss after \(steps) steps on \(tuneTasks) training tasks): "
            + grid.map { "\(formatNumber($0.0)): \(String(format: "%.4f", $0.1))" }.joined(separator: ", ") + ".\n\n" + table.render()
        try report.write(to: outURL.appendingPathComponent("curves.md"), atomically: true, encoding: .utf8)
        let json = try JSONSerialization.data(withJSONObject: ["marks": markSteps, "adam_lr": best.lr, "curves": curves.mapValues { $0.map { $0.map { $0.isFinite ? $0 : -1 } } }], options: [.prettyPrinted, .sortedKeys])
        try json.write(to: outURL.appendingPathComponent("curves.json"))
        print(report)
    }
}
