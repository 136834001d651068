import Foundation
import L2OCheckpoint
import L2OCore
import L2ONN
import L2OOptimizers

/// Resume and weights checkpoints of a `Trainer` (schema in `docs/checkpoint-format.md`).
///
/// - `parameters`: every parameter and buffer of the model by full name.
/// - `optimizer_state`: the optimizer's exported state keyed by parameter name
///   (`exp_avg.layers.0.weight`, BADM's `dual.n3.layers.0.weight`…), its values (`step`,
///   `skipped_steps`…) and the attribute `algorithm`.
/// - `training`: `completed_epochs`, `seconds`, `batch_size`, `data_seed`, `next_data_order_seed`
///   (the generator seed of the next epoch's permutation, `Trainer.dataOrderSeed`), and `history`
///   (JSON of the `EpochRecord`s).
extension Trainer {
    /// The `kind` of training checkpoints.
    public static var checkpointKind: String { "classifier-training" }

    /// Everything needed to continue: weights, buffers, optimizer state, epoch, data order, history.
    /// `config` is canonical JSON describing the run (see `Checkpoint.configJSON`); `restore`
    /// refuses a checkpoint whose config differs.
    public func resumeCheckpoint(config: String, metadata: [String: HDF5AttributeValue] = [:]) throws -> Checkpoint {
        let opt = optimizer.resumeSection(optimizerState)
        var training = CheckpointSection()
        training.values["completed_epochs"] = .integer(Int64(completedEpochs))
        training.values["seconds"] = .double(seconds)
        training.values["batch_size"] = .integer(Int64(settings.batchSize))
        training.values["data_seed"] = .integer(Int64(bitPattern: settings.seed))
        training.values["next_data_order_seed"] = .integer(Int64(bitPattern: Self.dataOrderSeed(seed: settings.seed, epoch: completedEpochs)))
        training.values["history"] = .string(try Self.encodeHistory(history))
        return Checkpoint(resumeOf: Self.checkpointKind, config: config, seed: settings.seed,
                          parameters: modelSection(), optimizerState: opt, training: training, metadata: metadata)
    }

    /// The trained model only (parameters and buffers), for evaluation and shipping.
    public func weightsCheckpoint(config: String, metadata: [String: HDF5AttributeValue] = [:]) -> Checkpoint {
        Checkpoint(weightsOf: Self.checkpointKind, config: config, seed: settings.seed, parameters: modelSection(), metadata: metadata)
    }

    func modelSection() -> CheckpointSection {
        let m = classifier.module
        return CheckpointSection(named: m.namedParameters().map { ($0.name, $0.parameter.value) } + m.namedBuffers().map { ($0.name, $0.buffer.value) })
    }

    /// Restores weights, buffers, optimizer state, epoch count, seconds and history from a resume
    /// checkpoint written by `resumeCheckpoint` with the same `config`. All checks happen before
    /// anything changes; errors are `TrainingError.cannotResume` or the checkpoint's and the
    /// optimizer's typed errors (missing or mis-shaped tensors, named).
    public func restore(from checkpoint: Checkpoint, config: String) throws {
        guard checkpoint.type == .resume else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "it is a weights checkpoint, not a resume checkpoint")
        }
        guard checkpoint.config == config else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "it was made by a run with another configuration (model, data, optimizer, hyper-parameters, batch size or seed)\n  file: \(checkpoint.config)\n  now:  \(config)")
        }
        let m = classifier.module
        let shapes = m.namedParameters().map { ($0.name, $0.parameter.shape) } + m.namedBuffers().map { ($0.name, $0.buffer.shape) }
        let tensors: [String: Tensor<Scalar>] = try checkpoint.parameterTensors(expecting: shapes)
        let newOptimizerState = try optimizer.resumedState(from: checkpoint, for: m.namedParameters())
        let t = checkpoint.training
        let storedEpochs = try t.integer(named: "completed_epochs")
        guard storedEpochs >= 0, storedEpochs <= 1_000_000_000 else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "training@completed_epochs = \(storedEpochs) must be a whole number ≥ 0")
        }
        let epochs = Int(storedEpochs)
        let secs = try t.double(named: "seconds")
        guard secs.isFinite, secs >= 0 else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "training@seconds = \(secs) must be a finite number ≥ 0")
        }
        let hist = try Self.decodeHistory(try t.string(named: "history"), file: checkpoint.file)
        guard epochs >= 0, hist.count == epochs + 1 else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "its history has \(hist.count) entries for \(epochs) completed epochs")
        }
        try m.loadState(tensors)
        optimizerState = newOptimizerState
        completedEpochs = epochs
        seconds = secs
        history = hist
    }

    static func encodeHistory(_ h: [EpochRecord]) throws -> String { try HistoryJSON.encode(h) }

    static func decodeHistory(_ s: String, file: String) throws -> [EpochRecord] { try HistoryJSON.decode([EpochRecord].self, from: s, file: file) }
}
