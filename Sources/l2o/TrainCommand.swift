import ArgumentParser
import Foundation
import L2O

/// `l2o train`: one model, one optimizer, resumable.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier on Fashion-MNIST (or synthetic images) with BADM or a classic optimizer.",
        discussion: """
            Writes into --out: train.csv (the learning curve), train.resume.h5 (a resume checkpoint, \
            rewritten atomically after every epoch), train.weights.h5 (the trained model) and \
            train.md (the table). Running the same command again resumes from train.resume.h5; a \
            larger --epochs continues training. Hyper-parameters not given keep the optimizer's \
            defaults (docs/optimizers.md).
            """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "Optimizer: \(TrainingOptimizers.names.joined(separator: ", ")).") var optimizer: String = "badm"
    @Option(parsing: .unconditional, help: "Learning rate (every optimizer but BADM).") var lr: Double?
    @Option(parsing: .unconditional, help: "Decoupled weight decay (every optimizer but BADM).") var weightDecay: Double?
    @Option(parsing: .unconditional, help: "BADM ρ (default 200).") var rho: Double?
    @Option(parsing: .unconditional, help: "BADM σ (default 400; the local step is 1/(ρ+σ)).") var sigma: Double?
    @Option(parsing: .unconditional, help: "BADM β of the second moment (default 0.9).") var beta: Double?
    @Option(parsing: .unconditional, help: "BADM sub-batches per batch (default 8).") var subBatches: Int?
    @Option(parsing: .unconditional, help: "Random seed (initialization and data order).") var seed: UInt64 = 0
    @Option(help: "Output folder.") var out: String = "runs/train"

    var spec: OptimizerSpec {
        get throws {
            var values = [String: Double]()
            values["lr"] = lr
            values["weight_decay"] = weightDecay
            values["rho"] = rho
            values["sigma"] = sigma
            values["beta"] = beta
            values["sub_batches"] = subBatches.map(Double.init)
            return try OptimizerSpec(text: optimizer, name: optimizer, values)
        }
    }

    func validate() throws { _ = try spec }

    func run() throws {
        let spec = try self.spec
        let data = try options.loadData()
        let outDir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let command = "l2o train " + CommandLine.arguments.dropFirst(2).joined(separator: " ")
        let trainer = try trainResumable(options: options, data: data, spec: spec, seed: seed, outDir: outDir, stem: "train", command: command)
        let eval = options.validation == nil ? "test" : "validation"
        var table = MarkdownTable(header: ["epoch", "train loss", "\(eval) loss", "\(eval) accuracy", "seconds"])
        for h in trainer.history {
            table.append(["\(h.epoch)", h.trainLoss.isNaN ? "—" : String(format: "%.4f", h.trainLoss), String(format: "%.4f", h.testLoss),
                          String(format: "%.2f%%", 100 * h.testAccuracy), String(format: "%.1f", h.seconds)])
        }
        let hp = spec.optimizer.hyperParameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(formatNumber($0.value))" }.joined(separator: ", ")
        let report = "# \(spec.optimizer.name) on \(options.dataset), \(options.architecture)\n\nCommand: `\(command)`\n\nHyper-parameters: \(hp); batch \(options.batchSize); seed \(seed); evaluated on \(options.evaluationSetName).\n\n" + table.render()
        try report.write(to: outDir.appendingPathComponent("train.md"), atomically: true, encoding: .utf8)
        print(report, terminator: "")
        printErr("Weights: \(outDir.appendingPathComponent("train.weights.h5").path); resume: \(outDir.appendingPathComponent("train.resume.h5").path)")
    }
}
