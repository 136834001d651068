import Foundation
import L2OCore
import L2OData
import L2ONN
import L2OOptimizees
import L2OOptimizers

/// Settings of a training run that shape its results (stored in resume checkpoints).
public struct TrainingSettings: Codable, Equatable, Sendable {
    /// Samples per minibatch (for BADM: per batch, split into its sub-batches). The last batch of
    /// an epoch holds the remainder.
    public var batchSize = 128
    /// Seeds the data order (the model's initialization is the caller's).
    public var seed: UInt64 = 0
    /// Samples per forward pass when evaluating (memory only; results do not depend on it).
    public var evaluationBatchSize = 1000
    public init(batchSize: Int = 128, seed: UInt64 = 0, evaluationBatchSize: Int = 1000) {
        self.batchSize = batchSize
        self.seed = seed
        self.evaluationBatchSize = evaluationBatchSize
    }
}

/// One point of the learning curve. Epoch 0 is the initial model (no training loss).
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    /// Mean minibatch loss over the epoch, each taken at the weights the minibatch's gradient was
    /// computed at (for BADM the α-weighted mean of the sub-batch losses); NaN for epoch 0.
    public var trainLoss: Double
    public var testLoss: Double
    public var testAccuracy: Double
    /// Cumulative training seconds at the end of the epoch (evaluation time excluded).
    public var seconds: Double
    /// Steps (or BADM batches) the non-finite guard skipped during the epoch.
    public var skipped: Int
}

/// Where a running epoch is, for progress displays.
public struct TrainingProgress: Sendable {
    /// 0-based epoch being trained and the number of epochs of the run.
    public var epoch: Int, epochs: Int
    /// Batches done in this epoch, and per epoch.
    public var batch: Int, batchesPerEpoch: Int
    /// Mean loss of the epoch so far.
    public var loss: Double
    /// Training samples per second in this epoch.
    public var samplesPerSecond: Double
    /// Batches done and to do in this process (for an ETA).
    public var batchesDone: Int, batchesTotal: Int
}

/// Trains a classifier on in-memory data with any `ParameterOptimizer`: one step per minibatch
/// from the minibatch's gradient, or, for an optimizer that `needsSubBatchGradients` (BADM), from
/// the minibatch as a sub-batch oracle (each call records its own tape with the optimizer's
/// weights substituted for the parameters).
///
/// Minibatches come from a permutation of the training samples drawn from a generator seeded by
/// `(settings.seed, epoch)` only, so the data order of epoch `e` is the same in every run with the
/// same seed, whether or not it was resumed. Everything else that changes during training —
/// parameters, buffers, optimizer state, the epoch counter — is saved by `resumeCheckpoint`, so
/// a run killed at any moment and resumed from its last end-of-epoch checkpoint finishes with
/// weights bit-identical to an uninterrupted run.
public final class Trainer<Scalar: TensorScalar> {
    public let classifier: Classifier<Scalar>
    public let optimizer: any ParameterOptimizer<Scalar>
    public let trainData: ImageClassificationData<Scalar>
    public let testData: ImageClassificationData<Scalar>
    public let settings: TrainingSettings
    /// Epochs completed (the next epoch to train is `completedEpochs`, 0-based).
    public internal(set) var completedEpochs = 0
    /// Epoch 0 (the initial model, once evaluated) and every completed epoch.
    public internal(set) var history = [EpochRecord]()
    /// Training seconds of earlier processes (from a resumed checkpoint) plus this one's.
    public internal(set) var seconds = 0.0
    var optimizerState: OptimizerState<Scalar>

    /// Validates the data against the model and the settings; throws `TrainingError.invalidSetting`.
    public init(classifier: Classifier<Scalar>, optimizer: any ParameterOptimizer<Scalar>,
                train: ImageClassificationData<Scalar>, test: ImageClassificationData<Scalar>,
                settings: TrainingSettings = TrainingSettings()) throws {
        guard settings.batchSize >= 1 else {
            throw TrainingError.invalidSetting(name: "batch size", message: "\(settings.batchSize) must be ≥ 1 (e.g. 128)")
        }
        guard settings.evaluationBatchSize >= 1 else {
            throw TrainingError.invalidSetting(name: "evaluation batch size", message: "\(settings.evaluationBatchSize) must be ≥ 1")
        }
        guard train.count >= 1, test.count >= 1 else {
            throw TrainingError.invalidSetting(name: "data", message: "need at least one training and one test sample, got \(train.count) and \(test.count)")
        }
        guard train.featureCount == test.featureCount, train.classCount == test.classCount else {
            throw TrainingError.invalidSetting(name: "data", message: "train and test splits differ (\(train.featureCount) vs \(test.featureCount) features, \(train.classCount) vs \(test.classCount) classes)")
        }
        if optimizer.needsSubBatchGradients {
            guard classifier.module.namedBuffers().isEmpty else {
                throw TrainingError.invalidSetting(name: "model", message: "\(optimizer.name) computes sub-batch gradients concurrently and cannot train a model with buffers (e.g. BatchNorm); use a model without them or another optimizer")
            }
            if let badm = optimizer as? BADM<Scalar>, badm.bookkeeping != .perSubBatchSlot {
                throw TrainingError.invalidSetting(name: "BADM bookkeeping", message: "the trainer reshuffles batches every epoch, so duals per (batch, sub-batch) would not refer to fixed data; use .perSubBatchSlot")
            }
        }
        self.classifier = classifier
        self.optimizer = optimizer
        self.trainData = train
        self.testData = test
        self.settings = settings
        optimizerState = optimizer.makeState(for: classifier.module.namedParameters())
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int { (trainData.count + settings.batchSize - 1) / settings.batchSize }

    /// The seed of the data order of `epoch` (a function of the run's seed and the epoch only).
    public static func dataOrderSeed(seed: UInt64, epoch: Int) -> UInt64 {
        InstanceSeed.mix(InstanceSeed.mix(seed ^ 0x5452_4149_4E45_5221) &+ UInt64(epoch))
    }

    /// The minibatches (sample indices) of `epoch`: a seeded permutation cut into `batchSize` pieces.
    public static func batches(seed: UInt64, epoch: Int, sampleCount: Int, batchSize: Int) -> [[Int]] {
        var rng = RandomState(seed: dataOrderSeed(seed: seed, epoch: epoch))
        let perm = rng.permutation(sampleCount)
        return stride(from: 0, to: sampleCount, by: batchSize).map { Array(perm[$0..<Swift.min($0 + batchSize, sampleCount)]) }
    }

    /// Mean loss and accuracy of the model on `data`, without recording (constant memory).
    @_specialize(where Scalar == Float)
    public func evaluate(_ data: ImageClassificationData<Scalar>) throws -> (loss: Double, accuracy: Double) {
        classifier.module.eval()
        defer { classifier.module.train() }
        var lossSum = 0.0, correct = 0.0
        for lo in stride(from: 0, to: data.count, by: settings.evaluationBatchSize) {
            let range = lo..<Swift.min(lo + settings.evaluationBatchSize, data.count)
            let labels = Array(data.labels[range])
            let logits = try classifier.forward(Variable(constant: data.images.rows(range)), ForwardContext(tape: nil))
            lossSum += Double(try softmaxCrossEntropy(logits: logits, labels: labels).value.scalar) * Double(range.count)
            correct += try accuracy(logits: logits, labels: labels) * Double(range.count)
        }
        return (lossSum / Double(data.count), correct / Double(data.count))
    }

    /// Mean loss and gradients at `weights` (substituted for the parameters, so concurrent calls
    /// are safe) over the training samples `indices`.
    @_specialize(where Scalar == Float)
    func lossAndGradient(indices: [Int], at weights: [Tensor<Scalar>], parameters: [Parameter<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>]) {
        let tape = Tape<Scalar>()
        let vars = weights.map { tape.variable($0) }
        let context = try ForwardContext(tape: tape, substitutes: Array(zip(parameters, vars)))
        let x = tape.constant(trainData.images.gatherRows(indices))
        let loss = try softmaxCrossEntropy(logits: try classifier.forward(x, context), labels: indices.map { trainData.labels[$0] })
        tape.backward(loss)
        return (loss.value.scalar, vars.map { tape.gradient(of: $0) })
    }

    /// Trains until `epochs` epochs are completed (nothing if already there), evaluating the
    /// initial model first if it has not been. `progress` is called after every batch and
    /// `afterEpoch` after every epoch (write the resume checkpoint there); throwing from either
    /// stops the run where it is (a mid-epoch stop leaves the trainer between checkpoints: resume
    /// from the last checkpoint, not from this object).
    @_specialize(where Scalar == Float)
    public func run(epochs: Int, progress: ((TrainingProgress) throws -> Void)? = nil,
                    afterEpoch: ((Trainer) throws -> Void)? = nil) throws {
        guard epochs >= 0 else { throw TrainingError.invalidSetting(name: "epochs", message: "\(epochs) must be ≥ 0") }
        if history.isEmpty {
            let (l, a) = try evaluate(testData)
            history.append(EpochRecord(epoch: 0, trainLoss: .nan, testLoss: l, testAccuracy: a, seconds: seconds, skipped: 0))
        }
        let perEpoch = batchesPerEpoch
        let total = Swift.max(0, epochs - completedEpochs) * perEpoch
        var done = 0
        while completedEpochs < epochs {
            let epoch = completedEpochs
            let batches = Self.batches(seed: settings.seed, epoch: epoch, sampleCount: trainData.count, batchSize: settings.batchSize)
            let start = Date()
            var lossSum = 0.0, samples = 0, skipped = 0
            let report = { (b: Int) throws in
                done += 1
                let elapsed = Date().timeIntervalSince(start)
                try progress?(TrainingProgress(epoch: epoch, epochs: epochs, batch: b + 1, batchesPerEpoch: perEpoch,
                                           loss: lossSum / Double(Swift.max(samples, 1)),
                                           samplesPerSecond: elapsed > 0 ? Double(samples) / elapsed : 0,
                                           batchesDone: done, batchesTotal: total))
            }
            let named = classifier.module.namedParameters()
            let parameters = named.map(\.parameter)
            classifier.module.train()
            let perBatchOracle = optimizer.needsSubBatchGradients
            for (b, indices) in batches.enumerated() {
                var context = StepContext<Scalar>(iteration: optimizerState.step + optimizerState.skippedSteps)
                var loss: Scalar?
                if perBatchOracle {
                    context.subBatches = SubBatchOracle(sampleCount: indices.count, batchIndex: b, batchCount: perEpoch) { range, weights in
                        try self.lossAndGradient(indices: Array(indices[range]), at: weights, parameters: parameters)
                    }
                } else {
                    classifier.module.zeroGrad()
                    let tape = Tape<Scalar>()
                    let x = tape.constant(trainData.images.gatherRows(indices))
                    let l = try softmaxCrossEntropy(logits: try classifier.forward(x, ForwardContext(tape: tape)),
                                                    labels: indices.map { trainData.labels[$0] })
                    tape.backward(l)
                    loss = l.value.scalar
                    context.loss = loss
                }
                let r = try optimizer.step(&optimizerState, parameters: named, context: context)
                if !r.applied { skipped += 1 }
                if let loss {
                    lossSum += Double(loss) * Double(indices.count)
                } else if let l = r.loss {
                    lossSum += l * Double(indices.count)
                }
                samples += indices.count
                try report(b)
            }
            if !perBatchOracle { classifier.module.zeroGrad() }
            seconds += Date().timeIntervalSince(start)
            completedEpochs += 1
            let (l, a) = try evaluate(testData)
            history.append(EpochRecord(epoch: completedEpochs, trainLoss: lossSum / Double(Swift.max(samples, 1)),
                                       testLoss: l, testAccuracy: a, seconds: seconds, skipped: skipped))
            try afterEpoch?(self)
        }
    }

    /// The learning curve as CSV: `epoch,train_loss,test_loss,test_accuracy,seconds,skipped`.
    public var curveCSV: String {
        var csv = CSVTable(header: ["epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "skipped"])
        for h in history {
            csv.append(["\(h.epoch)", h.trainLoss.isNaN ? "" : "\(h.trainLoss)", "\(h.testLoss)", "\(h.testAccuracy)",
                        String(format: "%.3f", h.seconds), "\(h.skipped)"])
        }
        return csv.render()
    }
}
