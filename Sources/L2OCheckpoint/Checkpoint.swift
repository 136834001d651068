import Foundation

/// A learned optimizer, model or optimizer state saved to one HDF5 file (schema in
/// `docs/checkpoint-format.md`).
///
/// Root attributes: `format` = "l2o-checkpoint", `format_version` = 1, `checkpoint_type` =
/// "weights" | "resume", `kind` (e.g. `milodo`, `mlp`, `adam-state`), `config` (JSON text with
/// everything needed to rebuild the object), `seed` (int64), `created` (ISO-8601). Groups:
/// `parameters/…` always; `optimizer_state/…` and `training/…` in resume checkpoints only.
/// A **weights** checkpoint (parameters + config) is for evaluation and shipping; a **resume**
/// checkpoint holds everything needed to continue training.
public struct Checkpoint: Equatable, Sendable {
    /// The value of the root `format` attribute.
    public static let formatName = "l2o-checkpoint"
    /// The newest `format_version` this build writes and reads.
    public static let formatVersion: Int64 = 1
    /// Root attribute names defined by the schema (other root attributes are kept in `metadata`).
    public static let reservedAttributes: Set<String> = ["format", "format_version", "checkpoint_type", "kind", "config", "seed", "created"]

    /// What a checkpoint holds.
    public enum CheckpointType: String, Sendable, CaseIterable {
        /// Parameters and config only.
        case weights
        /// Parameters, config, optimizer state and training progress.
        case resume
    }

    public var type: CheckpointType
    /// What object the checkpoint rebuilds, e.g. `milodo`, `mlp`, `adam-state`.
    public var kind: String
    /// JSON text describing the object completely (architecture, hyper-parameters, shapes).
    public var config: String
    /// The seed of the run that produced the checkpoint.
    public var seed: UInt64
    /// When the checkpoint was made (ISO-8601, UTC).
    public var created: String
    public var parameters: CheckpointSection
    /// Optimizer moments, step counts, duals, LSTM states… (resume checkpoints).
    public var optimizerState: CheckpointSection
    /// Curriculum stage, epoch, step, meta-optimizer state… (resume checkpoints).
    public var training: CheckpointSection
    /// Further root attributes (e.g. the command that made the checkpoint); names must not be reserved.
    public var metadata: [String: HDF5AttributeValue]
    /// The file a checkpoint was read from, for error messages ("(in memory)" otherwise).
    public internal(set) var file: String = "(in memory)"

    /// A weights checkpoint: parameters and config only.
    public init(
        weightsOf kind: String, config: String, seed: UInt64, parameters: CheckpointSection,
        metadata: [String: HDF5AttributeValue] = [:], created: Date = Date()
    ) {
        self.type = .weights
        self.kind = kind
        self.config = config
        self.seed = seed
        self.created = Checkpoint.timestamp(created)
        self.parameters = parameters
        self.optimizerState = CheckpointSection()
        self.training = CheckpointSection()
        self.metadata = metadata
    }

    /// A resume checkpoint: everything needed to continue training.
    public init(
        resumeOf kind: String, config: String, seed: UInt64, parameters: CheckpointSection,
        optimizerState: CheckpointSection, training: CheckpointSection,
        metadata: [String: HDF5AttributeValue] = [:], created: Date = Date()
    ) {
        self.init(weightsOf: kind, config: config, seed: seed, parameters: parameters, metadata: metadata, created: created)
        self.type = .resume
        self.optimizerState = optimizerState
        self.training = training
    }

    public static func == (a: Checkpoint, b: Checkpoint) -> Bool {
        a.type == b.type && a.kind == b.kind && a.config == b.config && a.seed == b.seed
            && a.created == b.created && a.parameters == b.parameters && a.optimizerState == b.optimizerState
            && a.training == b.training && a.metadata == b.metadata
    }

    /// The same checkpoint reduced to a weights checkpoint (drops optimizer state and training).
    public var weightsOnly: Checkpoint {
        var copy = self
        copy.type = .weights
        copy.optimizerState = CheckpointSection()
        copy.training = CheckpointSection()
        return copy
    }

    /// ISO-8601 text of a date, UTC, whole seconds (`2025-01-31T12:00:00Z`).
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
