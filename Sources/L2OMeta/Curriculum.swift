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

    public init(metaLearningRate: Double, truncation: Int, horizon: Int, epochs: Int, earlyAdvance: Bool = false) {
        self.metaLearningRate = metaLearningRate
        self.truncation = truncation
        self.horizon = horizon
        self.epochs = epochs
        self.earlyAdvance = earlyAdvance
    }
}

/// A meta-training curriculum: data, loadable from JSON (`Optimizees/curricula/*.json`).
public struct Curriculum: Codable, Sendable, Equatable {
    public var name: String
    public var stages: [CurriculumStage]

    public init(name: String, stages: [CurriculumStage]) {
        self.name = name
        self.stages = stages
    }

    /// The MiLoDo paper's five stages (SPEC §1.5): (meta lr, K_T, K, epochs).
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
            guard s.epochs >= 1 else { throw MetaTrainingError.invalid("\(where_): epochs must be ≥ 1") }
        }
    }

    public static func load(from url: URL) throws -> Curriculum {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw MetaTrainingError.invalid("cannot read curriculum file \(url.path): \(error.localizedDescription)")
        }
        let c: Curriculum
        do { c = try JSONDecoder().decode(Curriculum.self, from: data) } catch {
            throw MetaTrainingError.invalid("curriculum file \(url.path) is not valid: \(error)")
        }
        try c.validate()
        return c
    }
}
