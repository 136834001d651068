import Foundation
import L2OCore
import L2ONN
import L2OCheckpoint
import L2OOptimizees
import L2OOptimizers

/// A meta-batch for the LSTM optimizer: `B` classifier-training problems (each its own initial
/// weights and samples) and the seeds of their minibatch streams.
public struct LSTMOptimizerTask<Scalar: TensorScalar>: MetaTask {
    public let problems: [MLPClassification<Scalar>]
    public let seeds: [UInt64]
    public var batch: Int { problems.count }
    public var optimalValues: Tensor<Scalar>? { nil }
    /// Coordinates of each problem (all equal).
    public var dimension: Int { problems[0].dimension }
}

/// The unrolled state: every problem's parameters (stacked, `[B·d]`), the network's recurrent
/// state of each coordinate, and the problems' minibatch streams.
public struct LSTMOptimizerUnrollState<Scalar: TensorScalar> {
    public var x: Variable<Scalar>
    public var net: LSTMOptimizerNet<Scalar>.State
    var gradientStreams: [RandomState]
}

/// The coordinate-wise LSTM optimizer [L2L] as a `LearnedOptimizer`: θ is an
/// `LSTMOptimizerNet`; it is meta-trained on classifier-training problems (MLPs on image data),
/// each step taking a minibatch gradient per problem. Meta-gradients are first-order, as in the
/// paper (§2: the optimizee's gradients are constants, `∂∇_t/∂φ = 0`): a problem's objective
/// `f(x_t)` on a minibatch enters the tape as an op whose backward is its gradient at `x_t`.
public final class LSTMOptimizerRule<Scalar: TensorScalar>: LearnedOptimizer {
    public let net: LSTMOptimizerNet<Scalar>
    public static var checkpointKind: String { "lstm-optimizer" }
    public var kind: String { Self.checkpointKind }
    /// Classifier-training tasks have no known optimum.
    public var supportsLogGapLoss: Bool { false }

    public init(net: LSTMOptimizerNet<Scalar>) { self.net = net }

    public func namedParameters() -> NamedParameters<Scalar> { net.namedParameters() }

    public func task(_ problems: [MLPClassification<Scalar>], indices: [Int]) throws -> LSTMOptimizerTask<Scalar> {
        guard let first = problems.first else { throw MetaTrainingError.invalid("a meta-batch needs at least one problem") }
        for p in problems where p.dimension != first.dimension || p.shardCount != 1 {
            throw MetaTrainingError.invalid("LSTM-optimizer problems of one meta-batch must be single-node classifiers of one size")
        }
        return LSTMOptimizerTask(problems: problems, seeds: indices.map { UInt64($0) })
    }

    public func initialState(for task: LSTMOptimizerTask<Scalar>, tape: Tape<Scalar>, rng: inout RandomState) throws -> LSTMOptimizerUnrollState<Scalar> {
        let x = Tensor.concat(task.problems.map(\.initialPoint), axis: 0)
        let base = rng.next()
        return LSTMOptimizerUnrollState(
            x: Variable(x, tape: tape, id: -1), net: net.zeroState(rows: x.count, tape: tape),
            gradientStreams: task.seeds.map { RandomState(seed: MetaTraining.mix([base, 1, $0])) })
    }

    /// Minibatch losses and gradients of every problem at the stacked `x`, drawn from `streams`.
    func minibatch(_ x: Tensor<Scalar>, _ task: LSTMOptimizerTask<Scalar>, _ streams: inout [RandomState]) -> (losses: [Scalar], gradient: Tensor<Scalar>) {
        let d = task.dimension
        var losses = [Scalar](), grads = [Tensor<Scalar>]()
        for (b, p) in task.problems.enumerated() {
            let r = p.minibatchGradient(shard: 0, at: x.rows(b * d..<(b + 1) * d), rng: &streams[b])
            losses.append(r.loss)
            grads.append(r.gradient)
        }
        return (losses, Tensor.concat(grads, axis: 0))
    }

    public func step(_ state: LSTMOptimizerUnrollState<Scalar>, on task: LSTMOptimizerTask<Scalar>,
                     context: ForwardContext<Scalar>) throws -> LSTMOptimizerUnrollState<Scalar> {
        var s = state
        let g = minibatch(state.x.value, task, &s.gradientStreams).gradient
        let (delta, net) = try self.net.step(gradient: g, state: state.net, context: context)
        s.x = state.x + delta
        s.net = net
        return s
    }

    /// Each problem's minibatch loss at its current parameters, `[B]`, on the minibatch the next
    /// step will take its gradient from (as [L2L] evaluates `f(θ_t)` and `∇f(θ_t)` on one batch);
    /// backward: that minibatch gradient (first-order).
    public func objectives(_ state: LSTMOptimizerUnrollState<Scalar>, on task: LSTMOptimizerTask<Scalar>) -> Variable<Scalar> {
        var streams = state.gradientStreams
        let (losses, g) = minibatch(state.x.value, task, &streams)
        let d = task.dimension, B = task.batch
        return Variable.record(Tensor(losses), inputs: [state.x]) { u in
            var out = g
            for b in 0..<B { out.scalars.withUnsafeMutableBufferPointer { buf in for k in (b * d)..<((b + 1) * d) { buf[k] *= u.scalars[b] } } }
            return [out]
        }
    }

    public func detached(_ state: LSTMOptimizerUnrollState<Scalar>) -> LSTMOptimizerUnrollState<Scalar> {
        var s = state
        s.x = state.x.detached()
        s.net = state.net.detached()
        return s
    }

    public func makeOptimizer() throws -> LSTMOptimizer<Scalar> { LSTMOptimizer(net: net) }
}

/// Everything needed to rebuild an LSTM optimizer without other files (the `config` attribute).
public struct LSTMOptimizerConfig: Codable, Sendable, Equatable {
    public var hiddenSize: Int
    public var outputScale: Double
    public var preprocessingExponent: Double
    /// What it was meta-trained on.
    public var trainedOn: String
    public var curriculum: Curriculum
    public var settings: MetaTrainingSettings

    public init<S>(net: LSTMOptimizerNet<S>, trainedOn: String, curriculum: Curriculum, settings: MetaTrainingSettings) {
        hiddenSize = net.hiddenSize
        outputScale = net.outputScale
        preprocessingExponent = net.preprocessingExponent
        self.trainedOn = trainedOn
        self.curriculum = curriculum
        self.settings = settings
    }
}

public enum LSTMOptimizerCheckpoint {
    public static var kind: String { LSTMOptimizerRule<Float>.checkpointKind }

    public static func weights<S>(net: LSTMOptimizerNet<S>, config: LSTMOptimizerConfig, metadata: [String: HDF5AttributeValue] = [:]) throws -> Checkpoint {
        Checkpoint(weightsOf: kind, config: try Checkpoint.configJSON(config), seed: config.settings.seed,
                   parameters: CheckpointSection(parameters: net.namedParameters()), metadata: metadata)
    }

    /// Rebuilds the network (in any scalar type) from a checkpoint of kind `lstm-optimizer`.
    public static func load<S: TensorScalar>(_ checkpoint: Checkpoint, as: S.Type = S.self) throws -> (net: LSTMOptimizerNet<S>, config: LSTMOptimizerConfig) {
        guard checkpoint.kind == kind else {
            throw MetaTrainingError.invalid("\(checkpoint.file) holds a '\(checkpoint.kind)' checkpoint, not '\(kind)'")
        }
        let config = try checkpoint.decodeConfig(LSTMOptimizerConfig.self)
        guard config.hiddenSize >= 1, config.hiddenSize <= 1024, config.outputScale > 0, config.outputScale.isFinite,
              config.preprocessingExponent > 0, config.preprocessingExponent <= 80 else {
            throw CheckpointError.invalidConfig(file: checkpoint.file, detail: "hiddenSize must be 1…1024, outputScale > 0 and preprocessingExponent in (0, 80]")
        }
        var rng = RandomState(seed: 0)
        let net = try LSTMOptimizerNet<S>(hiddenSize: config.hiddenSize, outputScale: config.outputScale,
                                          preprocessingExponent: config.preprocessingExponent, rng: &rng)
        try checkpoint.load(into: net.namedParameters())
        return (net, config)
    }

    public static func load<S: TensorScalar>(from url: URL, as: S.Type = S.self) throws -> (net: LSTMOptimizerNet<S>, config: LSTMOptimizerConfig) {
        try load(try Checkpoint.read(from: url, kind: kind), as: S.self)
    }
}

extension Curriculum {
    /// Meta-training of the LSTM optimizer on MLP training [L2L], §3.2:
    /// horizons of 100 steps unrolled in windows of 20, Adam on θ.
    public static let lstmMLP = Curriculum(name: "lstm-mlp", stages: [
        .init(metaLearningRate: 3e-3, truncation: 20, horizon: 100, epochs: 12),
    ])
}
