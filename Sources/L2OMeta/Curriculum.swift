import Foundation

/// One stage of a meta-training curriculum.
public struct CurriculumStage: Codable, Sendable, Equatable {
    /// Meta learning rate of the stage (Adam).
    public var metaLearningRate: Double
    /// Truncation length `K_T`: iterations per backpropagated window.
    public var truncation: Int
    /// Horizon `K`: iterations unrolled per problem batch (`K / K_T` windows).
    public var horizon: Int
    public var epochs: Int
    /// Advance to the next stage at the end of an epoch once the second half of the horizon beats
    /// the first (`Σ_{k≤K/2} F > Σ_{k>K/2} F`, measured on the epoch's last batch).
    public var earlyAdvance: Bool
    /// Optional: start some meta-batches later in the run (see `WarmStart`); absent = every batch
    /// starts at x = y = 0, as in the paper.
    public var warmStart: WarmStart?
    /// Optional: the window loss (`objective` when absent, the paper's).
    public var loss: StageLoss?

    public init(metaLearningRate: Double, truncation: Int, horizon: Int, epochs: Int, earlyAdvance: Bool = false,
                warmStart: WarmStart? = nil, loss: StageLoss? = nil) {
        self.metaLearningRate = metaLearningRate
        self.truncation = truncation
        self.horizon = horizon
        self.epochs = epochs
        self.earlyAdvance = earlyAdvance
        self.warmStart = warmStart
        self.loss = loss
    }
}

/// Where a meta-batch starts. With probability `probability` a batch first runs `k₀` iterations
/// of Exact Diffusion's constants (`p = γ₀`, `p_ij,1 = w_ij/(2γ₀)`, `p_ij,2 = w_ij/2`, the rule at
/// its special initialization, without networks or tape), `k₀` drawn log-uniformly from
/// `[minIterations, maxIterations]`, then `burnIn` iterations of the learned rule without tape (so
/// its LSTM states are driven by the run, not random), and only then unrolls the stage's horizon.
/// Windows from later in a run let the meta-loss see what matters there — a short unroll from
/// x = 0 only sees the first transient, which rewards large steps everywhere.
public struct WarmStart: Codable, Sendable, Equatable {
    public var minIterations: Int
    public var maxIterations: Int
    public var probability: Double
    public var burnIn: Int
    public init(minIterations: Int, maxIterations: Int, probability: Double = 1, burnIn: Int = 10) {
        self.minIterations = minIterations
        self.maxIterations = maxIterations
        self.probability = probability
        self.burnIn = burnIn
    }
}

/// The loss of a window.
public enum StageLoss: String, Codable, Sendable, Equatable {
    /// Mean of `F(x̄ᵏ)` (plus the consensus term), the paper's.
    case objective
    /// Mean of `log((F(x̄ᵏ) − F* + c·(1/n)Σ‖x_iᵏ − x̄ᵏ‖²)/F* + 10⁻⁷)`: scale-free, so windows late in
    /// a run (gaps of 1e-4) weigh as much as early ones (gaps of 1). Needs each training
    /// instance's reference optimum `F*`.
    case logGap = "log-gap"
}

/// A meta-training curriculum: data, loadable from JSON (`Optimizees/curricula/*.json`).
public struct Curriculum: Codable, Sendable, Equatable {
    public var name: String
    public var stages: [CurriculumStage]

    public init(name: String, stages: [CurriculumStage]) {
        self.name = name
        self.stages = stages
    }

    /// The MiLoDo paper's five stages ([MiLoDo] §4.3 and App. E.3): (meta lr, K_T, K, epochs).
    public static let paper = Curriculum(name: "paper", stages: [
        .init(metaLearningRate: 5e-4, truncation: 5, horizon: 10, epochs: 20),
        .init(metaLearningRate: 1e-4, truncation: 10, horizon: 20, epochs: 10),
        .init(metaLearningRate: 5e-5, truncation: 20, horizon: 40, epochs: 10),
        .init(metaLearningRate: 1e-5, truncation: 40, horizon: 80, epochs: 10),
        .init(metaLearningRate: 1e-5, truncation: 20, horizon: 100, epochs: 5),
    ])

    /// A short curriculum for demonstrations (minutes on a laptop-class CPU): the paper's first
    /// two stages, fewer epochs.
    public static let demo = Curriculum(name: "demo", stages: [
        .init(metaLearningRate: 5e-4, truncation: 5, horizon: 10, epochs: 3),
        .init(metaLearningRate: 1e-4, truncation: 10, horizon: 20, epochs: 2),
    ])

    /// Limits on a stage (unrolled iterations per problem, tape length, epochs): far above the
    /// paper's (K ≤ 300, K_T ≤ 20) but low enough that a typo cannot hang or exhaust memory.
    public static let maximumHorizon = 1_000_000
    public static let maximumTruncation = 10_000
    public static let maximumEpochs = 1_000_000

    /// Checks every stage; errors say which stage and what to change.
    public func validate() throws {
        guard !stages.isEmpty else { throw MetaTrainingError.invalid("curriculum '\(name)' has no stages") }
        for (k, s) in stages.enumerated() {
            let where_ = "curriculum '\(name)' stage \(k + 1)"
            guard s.metaLearningRate > 0, s.metaLearningRate.isFinite else { throw MetaTrainingError.invalid("\(where_): metaLearningRate must be positive") }
            guard s.truncation >= 1 else { throw MetaTrainingError.invalid("\(where_): truncation must be ≥ 1") }
            guard s.horizon >= s.truncation, s.horizon % s.truncation == 0 else {
                throw MetaTrainingError.invalid("\(where_): horizon \(s.horizon) must be a positive multiple of truncation \(s.truncation)")
            }
            guard s.epochs >= 1, s.epochs <= Self.maximumEpochs else { throw MetaTrainingError.invalid("\(where_): epochs must be between 1 and \(Self.maximumEpochs)") }
            guard s.horizon <= Self.maximumHorizon else {
                throw MetaTrainingError.invalid("\(where_): horizon \(s.horizon) is above the supported \(Self.maximumHorizon) iterations")
            }
            guard s.truncation <= Self.maximumTruncation else {
                throw MetaTrainingError.invalid("\(where_): truncation \(s.truncation) is above the supported \(Self.maximumTruncation) (each truncated window is kept on the tape)")
            }
            if let w = s.warmStart {
                guard w.minIterations >= 1, w.maxIterations >= w.minIterations else {
                    throw MetaTrainingError.invalid("\(where_): warmStart needs 1 ≤ minIterations ≤ maxIterations, got \(w.minIterations)…\(w.maxIterations)")
                }
                guard w.probability >= 0, w.probability <= 1 else { throw MetaTrainingError.invalid("\(where_): warmStart probability must be in [0, 1]") }
                guard w.burnIn >= 0 else { throw MetaTrainingError.invalid("\(where_): warmStart burnIn must be ≥ 0") }
                guard w.maxIterations <= Self.maximumHorizon, w.burnIn <= Self.maximumHorizon else {
                    throw MetaTrainingError.invalid("\(where_): warmStart maxIterations and burnIn must be at most \(Self.maximumHorizon)")
                }
            }
        }
    }

    /// Whether some stage's loss needs the training instances' reference optima.
    public var needsReferenceOptima: Bool { stages.contains { $0.loss == .logGap } }

    public static func load(from url: URL) throws -> Curriculum {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw MetaTrainingError.invalid("cannot read curriculum file \(url.path): \(error.localizedDescription)")
        }
        let c: Curriculum
        do { c = try JSONDecoder().decode(Curriculum.self, from: data) } catch {
            throw MetaTrainingError.invalid("curriculum file \(url.path) is not valid JSON of a curriculum: \(error)")
        }
        try c.validate()
        return c
    }
}
