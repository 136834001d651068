import ArgumentParser
import Foundation
import L2O

/// `l2o demo`: the main job end to end on built-in defaults.
///
/// `--job milodo` (default): meta-train MiLoDo on LASSO(10,300,10,0.1) with a short curriculum,
/// tune Prox-ED's step on training instances, evaluate both on held-out instances, and print the
/// table and the plot paths. `--job mlp`: train an MLP classifier on synthetic teacher-labelled
/// data and print its loss curve.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Meta-train MiLoDo on LASSO and evaluate it against tuned Prox-ED (or --job mlp).")

    @Option(help: "milodo (meta-train + evaluate) or mlp (synthetic classification).") var job: String = "milodo"
    @Option(help: "Held-out instances evaluated (milodo job).") var evalCount: Int = 3
    @Option(help: "Iterations of the evaluation (milodo job).") var evalIterations: Int = 10000
    @Option(help: "Folder for the milodo job's outputs.") var folder: String = "runs/demo"

    @Option(help: "Training epochs.") var epochs: Int = 15
    @Option(help: "Random seed (data, initialization, minibatch order).") var seed: UInt64 = 0
    @Option(help: "Learning rate of gradient descent with momentum 0.9.") var lr: Double = 0.05
    @Option(help: "Hidden width of the student MLP.") var hidden: Int = 64
    @Option(help: "Where to write the trained model's weights checkpoint (HDF5).")
    var out: String = "runs/demo/mlp-weights.h5"

    func validate() throws {
        guard ["milodo", "mlp"].contains(job) else { throw ValidationError("--job must be milodo or mlp") }
        guard evalCount >= 1, evalIterations >= 1 else { throw ValidationError("--eval-count and --eval-iterations must be ≥ 1") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard hidden >= 1, hidden <= 4096 else { throw ValidationError("--hidden must be between 1 and 4096") }
    }

    func run() throws {
        if job == "milodo" { try runMiLoDo() } else { try runMLP() }
    }

    /// Runs one subcommand as a user would, echoing it first.
    func step<C: ParsableCommand>(_ title: String, _ type: C.Type, _ args: [String]) throws {
        printErr("\n== \(title)\n$ l2o \(C.configuration.commandName ?? "") \(args.joined(separator: " "))")
        var command = try type.parse(args)
        try command.run()
    }

    func runMiLoDo() throws {
        let t0 = Date()
        let suite = "Optimizees/lasso-10-300-10-0.1.json"
        let checkpoint = "\(folder)/milodo-demo.h5", tuned = "\(folder)/tuned-steps.json", eval = "\(folder)/evaluation"
        // The recipe of the shipped checkpoint, shortened (docs/milodo.md): coefficients bounded
        // around Exact Diffusion's (the step within ±90% of γ₀ = 0.05), the step network also
        // reading |g + y|/λ, a step normalized by the local curvature, and a one-stage curriculum
        // whose meta-batches partly start thousands of iterations into a run, with a log-gap loss.
        try step("1/3 Meta-train MiLoDo (short curriculum; resumes if interrupted)", MetaTrainCommand.self,
                 ["--suite", suite, "--curriculum", "Optimizees/curricula/demo-support.json", "--train-count", "256",
                  "--out", checkpoint, "--seed", "\(seed)", "--gamma0", "0.05", "--bounded-alpha", "0.5", "--step-alpha", "0.9",
                  "--step-features", "residual", "--normalize-step", "--consensus-weight", "0.5"])
        try step("2/3 Tune Prox-ED's step size on training instances", TuneCommand.self,
                 ["--problems", suite, "--methods", "prox-ed", "--count", "2", "--iterations", "3000", "--points", "15",
                  "--tolerance", "1e-4", "--margin", "0", "--out", tuned])  // the strongest baseline: the fastest stable step, no margin
        try step("3/3 Evaluate on held-out test instances", EvaluateCommand.self,
                 ["--problems", suite, "--split", "test", "--count", "\(evalCount)", "--iterations", "\(evalIterations)",
                  "--methods", "prox-ed,milodo:\(checkpoint)", "--tuned", tuned, "--scalar", "double", "--out", eval])
        printErr("\nPlots: \(eval)/gap-vs-iteration.svg, \(eval)/gap-vs-seconds.svg, \(eval)/consensus-vs-iteration.svg")
        printErr("Demo finished in \(ProgressBar.formatDuration(Date().timeIntervalSince(t0))).")
    }

    func runMLP() throws {
        let features = 20, classes = 4, trainCount = 4000, testCount = 1000, batch = 100
        var rng = RandomState(seed: seed)
        // Data: Gaussian inputs, labels = argmax of a random teacher network.
        let teacher = try MLP<Float>(sizes: [features, 32, classes], activation: .tanh, rng: &rng)
        func makeSet(_ count: Int) throws -> (Tensor<Float>, [Int]) {
            let x = Tensor<Float>.normal([count, features], rng: &rng)
            let logits = try teacher(Variable(constant: x)).value
            return (x, logits.argmax(axis: 1))
        }
        let (xTrain, yTrain) = try makeSet(trainCount)
        let (xTest, yTest) = try makeSet(testCount)
        let model = try MLP<Float>(sizes: [features, hidden, hidden, classes], rng: &rng)
        let params = model.parameters
        var velocity = params.map { Tensor<Float>.zeros($0.shape) }
        let rate = Float(lr), momentum: Float = 0.9

        printErr("Training MLP \(model.sizes) (\(model.parameterCount) parameters) on \(trainCount) synthetic samples, \(classes) classes, seed \(seed)")
        print("epoch,train_loss,test_accuracy,seconds")
        var losses = [Double]()
        let t0 = Date()
        for epoch in 1...epochs {
            let order = rng.permutation(trainCount)
            var total = 0.0
            for start in stride(from: 0, to: trainCount, by: batch) {
                let idx = Array(order[start..<min(start + batch, trainCount)])
                let tape = Tape<Float>()
                let logits = try model(tape.constant(xTrain.gatherRows(idx)))
                let loss = try softmaxCrossEntropy(logits: logits, labels: idx.map { yTrain[$0] })
                tape.backward(loss)
                for (k, p) in params.enumerated() {
                    guard let g = p.grad else { continue }
                    velocity[k] = velocity[k] * momentum + g
                    p.value.addScaled(velocity[k], -rate)
                    p.zeroGrad()
                }
                total += Double(loss.value.scalar) * Double(idx.count)
            }
            let trainLoss = total / Double(trainCount)
            let acc = try accuracy(logits: model(Variable(constant: xTest)).value, labels: yTest)
            losses.append(trainLoss)
            print(String(format: "%d,%.5f,%.4f,%.2f", epoch, trainLoss, acc, Date().timeIntervalSince(t0)))
            printErr(String(format: "epoch %3d/%d  loss %.4f  test accuracy %.1f%%", epoch, epochs, trainLoss, 100 * acc))
        }
        printErr("\nTraining loss by epoch:\n" + AsciiPlot.render(losses, height: 10))

        struct Config: Codable { var sizes: [Int]; var activation: String; var epochs: Int; var lr: Double; var task: String }
        let config = try Checkpoint.configJSON(Config(
            sizes: model.sizes, activation: "relu", epochs: epochs, lr: lr,
            task: "synthetic teacher MLP [\(features), 32, \(classes)], \(trainCount) samples"))
        let checkpoint = Checkpoint(
            weightsOf: "mlp", config: config, seed: seed,
            parameters: CheckpointSection(parameters: model.namedParameters()),
            metadata: ["command": .string("l2o demo --epochs \(epochs) --seed \(seed) --lr \(lr) --hidden \(hidden)")])
        let url = URL(fileURLWithPath: out)
        try checkpoint.write(to: url)
        printErr("Weights written to \(url.path) (inspect with: l2o inspect \(url.path))")
    }
}

func printErr(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

/// A small text plot of a series, for terminals.
enum AsciiPlot {
    static func render(_ values: [Double], height: Int) -> String {
        let ys = values.filter(\.isFinite)  // a diverged run's NaN/∞ entries are not plotted
        guard ys.count == values.count else { return values.isEmpty ? "" : "(not plotted: the series has non-finite values)" }
        guard let lo = ys.min(), let hi = ys.max(), !ys.isEmpty else { return "" }
        let span = max(hi - lo, 1e-12)
        var rows = [String]()
        for level in stride(from: height - 1, through: 0, by: -1) {
            let y = lo + span * Double(level) / Double(max(height - 1, 1))
            let label = String(format: "%8.4f |", y)
            let line = ys.map { v -> Character in
                let l = Int(((v - lo) / span * Double(height - 1)).rounded())
                return l == level ? "*" : " "
            }
            rows.append(label + String(line.flatMap { [$0, " "] }))
        }
        rows.append(String(repeating: " ", count: 9) + "+" + String(repeating: "--", count: ys.count))
        return rows.joined(separator: "\n")
    }
}
