import ArgumentParser
import Foundation
import L2O

/// `l2o demo`: a small real job end to end on built-in defaults.
///
/// Trains an MLP classifier on synthetic data labelled by a random "teacher" network, with
/// minibatch gradient descent with momentum, and prints the loss curve and held-out accuracy.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train an MLP on synthetic teacher-labelled data and print its loss curve.")

    @Option(help: "Training epochs.") var epochs: Int = 15
    @Option(help: "Random seed (data, initialization, minibatch order).") var seed: UInt64 = 0
    @Option(help: "Learning rate of gradient descent with momentum 0.9.") var lr: Double = 0.05
    @Option(help: "Hidden width of the student MLP.") var hidden: Int = 64
    @Option(help: "Where to write the trained model's weights checkpoint (HDF5).")
    var out: String = "runs/demo/mlp-weights.h5"

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard hidden >= 1 else { throw ValidationError("--hidden must be at least 1") }
    }

    func run() throws {
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
    static func render(_ ys: [Double], height: Int) -> String {
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
