import Foundation
import L2O

/// Drives any rule's `MetaTrainer` for `l2o meta-train`: resumes from `<out>.resume.h5` when it
/// exists, shows progress, writes the resume checkpoint after every stage and every
/// `checkpointMinutes`, then the weights (`weights`, given the run's metadata), a Markdown history
/// next to them, and removes the resume file. `objective` names the history's per-iteration value.
func runMetaTraining<Rule: LearnedOptimizer, Config: Codable & Equatable>(
    _ trainer: MetaTrainer<Rule>, config: Config, outURL: URL, checkpointMinutes: Double, objective: String,
    announce: String, noStepAdvice: String, done: String = "",
    weights: ([String: HDF5AttributeValue]) throws -> Checkpoint
) throws {
    let resumeURL = outURL.deletingPathExtension().appendingPathExtension("resume.h5")
    if FileManager.default.fileExists(atPath: resumeURL.path) {
        let ck = try Checkpoint.read(from: resumeURL, kind: trainer.rule.kind, requireResume: true)
        try trainer.restore(from: ck, config: config)
        printErr("Resuming from \(resumeURL.path): stage \(trainer.position.stage + 1), epoch \(trainer.position.epoch + 1), batch \(trainer.position.batch) (\(ProgressBar.formatDuration(trainer.secondsBefore)) trained before)")
    }
    let command = "l2o meta-train " + CommandLine.arguments.dropFirst(2).joined(separator: " ")
    printErr(announce)
    let bar = ProgressBar(total: trainer.batchCounts.total, initial: trainer.batchCounts.done, label: "meta-train", minimumInterval: 1) { progressLine($0) }
    try trainer.run(checkpointEvery: checkpointMinutes * 60, progress: { p in
        bar.update(p.batchesDone, fields: [
            ("stage", "\(p.position.stage + 1)/\(p.stageCount)"),
            ("epoch", "\(p.position.epoch + 1)/\(p.epochsInStage)"),
            ("meta-loss", String(format: "%.4g", p.loss)),
            ("s/step", String(format: "%.2f", p.secondsPerStep)),
        ])
    }, checkpoint: { t in
        try t.resumeCheckpoint(config: config, metadata: ["command": .string(command)]).write(to: resumeURL)
    })
    progressLine("", final: false)
    guard trainer.position.steps > 0 else {
        throw InputError("no meta-gradient step was taken: all \(trainer.position.skipped) window(s) had a non-finite meta-loss or gradient, so \(outURL.path) was not written. \(noStepAdvice)")
    }
    try weights([
        "command": .string(command),
        "wall_seconds": .double(trainer.secondsBefore),
        "final_meta_loss": .double(trainer.history.last?.meanLoss ?? .nan),
        "meta_steps": .integer(Int64(trainer.position.steps)),
        "skipped_windows": .integer(Int64(trainer.position.skipped)),
    ]).write(to: outURL)
    var table = MarkdownTable(header: ["stage", "epoch", "mean meta-loss", objective, "seconds", "skipped"])
    for h in trainer.history {
        table.append(["\(h.stage + 1)", "\(h.epoch + 1)", formatNumber(h.meanLoss), formatNumber(h.finalObjective), formatNumber(h.seconds), "\(h.skippedWindows)"])
    }
    let summaryURL = outURL.deletingPathExtension().appendingPathExtension("md")
    try ("# Meta-training of \(outURL.lastPathComponent)\n\nCommand: `\(command)`\n\nWall time: \(ProgressBar.formatDuration(trainer.secondsBefore)); meta-steps: \(trainer.position.steps); skipped windows: \(trainer.position.skipped).\n\n" + table.render())
        .write(to: summaryURL, atomically: true, encoding: .utf8)
    try? FileManager.default.removeItem(at: resumeURL)
    printErr("\nDone in \(ProgressBar.formatDuration(trainer.secondsBefore)). Weights: \(outURL.path); history: \(summaryURL.path)" + done)
}
