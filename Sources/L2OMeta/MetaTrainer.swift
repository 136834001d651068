import Foundation
import L2OCore
import L2ONN
import L2OOptimizees
import L2OOptimizers
import L2ODecentralized

/// Settings of meta-training besides the curriculum, for any rule: the meta-batch size, the seed
/// and the Adam meta-optimizer's clipping and weight decay ([MiLoDo] App. E.3 defaults). A rule's
/// own settings live in its configuration (MiLoDo's: `MiLoDoSettings`).
public struct MetaTrainingSettings: Codable, Sendable, Equatable {
    /// Problems per meta-batch.
    public var batchSize = 32
    /// Decoupled weight decay of the Adam meta-optimizer.
    public var weightDecay = 1e-4
    /// Global-norm clipping of the meta-gradient.
    public var clipNorm = 1.0
    public var seed: UInt64 = 0
    public init() {}

    enum CodingKeys: String, CodingKey { case batchSize, weightDecay, clipNorm, seed }
    /// Keys other than these four are ignored: files written before MiLoDo's settings moved into
    /// its configuration keep them here (`MiLoDoConfig` reads them from there).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        clipNorm = try c.decode(Double.self, forKey: .clipNorm)
        seed = try c.decode(UInt64.self, forKey: .seed)
    }
}

/// Where meta-training is: stage, epoch within the stage, batch within the epoch.
public struct MetaTrainingPosition: Codable, Sendable, Equatable {
    public var stage = 0, epoch = 0, batch = 0
    /// Meta-optimizer steps taken and skipped (non-finite loss or gradient) so far.
    public var steps = 0, skipped = 0
    public init() {}
}

/// One finished epoch.
public struct MetaEpochSummary: Codable, Sendable, Equatable {
    public var stage: Int, epoch: Int
    /// Mean meta-loss (mean over windows, iterations and problems of the rule's meta-objective:
    /// MiLoDo's `F(x̄ᵏ)` plus the consensus term when its weight is not zero; the LSTM optimizer's
    /// minibatch loss).
    public var meanLoss: Double
    /// Mean objective (`F(x̄ᵏ)` for MiLoDo) at the last iteration of the horizon.
    public var finalObjective: Double
    public var seconds: Double
    public var skippedWindows: Int
}

/// Progress of meta-training, for progress bars.
public struct MetaProgress: Sendable {
    public var position: MetaTrainingPosition
    public var stageCount: Int, epochsInStage: Int, batchesPerEpoch: Int
    public var loss: Double
    public var secondsPerStep: Double
    /// Batches done and total over the whole curriculum.
    public var batchesDone: Int, batchesTotal: Int
}

/// Meta-trains any learned rule (`LearnedOptimizer`) on training problems by truncated
/// backpropagation through time, following a curriculum ([MiLoDo] §4.3; the machinery is the
/// rule's only contract with meta-training).
///
/// Each meta-batch of problems starts from the rule's initial state (random parts from the
/// batch's seed), optionally prepared (warm start); the rule is unrolled `K` iterations in windows
/// of `K_T`. A window's loss is the mean over its iterations and the batch of the rule's
/// meta-objective (`F(x̄ᵏ)` plus any terms the rule adds; `log` of the relative gap with the
/// log-gap loss); it is backpropagated (through the problems' gradient ops where they record
/// Hessian-vector products), Adam steps θ, and the state is detached before the next window.
/// Data order and random states are derived from (seed, stage, epoch, batch), so a run resumed
/// from a checkpoint repeats exactly what the uninterrupted run would have done.
public final class MetaTrainer<Rule: LearnedOptimizer> {
    public typealias Scalar = Rule.Scalar
    public let rule: Rule
    public let training: [Rule.Problem]
    public let curriculum: Curriculum
    public let settings: MetaTrainingSettings
    public internal(set) var position = MetaTrainingPosition()
    public internal(set) var history = [MetaEpochSummary]()
    public internal(set) var optimizerState: OptimizerState<Scalar>
    /// Seconds of training done before this process (from a resumed checkpoint) plus this process's.
    public internal(set) var secondsBefore = 0.0
    var optimizer: Adam<Scalar>
    /// The epoch in progress: its windows' losses and final objectives, skipped windows, and the
    /// seconds it ran before this process (a resumed run continues the same epoch summary).
    var epochLosses = [Double](), epochFinals = [Double](), epochSkipped = 0, epochStart = Date(), epochSecondsBefore = 0.0

    /// A trainer of `rule` on `training` (`settings`: batch size, seed, and the Adam
    /// meta-optimizer's clipping and weight decay).
    public init(rule: Rule, training: [Rule.Problem], curriculum: Curriculum, settings: MetaTrainingSettings) throws {
        try curriculum.validate()
        guard !training.isEmpty else { throw MetaTrainingError.invalid("no training instances") }
        guard settings.batchSize >= 1 else { throw MetaTrainingError.invalid("batch size must be ≥ 1") }
        if !rule.supportsWarmStart, let k = curriculum.stages.firstIndex(where: { $0.warmStart != nil }) {
            throw MetaTrainingError.invalid("curriculum '\(curriculum.name)' stage \(k + 1) has a warm start, which the \(rule.kind) rule does not implement; remove it")
        }
        if !rule.supportsLogGapLoss, let k = curriculum.stages.firstIndex(where: { $0.loss == .logGap }) {
            throw MetaTrainingError.invalid("curriculum '\(curriculum.name)' stage \(k + 1) uses the log-gap loss, which needs F* of every task; the \(rule.kind) rule's tasks have none")
        }
        self.rule = rule
        self.training = training
        self.curriculum = curriculum
        self.settings = settings
        optimizer = try Adam<Scalar>(
            learningRate: curriculum.stages[0].metaLearningRate,
            processing: GradientProcessing(clipNorm: settings.clipNorm, weightDecay: settings.weightDecay))
        optimizerState = optimizer.makeState(for: rule.namedParameters())
    }

    public var batchesPerEpoch: Int { max(1, training.count / settings.batchSize) }
    public var isFinished: Bool { position.stage >= curriculum.stages.count }

    /// Batches in the whole curriculum (without early advances) and done so far.
    public var batchCounts: (done: Int, total: Int) {
        var done = 0, total = 0
        for (k, s) in curriculum.stages.enumerated() {
            let b = s.epochs * batchesPerEpoch
            total += b
            if k < position.stage { done += b } else if k == position.stage { done += position.epoch * batchesPerEpoch + position.batch }
        }
        return (done, total)
    }

    /// The instances of batch `batch` of (stage, epoch).
    func batchIndices(stage: Int, epoch: Int, batch: Int) -> [Int] {
        var rng = RandomState(seed: MetaTraining.mix([settings.seed, 1, UInt64(stage), UInt64(epoch)]))
        let perm = rng.permutation(training.count)
        let lo = batch * settings.batchSize
        return Array(perm[lo..<min(lo + settings.batchSize, perm.count)])
    }

    /// Unrolls one meta-batch over the stage's horizon with truncated BPTT; returns the mean
    /// window loss and the meta-objective (batch mean) for every iteration k.
    func trainBatch(stage s: CurriculumStage, indices: [Int], seed: UInt64) throws -> (loss: Double, perIteration: [Double], skipped: Int) {
        let task = try rule.task(indices.map { training[$0] }, indices: indices)
        let logGap = s.loss == .logGap
        guard !logGap || task.optimalValues != nil else {
            throw MetaTrainingError.invalid("the log-gap loss needs the reference optimum F* of every training instance")
        }
        let tape = Tape<Scalar>()
        let context = ForwardContext<Scalar>(tape: tape)
        var rng = RandomState(seed: seed)
        var state = try rule.initialState(for: task, tape: tape, rng: &rng)
        try rule.prepare(&state, for: task, warmStartIterations: MetaTraining.warmStartIterations(s.warmStart, seed: seed),
                         burnIn: s.warmStart?.burnIn ?? 0, tape: tape)
        let optimal = task.optimalValues.map { Variable(constant: $0) }
        var perIteration = [Double](), windowLosses = [Double]()
        var skipped = 0
        for _ in 0..<(s.horizon / s.truncation) {
            tape.reset()
            var total: Variable<Scalar>?
            for _ in 0..<s.truncation {
                state = try rule.step(state, on: task, context: context)
                let objectives = rule.objectives(state, on: task)
                perIteration.append(Double(objectives.value.mean()))
                var f = rule.metaObjectives(objectives, state, on: task)
                if logGap, let optimal {
                    f = log(abs((f - optimal) / optimal) + MetaTraining.logGapFloor())
                }
                let m = f.mean()
                total = total.map { $0 + m } ?? m
            }
            let loss = total! / Scalar(s.truncation)
            let lv = Double(loss.value.scalar)
            windowLosses.append(lv)
            rule.zeroGrad()
            if lv.isFinite {
                tape.backward(loss)
                let report = try optimizer.step(&optimizerState, parameters: rule.namedParameters(),
                                                context: StepContext(iteration: position.steps, loss: loss.value.scalar))
                if report.applied { position.steps += 1 } else { skipped += 1 }
            } else {
                skipped += 1
            }
            state = rule.detached(state)
            tape.reset()
            if !perIteration.last!.isFinite { break }  // the rule blew up on this batch: move on
        }
        rule.zeroGrad()
        let finite = windowLosses.filter(\.isFinite)
        return (finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count), perIteration, skipped)
    }

    /// Runs the curriculum from the current position to the end.
    ///
    /// - Parameters:
    ///   - checkpointEvery: seconds between periodic `checkpoint` calls (also called after every stage).
    ///   - progress: called after every batch.
    ///   - checkpoint: persists the trainer (e.g. `resumeCheckpoint()` written atomically).
    public func run(checkpointEvery: Double = 600, progress: (MetaProgress) -> Void = { _ in },
                    checkpoint: (MetaTrainer) throws -> Void = { _ in }) throws {
        var lastCheckpoint = Date()
        let processStart = Date()
        let startSeconds = secondsBefore
        epochStart = Date()
        while !isFinished {
            let stage = curriculum.stages[position.stage]
            try optimizer.setHyperParameter("lr", to: stage.metaLearningRate)
            var advanced = false
            while position.epoch < stage.epochs && !advanced {
                var lastPerIteration = [Double]()
                while position.batch < batchesPerEpoch {
                    let t0 = Date()
                    let idx = batchIndices(stage: position.stage, epoch: position.epoch, batch: position.batch)
                    let seed = MetaTraining.mix([settings.seed, 2, UInt64(position.stage), UInt64(position.epoch), UInt64(position.batch)])
                    let r = try trainBatch(stage: stage, indices: idx, seed: seed)
                    lastPerIteration = r.perIteration
                    if r.loss.isFinite { epochLosses.append(r.loss) }
                    if let f = r.perIteration.last, f.isFinite { epochFinals.append(f) }
                    epochSkipped += r.skipped
                    position.skipped += r.skipped
                    position.batch += 1
                    secondsBefore = startSeconds + Date().timeIntervalSince(processStart)
                    let counts = batchCounts
                    progress(MetaProgress(position: position, stageCount: curriculum.stages.count, epochsInStage: stage.epochs,
                                          batchesPerEpoch: batchesPerEpoch, loss: r.loss,
                                          secondsPerStep: Date().timeIntervalSince(t0) / Double(stage.horizon / stage.truncation),
                                          batchesDone: counts.done, batchesTotal: counts.total))
                    if Date().timeIntervalSince(lastCheckpoint) >= checkpointEvery && position.batch < batchesPerEpoch {
                        try checkpoint(self)
                        lastCheckpoint = Date()
                    }
                }
                history.append(MetaEpochSummary(
                    stage: position.stage, epoch: position.epoch,
                    meanLoss: epochLosses.isEmpty ? .nan : epochLosses.reduce(0, +) / Double(epochLosses.count),
                    finalObjective: epochFinals.isEmpty ? .nan : epochFinals.reduce(0, +) / Double(epochFinals.count),
                    seconds: epochSecondsBefore + Date().timeIntervalSince(epochStart), skippedWindows: epochSkipped))
                epochLosses = []; epochFinals = []; epochSkipped = 0; epochStart = Date(); epochSecondsBefore = 0
                position.epoch += 1
                position.batch = 0
                if stage.earlyAdvance && lastPerIteration.count >= 2 {
                    let half = lastPerIteration.count / 2
                    let first = lastPerIteration[..<half].reduce(0, +), second = lastPerIteration[half...].reduce(0, +)
                    if first > second && position.epoch < stage.epochs { advanced = true }
                }
                if position.epoch < stage.epochs && !advanced && Date().timeIntervalSince(lastCheckpoint) >= checkpointEvery {
                    try checkpoint(self)
                    lastCheckpoint = Date()
                }
            }
            position.stage += 1
            position.epoch = 0
            position.batch = 0
            secondsBefore = startSeconds + Date().timeIntervalSince(processStart)
            try checkpoint(self)
            lastCheckpoint = Date()
        }
    }
}

/// Helpers of meta-training shared by every rule.
public enum MetaTraining {
    static func mix(_ values: [UInt64]) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for v in values { h = InstanceSeed.mix(h ^ v &+ 0x632B_E59B_D9B4_E019) }
        return h
    }

    /// The floor added inside the log-gap loss (about Float's resolution of a relative gap).
    static func logGapFloor<S: TensorScalar>() -> S { S(1e-7) }

    /// The warm-start length `k₀` of a batch (nil: start at the rule's initial state), from its
    /// own random stream so that batches of stages without warm starts are unchanged.
    public static func warmStartIterations(_ w: WarmStart?, seed: UInt64) -> Int? {
        guard let w else { return nil }
        var r = RandomState(seed: mix([seed, 3]))
        guard r.uniform() < w.probability else { return nil }
        let lo = Foundation.log(Double(w.minIterations)), hi = Foundation.log(Double(w.maxIterations))
        return min(w.maxIterations, max(w.minIterations, Int(Foundation.exp(r.uniform(lo, hi)).rounded())))
    }
}


/// Errors of meta-training and its configuration.
public enum MetaTrainingError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case resume(String)
    public var description: String {
        switch self {
        case .invalid(let m): return "meta-training: \(m)"
        case .resume(let m): return "cannot resume meta-training: \(m)"
        }
    }
}
