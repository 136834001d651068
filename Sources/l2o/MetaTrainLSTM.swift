import ArgumentParser
import Foundation
import L2O

/// The training tasks of `l2o meta-train --rule lstm`: MLP classifiers trained on minibatches of
/// an image dataset [L2L] §3.2: one hidden layer of 20 sigmoid units, batches
/// of 128, 100 steps].
struct LSTMTaskOptions: ParsableArguments {
    @Option(help: "(--rule lstm) Dataset of the training tasks: fashion-mnist or synthetic.")
    var dataset: String = "fashion-mnist"
    @Option(help: "(--rule lstm) Folder with the Fashion-MNIST *-ubyte.gz files.")
    var dataDir: String = MNISTFormat.fashionMNISTDirectory
    @Option(help: "(--rule lstm) Hidden units of the task MLP (one hidden layer).")
    var mlpHidden: Int = 20
    @Option(help: "(--rule lstm) Hidden activation of the task MLP: sigmoid, relu or tanh.")
    var mlpActivation: String = "sigmoid"
    @Option(help: "(--rule lstm) Training tasks (each its own initial weights and samples).")
    var tasks: Int = 64
    @Option(help: "(--rule lstm) Samples each task draws from the training set.")
    var samplesPerTask: Int = 2000
    @Option(help: "(--rule lstm) Minibatch size of the tasks.")
    var minibatch: Int = 128
    @Option(help: "(--rule lstm) Tasks per meta-batch.")
    var tasksPerBatch: Int = 4
    @Option(help: "(--rule lstm) Hidden units of the LSTM optimizer (two layers).")
    var lstmHidden: Int = 20

    func validate() throws {
        guard ["fashion-mnist", "synthetic"].contains(dataset) else { throw ValidationError("--dataset must be fashion-mnist or synthetic") }
        guard activation != nil else { throw ValidationError("--mlp-activation must be sigmoid, relu or tanh") }
        guard (1...4096).contains(mlpHidden) else { throw ValidationError("--mlp-hidden must be between 1 and 4096") }
        guard (1...100_000).contains(tasks) else { throw ValidationError("--tasks must be between 1 and 100000") }
        guard (1...60_000).contains(samplesPerTask) else { throw ValidationError("--samples-per-task must be between 1 and 60000") }
        guard (1...samplesPerTask).contains(minibatch) else { throw ValidationError("--minibatch must be between 1 and --samples-per-task") }
        guard (1...tasks).contains(tasksPerBatch) else { throw ValidationError("--tasks-per-batch must be between 1 and --tasks") }
        guard (1...1024).contains(lstmHidden) else { throw ValidationError("--lstm-hidden must be between 1 and 1024") }
    }

    var activation: Activation? {
        switch mlpActivation {
        case "sigmoid": return .sigmoid
        case "relu": return .relu
        case "tanh": return .tanh
        default: return nil
        }
    }

    /// The task family over the training images.
    func family(seed: UInt64) throws -> MLPClassificationFamily<Float> {
        let data: ImageClassificationData<Float> = dataset == "synthetic"
            ? try SyntheticImages.generate(Float.self, count: max(6000, samplesPerTask), noise: 0.9, seed: 2024, split: .train)
            : try MNISTFormat.load(Float.self, directory: dataDir, train: true)
        // Every task keeps its own copy of its samples.
        do {
            try ResourceLimits.checkShape([tasks, samplesPerTask, data.featureCount], bytesPerElement: MemoryLayout<Float>.size, what: "--tasks × --samples-per-task")
        } catch let e as ResourceLimitError { throw InputError("\(e)") }
        guard samplesPerTask <= data.count else {
            throw InputError("--samples-per-task \(samplesPerTask) is more than the \(data.count) training images")
        }
        return try MLPClassificationFamily(data: data, sizes: [data.featureCount, mlpHidden, data.classCount], activation: activation!,
                                           nodes: 1, samplesPerNode: samplesPerTask, batchSize: minibatch, seed: seed)
    }
}

extension MetaTrainCommand {
    /// `--rule lstm`: meta-trains the coordinate-wise LSTM optimizer with the same trainer,
    /// curriculum machinery and resume checkpoints as MiLoDo.
    func runLSTM() throws {
        let curriculum = try Self.loadCurriculum(self.curriculum ?? "lstm-mlp")
        let outURL = try OutputFolder.prepareFile(outPath, flag: "--out", extensions: ["h5"])
        let o = lstmTasks
        printErr("Loading \(o.dataset) and drawing \(o.tasks) training tasks…")
        let family = try RealData.loading { try o.family(seed: seed) }
        let training = try family.instances(.train, count: o.tasks)
        // The tape of one window holds, per unrolled step, about 16·H values per coordinate of the
        // meta-batch (two LSTM layers' gates, states and activations, and their gradients).
        let rows = o.tasksPerBatch * (training.first?.dimension ?? 0)
        let window = curriculum.stages.map(\.truncation).max() ?? 1
        do {
            try ResourceLimits.checkShape([rows, 16 * o.lstmHidden, window], bytesPerElement: MemoryLayout<Float>.size,
                                          what: "--tasks-per-batch × task size × --lstm-hidden × the curriculum's truncation")
        } catch let e as ResourceLimitError { throw InputError("\(e)") }
        var settings = MetaTrainingSettings()
        settings.batchSize = o.tasksPerBatch
        settings.clipNorm = clipNorm
        settings.weightDecay = weightDecay
        settings.seed = seed
        var rng = RandomState(seed: seed)
        let net = try LSTMOptimizerNet<Float>(hiddenSize: o.lstmHidden, rng: &rng)
        let rule = LSTMOptimizerRule(net: net)
        let trainer = try MetaTrainer(rule: rule, training: training, curriculum: curriculum, settings: settings)
        let config = LSTMOptimizerConfig(net: net, trainedOn: "\(o.tasks) × \(family.name) \(o.mlpActivation) on \(o.dataset), minibatch \(o.minibatch)",
                                         curriculum: curriculum, settings: settings)
        try runMetaTraining(
            trainer, config: config, outURL: outURL, checkpointMinutes: checkpointMinutes, objective: "final loss",
            announce: "Meta-training the LSTM optimizer (\(net.parameterCount) parameters) on \(config.trainedOn), curriculum '\(curriculum.name)'",
            noStepAdvice: "Lower the meta learning rate", done: ". Use it with `l2o train --optimizer learned:\(outURL.path)`."
        ) { metadata in try LSTMOptimizerCheckpoint.weights(net: net, config: config, metadata: metadata) }
    }
}
