import Foundation
import L2OCore
import L2ONN
import L2OOptimizees
import L2OOptimizers
import L2ODecentralized

/// Settings of MiLoDo meta-training besides the curriculum ([MiLoDo] §4.3 and App. E.3 defaults).
public struct MetaTrainingSettings: Codable, Sendable, Equatable {
    /// Problems per meta-batch.
    public var batchSize = 32
    /// Decoupled weight decay of the Adam meta-optimizer.
    public var weightDecay = 1e-4
    /// Global-norm clipping of the meta-gradient.
    public var clipNorm = 1.0
    /// The step size the special initialization starts from.
    public var gamma0 = 0.03
    public var hiddenSize = 20
    public var seed: UInt64 = 0
    /// Weight `c` of the consensus term: a window's loss is the mean of
    /// `F(x̄ᵏ) + c·(1/n)Σ_i‖x_iᵏ − x̄ᵏ‖²`. The paper's loss is `c = 0`; `F(x̄)` alone cannot see
    /// disagreement patterns that average out (e.g. the alternating mode of a ring), so a rule
    /// trained on short horizons may leave them unstable.
    public var consensusWeight = 0.0
    /// `0` = the paper's output activations; `α ∈ (0, 1)` = coefficients bounded within `1 ± α`
    /// of Exact Diffusion's (`MiLoDoModel.useBoundedOutputs`).
    public var boundedAlpha = 0.0
    /// Bound of the step `p_i` alone in bounded mode (`0` = the same as `boundedAlpha`).
    public var stepAlpha = 0.0
    /// Inputs of the step network `φ_M` (`MiLoDoStepFeatures`): `paper` or `residual`.
    public var stepFeatures = MiLoDoStepFeatures.paper
    /// `L_ref` of the step normalization (`MiLoDoModel.stepScaleReference`; 0 = off).
    public var stepScaleReference = 0.0
    public init() {}

    enum CodingKeys: String, CodingKey {
        case batchSize, weightDecay, clipNorm, gamma0, hiddenSize, seed, consensusWeight, boundedAlpha, stepAlpha, stepFeatures, stepScaleReference
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        weightDecay = try c.decode(Double.self, forKey: .weightDecay)
        clipNorm = try c.decode(Double.self, forKey: .clipNorm)
        gamma0 = try c.decode(Double.self, forKey: .gamma0)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        seed = try c.decode(UInt64.self, forKey: .seed)
        consensusWeight = try c.decodeIfPresent(Double.self, forKey: .consensusWeight) ?? 0  // absent in older files
        boundedAlpha = try c.decodeIfPresent(Double.self, forKey: .boundedAlpha) ?? 0
        stepAlpha = try c.decodeIfPresent(Double.self, forKey: .stepAlpha) ?? 0
        stepFeatures = try c.decodeIfPresent(MiLoDoStepFeatures.self, forKey: .stepFeatures) ?? .paper
        stepScaleReference = try c.decodeIfPresent(Double.self, forKey: .stepScaleReference) ?? 0
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
    /// Mean meta-loss (mean over windows, iterations and problems of F(x̄ᵏ), plus the consensus
    /// term when its weight is not zero).
    public var meanLoss: Double
    /// Mean `F(x̄ᵏ)` at the last iteration of the horizon.
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

/// Meta-trains a MiLoDo model on LASSO instances by truncated backpropagation through time.
///
/// Each meta-batch of problems starts from x = y = 0 and random LSTM states; the rule is unrolled
/// `K` iterations in windows of `K_T`. A window's loss is the mean over its iterations and the
/// batch of `F(x̄ᵏ)`; it is backpropagated (through `∇f_i`, by Hessian-vector products), Adam
/// steps θ, and the state is detached before the next window. Data order and initial states are
/// derived from (seed, stage, epoch, batch), so a run resumed from a checkpoint repeats exactly
/// what the uninterrupted run would have done.
public final class MetaTrainer<Scalar: TensorScalar> {
    public let model: MiLoDoModel<Scalar>
    public let mixing: MixingMatrix<Scalar>
    public let training: [LASSO<Scalar>]
    public let curriculum: Curriculum
    public let settings: MetaTrainingSettings
    public internal(set) var position = MetaTrainingPosition()
    public internal(set) var history = [MetaEpochSummary]()
    public internal(set) var optimizerState: OptimizerState<Scalar>
    /// Seconds of training done before this process (from a resumed checkpoint) plus this process's.
    public internal(set) var secondsBefore = 0.0
    var optimizer: Adam<Scalar>
    var epochLosses = [Double](), epochFinals = [Double](), epochSkipped = 0, epochStart = Date()

    public init(model: MiLoDoModel<Scalar>, mixing: MixingMatrix<Scalar>, training: [LASSO<Scalar>],
                curriculum: Curriculum, settings: MetaTrainingSettings) throws {
        try curriculum.validate()
        guard !training.isEmpty else { throw MetaTrainingError.invalid("no training instances") }
        guard settings.batchSize >= 1 else { throw MetaTrainingError.invalid("batch size must be ≥ 1") }
        guard training[0].nodes == mixing.nodeCount else {
            throw MetaTrainingError.invalid("training problems have \(training[0].nodes) nodes but the topology has \(mixing.nodeCount)")
        }
        self.model = model
        // Tape-free parts of training (burn-in, validation) must use the live weights, not a
        // Float copy taken before training changed them.
        model.useFloatInference(false)
        self.mixing = mixing
        self.training = training
        self.curriculum = curriculum
        self.settings = settings
        optimizer = try Adam<Scalar>(
            learningRate: curriculum.stages[0].metaLearningRate,
            processing: GradientProcessing(clipNorm: settings.clipNorm, weightDecay: settings.weightDecay))
        optimizerState = optimizer.makeState(for: model.namedParameters())
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

    static func mix(_ values: [UInt64]) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for v in values { h = InstanceSeed.mix(h ^ v &+ 0x632B_E59B_D9B4_E019) }
        return h
    }

    /// The instances of batch `batch` of (stage, epoch).
    func batchIndices(stage: Int, epoch: Int, batch: Int) -> [Int] {
        var rng = RandomState(seed: Self.mix([settings.seed, 1, UInt64(stage), UInt64(epoch)]))
        let perm = rng.permutation(training.count)
        let lo = batch * settings.batchSize
        return Array(perm[lo..<min(lo + settings.batchSize, perm.count)])
    }

    /// Unrolls one meta-batch over the stage's horizon with truncated BPTT; returns the mean
    /// window loss and `F(x̄ᵏ)` (batch mean) for every iteration k.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func trainBatch(stage s: CurriculumStage, indices: [Int], seed: UInt64) throws -> (loss: Double, perIteration: [Double], skipped: Int) {
        let data = try LassoMetaBatch(indices.map { training[$0] })
        let logGap = s.loss == .logGap
        guard !logGap || data.optimalValues != nil else {
            throw MetaTrainingError.invalid("the log-gap loss needs the reference optimum F* of every training instance")
        }
        let tape = Tape<Scalar>()
        let context = ForwardContext<Scalar>(tape: tape)
        var rng = RandomState(seed: seed)
        var state = model.initialState(batch: data.batch, dimension: data.dimension, tape: tape, rng: &rng)
        if model.stepScaleReference > 0 { state.scale = model.stepScales(curvatures: curvatures(indices)) }
        if let k0 = Self.warmStartIterations(s.warmStart, seed: seed), let w = s.warmStart {
            let run = data.exactDiffusionRun(x: state.x.map(\.value), y: state.y.map(\.value), iterations: k0,
                                             gamma: Scalar(settings.gamma0), mixing: mixing)
            state.x = run.x.map { Variable($0, tape: tape, id: -1) }
            state.y = run.y.map { Variable($0, tape: tape, id: -1) }
            let free = ForwardContext<Scalar>(tape: nil)
            for _ in 0..<w.burnIn { state = try model.step(state, lambda: data.lambda, context: free, gradients: data.gradients) }
            state = state.detached()
        }
        let optimal = data.optimalValues.map { Variable(constant: $0) }
        var perIteration = [Double](), windowLosses = [Double]()
        var skipped = 0
        for _ in 0..<(s.horizon / s.truncation) {
            tape.reset()
            var total: Variable<Scalar>?
            for _ in 0..<s.truncation {
                state = try model.step(state, lambda: data.lambda, context: context, gradients: data.gradients)
                let objectives = data.objectives(state.x)
                perIteration.append(Double(objectives.value.mean()))
                var f = objectives
                if settings.consensusWeight != 0 {
                    f = f + data.consensusErrors(state.x) * Scalar(settings.consensusWeight)
                }
                if logGap, let optimal {
                    f = log(abs((f - optimal) / optimal) + Self.logGapFloor)
                }
                let m = f.mean()
                total = total.map { $0 + m } ?? m
            }
            let loss = total! / Scalar(s.truncation)
            let lv = Double(loss.value.scalar)
            windowLosses.append(lv)
            model.zeroGrad()
            if lv.isFinite {
                tape.backward(loss)
                let report = try optimizer.step(&optimizerState, parameters: model.namedParameters(),
                                                context: StepContext(iteration: position.steps, loss: loss.value.scalar))
                if report.applied { position.steps += 1 } else { skipped += 1 }
            } else {
                skipped += 1
            }
            state = state.detached()
            tape.reset()
            if !perIteration.last!.isFinite { break }  // the rule blew up on this batch: move on
        }
        model.zeroGrad()
        let finite = windowLosses.filter(\.isFinite)
        return (finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count), perIteration, skipped)
    }

    /// Largest local curvature of each training instance (computed once, on first use).
    var curvatureCache = [Int: Double]()
    func curvatures(_ indices: [Int]) -> [Double] {
        let missing = indices.filter { curvatureCache[$0] == nil }
        if !missing.isEmpty {
            for (k, L) in zip(missing, Self.largestLocalCurvatures(missing.map { training[$0] })) { curvatureCache[k] = L }
        }
        return indices.map { curvatureCache[$0]! }
    }

    /// `max_i L_i` of every instance (`LocalCurvature.estimate` on the batched local gradients).
    public static func largestLocalCurvatures(_ instances: [LASSO<Scalar>]) -> [Double] {
        guard let data = try? LassoMetaBatch(instances) else { return [] }
        return LocalCurvature.estimate(nodes: data.nodes, batch: data.batch, dimension: data.dimension) { xs in
            data.gradients(xs.map { Variable(constant: $0) }).map(\.value)
        }
    }

    /// The floor added inside the log-gap loss (about Float's resolution of a relative gap).
    static var logGapFloor: Scalar { Scalar(1e-7) }

    /// The warm-start length `k₀` of a batch (nil: start at x = y = 0), from its own random stream
    /// so that batches of stages without warm starts are unchanged.
    static func warmStartIterations(_ w: WarmStart?, seed: UInt64) -> Int? {
        guard let w else { return nil }
        var r = RandomState(seed: mix([seed, 3]))
        guard r.uniform() < w.probability else { return nil }
        let lo = Foundation.log(Double(w.minIterations)), hi = Foundation.log(Double(w.maxIterations))
        return min(w.maxIterations, max(w.minIterations, Int(Foundation.exp(r.uniform(lo, hi)).rounded())))
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
                    let seed = Self.mix([settings.seed, 2, UInt64(position.stage), UInt64(position.epoch), UInt64(position.batch)])
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
                    seconds: Date().timeIntervalSince(epochStart), skippedWindows: epochSkipped))
                epochLosses = []; epochFinals = []; epochSkipped = 0; epochStart = Date()
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
