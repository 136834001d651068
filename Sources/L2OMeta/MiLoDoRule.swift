import L2OCore
import L2ONN
import L2OOptimizees
import L2OOptimizers
import L2ODecentralized

/// A meta-batch of LASSO problems for MiLoDo: the batched node data and, with step
/// normalization, each problem's step scale.
public struct MiLoDoTask<Scalar: TensorScalar>: MetaTask {
    public let data: LassoMetaBatch<Scalar>
    /// `[B, 1]` step scales `L_ref / L_b` (nil: normalization off).
    public let scale: Tensor<Scalar>?
    public var batch: Int { data.batch }
    public var optimalValues: Tensor<Scalar>? { data.optimalValues }
}

/// MiLoDo [MiLoDo] as a `LearnedOptimizer`: θ is a `MiLoDoModel` (per-node coordinate-wise LSTM
/// networks) on a graph; it is unrolled on LASSO meta-batches through the gradient op whose
/// backward is the Hessian-vector product (second-order meta-gradients, as the authors do for
/// LASSO), and its tape-free optimizer is `MiLoDoOptimizer` bound to the graph.
public final class MiLoDoRule<Scalar: TensorScalar>: LearnedOptimizer {
    public let model: MiLoDoModel<Scalar>
    public let mixing: MixingMatrix<Scalar>
    /// γ₀ of the warm start along Exact Diffusion and the weight of the consensus term.
    public let gamma0: Double, consensusWeight: Double
    public var kind: String { MiLoDoCheckpoint.kind }
    public var supportsWarmStart: Bool { true }

    public init(model: MiLoDoModel<Scalar>, mixing: MixingMatrix<Scalar>, settings: MetaTrainingSettings) throws {
        guard model.topology.nodeCount == mixing.nodeCount else {
            throw MetaTrainingError.invalid("the model has \(model.topology.nodeCount) nodes but the topology \(mixing.nodeCount)")
        }
        self.model = model
        self.mixing = mixing
        gamma0 = settings.gamma0
        consensusWeight = settings.consensusWeight
        // Tape-free parts of training (burn-in, validation) must use the live weights, not a
        // Float copy taken before training changed them.
        model.useFloatInference(false)
    }

    public func namedParameters() -> NamedParameters<Scalar> { model.namedParameters() }

    public func task(_ problems: [LASSO<Scalar>], indices: [Int]) throws -> MiLoDoTask<Scalar> {
        if let p = problems.first, p.nodes != mixing.nodeCount {
            throw MetaTrainingError.invalid("training problems have \(p.nodes) nodes but the topology has \(mixing.nodeCount)")
        }
        let data = try LassoMetaBatch(problems)
        var scale: Tensor<Scalar>?
        if model.stepScaleReference > 0 { scale = model.stepScales(curvatures: curvatures(indices, problems)) }
        return MiLoDoTask(data: data, scale: scale)
    }

    public func initialState(for task: MiLoDoTask<Scalar>, tape: Tape<Scalar>, rng: inout RandomState) throws -> MiLoDoModel<Scalar>.State {
        var state = model.initialState(batch: task.data.batch, dimension: task.data.dimension, tape: tape, rng: &rng)
        if let scale = task.scale { state.scale = scale }
        return state
    }

    /// Warm start: `k₀` iterations of Exact Diffusion at γ₀ from x = y = 0, then `burnIn`
    /// tape-free iterations of the rule itself (so its LSTM states fit the warm iterate).
    public func prepare(_ state: inout MiLoDoModel<Scalar>.State, for task: MiLoDoTask<Scalar>, warmStartIterations: Int?,
                        burnIn: Int, tape: Tape<Scalar>) throws {
        guard let k0 = warmStartIterations else { return }
        let data = task.data
        let run = data.exactDiffusionRun(x: state.x.map(\.value), y: state.y.map(\.value), iterations: k0,
                                         gamma: Scalar(gamma0), mixing: mixing)
        state.x = run.x.map { Variable($0, tape: tape, id: -1) }
        state.y = run.y.map { Variable($0, tape: tape, id: -1) }
        let free = ForwardContext<Scalar>(tape: nil)
        for _ in 0..<burnIn { state = try model.step(state, lambda: data.lambda, context: free, gradients: data.gradients) }
        state = state.detached()
    }

    public func step(_ state: MiLoDoModel<Scalar>.State, on task: MiLoDoTask<Scalar>, context: ForwardContext<Scalar>) throws -> MiLoDoModel<Scalar>.State {
        try model.step(state, lambda: task.data.lambda, context: context, gradients: task.data.gradients)
    }

    /// `F(x̄)` of every problem.
    public func objectives(_ state: MiLoDoModel<Scalar>.State, on task: MiLoDoTask<Scalar>) -> Variable<Scalar> {
        task.data.objectives(state.x)
    }

    /// `F(x̄) + c·(1/n)Σ_i‖x_i − x̄‖²` (c = `consensusWeight`; the paper's loss is c = 0).
    public func metaObjectives(_ objectives: Variable<Scalar>, _ state: MiLoDoModel<Scalar>.State, on task: MiLoDoTask<Scalar>) -> Variable<Scalar> {
        consensusWeight == 0 ? objectives : objectives + task.data.consensusErrors(state.x) * Scalar(consensusWeight)
    }

    public func detached(_ state: MiLoDoModel<Scalar>.State) -> MiLoDoModel<Scalar>.State { state.detached() }

    public func makeOptimizer() throws -> DecentralizedOptimizer<MiLoDoOptimizer<Scalar>> {
        MiLoDoOptimizer(model: model).on(mixing)
    }

    /// Largest local curvature of each training instance (computed once, on first use).
    var curvatureCache = [Int: Double]()
    func curvatures(_ indices: [Int], _ problems: [LASSO<Scalar>]) -> [Double] {
        let missing = zip(indices, problems).filter { curvatureCache[$0.0] == nil }
        if !missing.isEmpty {
            for (k, L) in zip(missing.map(\.0), Self.largestLocalCurvatures(missing.map(\.1))) { curvatureCache[k] = L }
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
}

/// The MiLoDo meta-trainer.
public typealias MiLoDoMetaTrainer<Scalar: TensorScalar> = MetaTrainer<MiLoDoRule<Scalar>>

extension MetaTrainer {
    /// Meta-trains `model` on the graph of `mixing` over LASSO `training` problems.
    public convenience init<S>(model: MiLoDoModel<S>, mixing: MixingMatrix<S>, training: [LASSO<S>],
                               curriculum: Curriculum, settings: MetaTrainingSettings) throws where Rule == MiLoDoRule<S> {
        try self.init(rule: try MiLoDoRule(model: model, mixing: mixing, settings: settings), training: training,
                      curriculum: curriculum, settings: settings)
    }
}
