import ArgumentParser
import Foundation
import L2O

/// `l2o sheaf train|evaluate`: Sheaf-ADMM on tasks (mazes today).
struct SheafCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sheaf",
        abstract: "Train and evaluate Sheaf-ADMM, a learnable multi-agent optimization layer.",
        subcommands: [SheafTrainCommand.self, SheafEvaluateCommand.self])
}

/// The models `l2o sheaf train` trains on mazes.
enum MazeModelChoice: String, ExpressibleByArgument, CaseIterable {
    case sheaf, mpnnMean = "mpnn-mean", mpnnMax = "mpnn-max"
}

/// The tasks `l2o sheaf` knows.
enum SheafTask: String, ExpressibleByArgument, CaseIterable {
    case maze
}

struct SheafTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train Sheaf-ADMM on a task (mazes: predict the shortest path).",
        discussion: """
            Mazes: randomized depth-first-search mazes of --cells × --cells cells (19 × 19 pixels for 9), \
            shortest paths as labels, a random symmetry of the square per maze and step; agents on \
            3×3 patches with stride 2, 8-connected, d_v = 10, d_e = 5, rank-4 map updates, directional \
            base maps (the paper's configuration); AdamW with warm-up, clipping and a parameter EMA; \
            K drawn from --min-iterations…--max-iterations per step. Resumes from OUT.resume.h5 when it \
            exists; writes OUT (weights: the EMA average) and OUT with extension .md (history).
            """)

    @Option(help: "Task: \(SheafTask.allCases.map(\.rawValue).joined(separator: ", ")).")
    var task: SheafTask = .maze
    @Option(help: "Model: \(MazeModelChoice.allCases.map(\.rawValue).joined(separator: ", ")) (the message-passing baselines use the same agents, encoder, decoder and budget).")
    var model: MazeModelChoice = .sheaf
    @Option(help: "Output weights checkpoint (.h5).")
    var out: String = "runs/sheaf-maze/model.h5"
    @Option(help: "Training steps.")
    var steps: Int = 5000
    @Option(help: "Mazes per step.")
    var batchSize: Int = 32
    @Option(help: "Peak learning rate (AdamW).")
    var learningRate: Double = 1e-3
    @Option(help: "Decoupled weight decay.")
    var weightDecay: Double = 1e-4
    @Option(help: "Linear warm-up steps.")
    var warmup: Int = 200
    @Option(help: "Training mazes.")
    var trainCount: Int = 10_000
    @Option(help: "Validation mazes (evaluated with the EMA parameters at every --validate-every steps).")
    var validationCount: Int = 256
    @Option(help: "Maze cells per side (pixels: 2·cells + 1).")
    var cells: Int = 9
    @Option(help: "Fewest ADMM iterations per training step.")
    var minIterations: Int = 15
    @Option(help: "Most ADMM iterations per training step.")
    var maxIterations: Int = 40
    @Option(help: "ADMM iterations at validation.")
    var evaluationIterations: Int = 100
    @Option(help: "Steps between validations (and history records).")
    var validateEvery: Int = 250
    @Option(help: "Minutes between resume checkpoints.")
    var checkpointMinutes: Double = 5
    @Option(help: "Seed (data, batches, initialization).")
    var seed: UInt64 = 0
    @Option(help: "Vertex stalk dimension d_v.")
    var vertexStalk: Int = 10
    @Option(help: "Edge stalk dimension d_e (≤ d_v).")
    var edgeStalk: Int = 5
    @Option(help: "Rank of the encoder's restriction-map update (0: fixed maps).")
    var rank: Int = 4

    func validate() throws {
        guard validateEvery >= 1 else { throw ValidationError("--validate-every must be at least 1, got \(validateEvery)") }
        guard checkpointMinutes > 0 else { throw ValidationError("--checkpoint-minutes must be positive, got \(checkpointMinutes)") }
        guard out.hasSuffix(".h5") else { throw ValidationError("--out must name an .h5 file, got \(out)") }
    }

    func run() throws {
        var config = MazeModelConfig.paper
        config.layer.vertexStalk = vertexStalk
        config.layer.edgeStalk = edgeStalk
        config.rank = rank
        var s = MazeTrainingSettings()
        s.steps = steps
        s.batchSize = batchSize
        s.learningRate = learningRate
        s.weightDecay = weightDecay
        s.warmupSteps = warmup
        s.trainCount = trainCount
        s.validationCount = validationCount
        s.cells = cells
        s.minIterations = minIterations
        s.maxIterations = maxIterations
        s.evaluationIterations = evaluationIterations
        s.seed = seed
        var mpnn = MazeMPNNConfig(aggregation: model == .mpnnMax ? .max : .mean)
        mpnn.stateSize = vertexStalk
        mpnn.messageSize = edgeStalk
        do {
            var rng = RandomState(seed: seed)
            switch model {
            case .sheaf: try train(MazeTrainer(model: try MazeSheafModel<Float>(config: config, rng: &rng), settings: s))
            case .mpnnMean, .mpnnMax: try train(MazeTrainer(model: try MazeMPNN<Float>(config: mpnn, rng: &rng), settings: s))
            }
        } catch let e as SheafError { throw ValidationError("\(e)") } catch TrainingError.invalidSetting(let name, let message) {
            throw ValidationError("invalid \(name): \(message)")
        }
    }

    func train<M: MazeSolverModel>(_ trainer: MazeTrainer<M>) throws {
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let resumeURL = outURL.deletingPathExtension().appendingPathExtension("resume.h5")
        if FileManager.default.fileExists(atPath: resumeURL.path) {
            try trainer.restore(from: try Checkpoint.read(from: resumeURL, kind: M.kind, requireResume: true))
            printErr("Resuming from \(resumeURL.path) at step \(trainer.step) (\(ProgressBar.formatDuration(trainer.seconds)) trained before)")
        }
        let parameters = trainer.model.parameterCount
        printErr("\(model.rawValue) on \(2 * cells + 1)×\(2 * cells + 1) mazes: \(parameters) parameters, \(steps) steps of \(batchSize), K ∈ [\(minIterations), \(maxIterations)]")
        let bar = ProgressBar(total: steps, initial: trainer.step, label: "sheaf train", minimumInterval: 1) { progressLine($0) }
        var lastCheckpoint = Date(), lastLoss = Double.nan
        while trainer.step < steps {
            lastLoss = try trainer.trainStep()
            if trainer.step % validateEvery == 0 || trainer.step == steps { try trainer.record(validate: true) }
            let solved = trainer.history.last?.validationSolved.map { String(format: "%.1f%%", 100 * $0) } ?? "—"
            bar.update(trainer.step, fields: [("loss", String(format: "%.4f", lastLoss)), ("val solved", solved),
                                              ("s/step", String(format: "%.3f", trainer.seconds / Double(max(1, trainer.step))))])
            if Date().timeIntervalSince(lastCheckpoint) > checkpointMinutes * 60 {
                try trainer.resumeCheckpoint().write(to: resumeURL)
                lastCheckpoint = Date()
            }
        }
        progressLine("", final: false)
        try trainer.resumeCheckpoint().write(to: resumeURL)
        try trainer.weightsCheckpoint().write(to: outURL)
        var table = MarkdownTable(header: ["step", "seconds", "mean loss", "validation solved"])
        for h in trainer.history {
            table.append(["\(h.step)", String(format: "%.0f", h.seconds), String(format: "%.4f", h.loss),
                          h.validationSolved.map { String(format: "%.1f%%", 100 * $0) } ?? "—"])
        }
        let command = "l2o sheaf train " + CommandLine.arguments.dropFirst(3).joined(separator: " ")
        let md = "# \(model.rawValue) on mazes: \(outURL.lastPathComponent)\n\nCommand: `\(command)`\n\nParameters: \(parameters); "
            + "steps: \(trainer.step); training time: \(ProgressBar.formatDuration(trainer.seconds)); seed \(seed).\n\n" + table.render()
        let mdURL = outURL.deletingPathExtension().appendingPathExtension("md")
        try md.write(to: mdURL, atomically: true, encoding: .utf8)
        print(table.render())
        printErr("Weights: \(outURL.path); history: \(mdURL.path); resume file kept at \(resumeURL.path) (train with more --steps to continue)")
    }
}

struct SheafEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a Sheaf-ADMM checkpoint: solved rate, first-solve iteration, residuals, pictures.",
        discussion: """
            Mazes: fresh seeded mazes of --size pixels (2·cells + 1; 19 is the training size, 39 and 57 \
            about 2× and 3×) or the mazes of --mazes FILE (text: one line per pixel row, # wall, . open, \
            S start, G goal; mazes separated by blank lines). A maze is solved when the pixels with a \
            positive logit are exactly its shortest path. Writes report.md, residuals.svg, \
            solved-by-iteration.svg and a picture of the first mazes (maze-K.svg) into --out.
            """)

    @Argument(help: "A sheaf-admm or maze-mpnn checkpoint (weights hold the EMA average; a resume file's raw parameters are used as they are).")
    var checkpoint: String
    @Option(help: "Task: \(SheafTask.allCases.map(\.rawValue).joined(separator: ", ")).")
    var task: SheafTask = .maze
    @Option(help: "Maze side in pixels (odd, ≥ 5).")
    var size: Int = 19
    @Option(help: "Mazes to generate.")
    var count: Int = 256
    @Option(help: "Mazes from a text file instead of generated ones.")
    var mazes: String?
    @Option(help: "ADMM iterations.")
    var iterations: Int = 100
    @Option(help: "Seed of the generated mazes (distinct from training's).")
    var seed: UInt64 = 987_654_321
    @Option(help: "Output folder.")
    var out: String = "runs/sheaf-evaluate"
    @Option(help: "Pictures of the first N mazes.")
    var pictures: Int = 4

    func validate() throws {
        guard size >= 5, size % 2 == 1 else { throw ValidationError("--size must be odd and at least 5, got \(size)") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1, got \(count)") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
        guard pictures >= 0 else { throw ValidationError("--pictures must not be negative") }
    }

    func run() throws {
        let ck = try Checkpoint.read(from: URL(fileURLWithPath: checkpoint))
        switch ck.kind {
        case MazeSheafModel<Float>.kind:
            let (model, config) = try MazeTrainer<MazeSheafModel<Float>>.loadModel(from: ck)
            try evaluate(model, batchSize: config.training.batchSize)
        case MazeMPNN<Float>.kind:
            let (model, config) = try MazeTrainer<MazeMPNN<Float>>.loadModel(from: ck)
            try evaluate(model, batchSize: config.training.batchSize)
        default:
            throw InputError("\(checkpoint) is a '\(ck.kind)' checkpoint; l2o sheaf evaluate reads '\(MazeSheafModel<Float>.kind)' and '\(MazeMPNN<Float>.kind)' checkpoints")
        }
    }

    func evaluate<M: MazeSolverModel>(_ model: M, batchSize: Int) throws {
        let set: MazeSet
        if let mazes {
            let text: String
            do { text = try String(contentsOfFile: mazes, encoding: .utf8) } catch { throw ValidationError("--mazes \(mazes): cannot read: \(error.localizedDescription)") }
            let list = try Maze.parse(text, source: mazes)
            guard Set(list.map(\.size)).count == 1 else { throw ValidationError("--mazes \(mazes): mazes of several sizes \(Set(list.map(\.size)).sorted()); one size per file") }
            set = MazeSet(mazes: list, paths: list.map { $0.pathMask() })
        } else {
            set = try MazeSet.generate(count: count, cells: (size - 1) / 2, seed: seed)
        }
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        printErr("Evaluating \(checkpoint) on \(set.mazes.count) mazes of \(set.mazes[0].size)×\(set.mazes[0].size) pixels, \(iterations) iterations…")
        let t0 = Date()
        let e = try MazeTrainer<M>.evaluate(model, set, iterations: iterations, batchSize: batchSize)
        let secs = Date().timeIntervalSince(t0)
        var table = MarkdownTable(header: ["mazes", "size", "iterations", "solved", "median first-solve iteration", "seconds"])
        table.append(["\(e.count)", "\(set.mazes[0].size)", "\(iterations)", String(format: "%.1f%% (%d)", 100 * e.solvedRate, e.solved),
                      e.medianFirstSolve.map(String.init) ?? "—", String(format: "%.1f", secs)])
        print(table.render())
        let its = (1...iterations).map(Double.init)
        if !e.primal.isEmpty {
            let residuals = SVGPlot(title: "ADMM residuals (mean over agents and mazes)", xLabel: "iteration", yLabel: "residual", yScale: .log,
                                    series: [.init(label: "primal ‖x − z‖", x: its, y: e.primal), .init(label: "dual ρ‖z − z_prev‖", x: its, y: e.dual)])
            try residuals.render().write(to: folder.appendingPathComponent("residuals.svg"), atomically: true, encoding: .utf8)
        }
        let solved = SVGPlot(title: "mazes solved", xLabel: "iteration", yLabel: "fraction solved",
                             series: [.init(label: "solved at iteration", x: its, y: e.solvedByIteration)])
        try solved.render().write(to: folder.appendingPathComponent("solved-by-iteration.svg"), atomically: true, encoding: .utf8)
        let shown = Array(set.mazes.prefix(pictures))
        if !shown.isEmpty {
            let last = try model.pathLogits(shown, rounds: iterations, decodeLast: 1, context: ForwardContext(tape: nil)).last!.value
            for (k, m) in shown.enumerated() {
                let n = m.size * m.size
                let predicted = (0..<n).map { last[k, $0] > 0 }
                let ok = predicted == set.paths[k]
                try m.svg(truth: set.paths[k], predicted: predicted, title: "maze \(k + 1): \(ok ? "solved" : "not solved")")
                    .write(to: folder.appendingPathComponent("maze-\(k + 1).svg"), atomically: true, encoding: .utf8)
            }
        }
        let report = "# Sheaf-ADMM maze evaluation\n\nCheckpoint: `\(checkpoint)`\n\nCommand: `l2o sheaf evaluate "
            + CommandLine.arguments.dropFirst(3).joined(separator: " ") + "`\n\n" + table.render()
            + "\nPlots: `residuals.svg`, `solved-by-iteration.svg`; pictures: `maze-K.svg` (green: true path, blue dots: predicted).\n"
        try report.write(to: folder.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
        printErr("Report and plots in \(folder.path)")
    }
}
