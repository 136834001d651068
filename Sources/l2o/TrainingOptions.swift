import ArgumentParser
import Foundation
import L2O

/// Model, data and run-length options shared by `l2o train` and `l2o compare-optimizers`.
/// Numeric options parse their value unconditionally, so `--epochs -1` (or `--lr -0.1` in
/// `l2o train`) reaches validation and is refused with the reason, not as a missing value.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Model: mlp (784-32-32-10, the BADM paper's DNN) or cnn (conv-pool ×2 with 8 and 16 channels, dense 64).")
    var model: String = "mlp"
    @Option(help: "Dataset: fashion-mnist (Debian dataset-fashion-mnist) or synthetic (generated 28×28 images, offline and quick).")
    var dataset: String = "fashion-mnist"
    @Option(help: "Folder with the Fashion-MNIST *-ubyte.gz files.")
    var dataDir: String = MNISTFormat.fashionMNISTDirectory
    @Option(parsing: .unconditional, help: "Use only the first N training images (default: all).") var trainCount: Int?
    @Option(parsing: .unconditional, help: "Use only the first N test images (default: all).") var testCount: Int?
    @Option(parsing: .unconditional, help: "Hold out the last N training images and evaluate on them instead of the test set (to choose hyper-parameters without looking at the test set; the test set is then not read).")
    var validation: Int?
    @Option(parsing: .unconditional, help: "Epochs to train (a resumed run continues up to this many).") var epochs: Int = 5
    @Option(parsing: .unconditional, help: "Samples per minibatch (for BADM: per batch, split into --sub-batches).") var batchSize: Int = 128

    func validate() throws {
        guard ["mlp", "cnn"].contains(model) else { throw ValidationError("unknown --model '\(model)'; choose mlp or cnn") }
        guard ["fashion-mnist", "synthetic"].contains(dataset) else {
            throw ValidationError("unknown --dataset '\(dataset)'; choose fashion-mnist or synthetic")
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1, batchSize <= 10_000_000 else { throw ValidationError("--batch-size must be between 1 and 10000000 (e.g. 128)") }
        if let trainCount, trainCount < 1 { throw ValidationError("--train-count must be at least 1") }
        if let testCount, testCount < 1 { throw ValidationError("--test-count must be at least 1") }
        if let validation, validation < 1 { throw ValidationError("--validation must be at least 1 (e.g. 10000)") }
        if validation != nil, testCount != nil { throw ValidationError("--validation replaces the test set; drop --test-count") }
    }

    /// What the "test" columns of reports are measured on.
    var evaluationSetName: String { validation.map { "validation (last \($0) training images)" } ?? "test" }

    var architecture: ClassifierArchitecture { model == "cnn" ? .smallCNN : .paperMLP }

    /// The train and evaluation splits, cut to the requested counts: the test split, or with
    /// `--validation N` the last N training images (the rest, cut to `--train-count`, trains).
    func loadData() throws -> (train: ImageClassificationData<Float>, test: ImageClassificationData<Float>) {
        if let validation {
            let all = dataset == "synthetic"
                ? try SyntheticImages.generate(Float.self, count: (trainCount ?? 6000) + validation, noise: 0.9, seed: 2024, split: .train)
                : try MNISTFormat.load(Float.self, directory: dataDir, train: true)
            guard validation < all.count else {
                throw ValidationError("--validation \(validation) leaves no training images (the training set has \(all.count))")
            }
            let rest = all.slice(0..<(all.count - validation))
            return (rest.slice(0..<min(trainCount ?? rest.count, rest.count)), all.slice((all.count - validation)..<all.count))
        }
        var train: ImageClassificationData<Float>, test: ImageClassificationData<Float>
        if dataset == "synthetic" {
            train = try SyntheticImages.generate(Float.self, count: trainCount ?? 6000, noise: 0.9, seed: 2024, split: .train)
            test = try SyntheticImages.generate(Float.self, count: testCount ?? 1000, noise: 0.9, seed: 2024, split: .test)
        } else {
            train = try MNISTFormat.load(Float.self, directory: dataDir, train: true)
            test = try MNISTFormat.load(Float.self, directory: dataDir, train: false)
        }
        if let trainCount { train = train.slice(0..<min(trainCount, train.count)) }
        if let testCount { test = test.slice(0..<min(testCount, test.count)) }
        return (train, test)
    }
}

/// An optimizer with settings, written `name[:key=value…]` (e.g. `adam:lr=0.002`,
/// `badm:rho=100:sigma=400:sub_batches=8`). Keys are the optimizer's hyper-parameters (see
/// `docs/optimizers.md`); the optimizer itself rejects a key it does not have or a bad value.
struct OptimizerSpec {
    let text: String
    let optimizer: any ParameterOptimizer<Float>

    init(_ text: String) throws {
        let parts = text.split(separator: ":").map(String.init)
        guard let name = parts.first, !name.isEmpty else { throw ValidationError("empty optimizer spec in '\(text)'") }
        var values = [String: Double]()
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let v = Double(kv[1]) else {
                throw ValidationError("'\(p)' in optimizer spec '\(text)' is not KEY=NUMBER (e.g. adam:lr=0.002)")
            }
            values[kv[0]] = v
        }
        try self.init(text: text, name: name, values)
    }

    init(text: String, name: String, _ values: [String: Double]) throws {
        self.text = text
        if let lr = values["lr"], !(lr > 0 && lr.isFinite) {
            throw ValidationError("lr must be a positive number (e.g. 0.001), got \(lr); with lr = 0 nothing is trained")
        }
        do {
            optimizer = try TrainingOptimizers.make(name, settings: values)
        } catch let error as CheckpointError {
            throw InputError("\(error)")  // a learned optimizer's file: a data error, no usage text
        } catch let error as MetaTrainingError {
            throw InputError("\(error)")
        } catch {
            throw ValidationError("\(error)")
        }
    }
}

/// What a training run's checkpoints are made from; a resume checkpoint made with another
/// configuration is refused.
struct TrainConfig: Codable, Equatable {
    var architecture: ClassifierArchitecture
    var dataset: String
    var trainCount: Int
    var testCount: Int
    var optimizer: String
    var hyperParameters: [String: Double]
    var batchSize: Int
    var seed: UInt64
    /// Images held out of the training set for evaluation (nil: evaluated on the test set).
    var validation: Int? = nil
}

/// One run of `l2o train` / one cell of `l2o compare-optimizers`, resumable: if `resumeURL`
/// exists it is loaded (same configuration required) and training continues from it.
func trainResumable(
    options: TrainingOptions, data: (train: ImageClassificationData<Float>, test: ImageClassificationData<Float>),
    spec: OptimizerSpec, seed: UInt64, outDir: URL, stem: String, command: String
) throws -> Trainer<Float> {
    var rng = RandomState(seed: seed)
    let classifier: Classifier<Float> = try options.architecture.make(
        height: data.train.height, width: data.train.width, channels: data.train.channels, classCount: data.train.classCount, rng: &rng)
    let trainer = try Trainer(classifier: classifier, optimizer: spec.optimizer, train: data.train, test: data.test,
                              settings: TrainingSettings(batchSize: options.batchSize, seed: seed))
    let config = try Checkpoint.configJSON(TrainConfig(
        architecture: options.architecture, dataset: options.dataset, trainCount: data.train.count, testCount: data.test.count,
        optimizer: spec.optimizer.name, hyperParameters: spec.optimizer.hyperParameters, batchSize: options.batchSize, seed: seed, validation: options.validation))
    let resumeURL = outDir.appendingPathComponent("\(stem).resume.h5")
    let label = "\(spec.text) seed \(seed)"
    if FileManager.default.fileExists(atPath: resumeURL.path) {
        try trainer.restore(from: try Checkpoint.read(from: resumeURL, kind: Trainer<Float>.checkpointKind, requireResume: true), config: config)
        printErr("\(label): resuming from \(resumeURL.path) after epoch \(trainer.completedEpochs) (\(ProgressBar.formatDuration(trainer.seconds)) trained before)")
    }
    printErr("\(label): \(options.architecture) (\(classifier.module.parameterCount) parameters) on \(options.dataset), \(data.train.count) train / \(data.test.count) \(options.validation == nil ? "test" : "validation"), batch \(options.batchSize), \(options.epochs) epochs")
    let bar = ProgressBar(total: max(0, options.epochs - trainer.completedEpochs) * trainer.batchesPerEpoch, label: spec.text, minimumInterval: 0.5) { progressLine($0) }
    let metadata: [String: HDF5AttributeValue] = ["command": .string(command)]
    func row(_ h: EpochRecord) -> String {
        String(format: "  epoch %2d  train loss %@  \(options.validation == nil ? "test" : "val") loss %.4f  \(options.validation == nil ? "test" : "val") acc %.2f%%  %.1fs", h.epoch,
               h.trainLoss.isNaN ? "   —  " : String(format: "%.4f", h.trainLoss), h.testLoss, 100 * h.testAccuracy, h.seconds)
            + (h.skipped > 0 ? "  (\(h.skipped) step(s) skipped: non-finite loss or update)" : "")
    }
    if trainer.completedEpochs > 0 { for h in trainer.history { printErr(row(h)) } }
    var printed = trainer.history.count
    try trainer.run(epochs: options.epochs, progress: { p in
        bar.update(p.batchesDone, fields: [("epoch", "\(p.epoch + 1)/\(p.epochs)"), ("loss", String(format: "%.4f", p.loss)),
                                           ("samples/s", String(format: "%.0f", p.samplesPerSecond))])
    }, afterEpoch: { t in
        try t.resumeCheckpoint(config: config, metadata: metadata).write(to: resumeURL)
        try t.curveCSV.write(to: outDir.appendingPathComponent("\(stem).csv"), atomically: true, encoding: .utf8)
        progressLine("")
        for h in t.history[printed...] { printErr(row(h)) }
        printed = t.history.count
    })
    if let last = trainer.history.last, last.epoch > 0, !last.testLoss.isFinite {
        throw InputError("\(label): training diverged (test loss \(last.testLoss) after epoch \(last.epoch)); lower the learning rate (or BADM's 1/(ρ+σ)). The resume file \(resumeURL.path) holds the last state")
    }
    if let last = trainer.history.last, last.epoch > 0, last.skipped >= trainer.batchesPerEpoch {
        throw InputError("\(label): every step of epoch \(last.epoch) was skipped (non-finite loss or update), so nothing was trained; lower the learning rate (or BADM's 1/(ρ+σ)). The resume file \(resumeURL.path) holds the last state")
    }
    try trainer.weightsCheckpoint(config: config, metadata: metadata).write(to: outDir.appendingPathComponent("\(stem).weights.h5"))
    try trainer.curveCSV.write(to: outDir.appendingPathComponent("\(stem).csv"), atomically: true, encoding: .utf8)
    return trainer
}
