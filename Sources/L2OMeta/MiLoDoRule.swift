import L2OCore
import L2ONN
import L2OOptimizees
import L2OOptimizers
import L2ODecentralized

/// A meta-batch of problems for MiLoDo: the batched node oracles and, with step normalization,
/// each problem's step scale.
public struct MiLoDoTask<Problem: Optimizee>: MetaTask {
    public typealias Scalar = Problem.Scalar
    public let data: OptimizeeMetaBatch<Problem>
    /// `[B, 1]` step scales `L_ref / L_b` (nil: normalization off).
    public let scale: Tensor<Scalar>?
    public var batch: Int { data.batch }
    public var optimalValues: Tensor<Scalar>? { data.optimalValues }
}

/// MiLoDo [MiLoDo] as a `LearnedOptimizer`: θ is a `MiLoDoModel` (per-node coordinate-wise LSTM
/// networks) on a graph; it is unrolled on meta-batches of any decentralized `Optimizee` (one
/// shard per node) through their gradient op (`OptimizeeMetaBatch`; with `secondOrder`, its
/// backward is the Hessian-vector product, as the authors do for LASSO), and its tape-free
/// optimizer is `MiLoDoOptimizer` bound to the graph.
public final class MiLoDoRule<Problem: Optimizee>: LearnedOptimizer {
    public typealias Scalar = Problem.Scalar
    public let model: MiLoDoModel<Scalar>
    public let mixing: MixingMatrix<Scalar>
    /// γ₀ of the warm start along Exact Diffusion and the weight of the consensus term.
    public let gamma0: Double, consensusWeight: Double
    /// Whether meta-gradients go through the problems' Hessian-vector products (else first order).
    public let secondOrder: Bool
    public var kind: String { MiLoDoCheckpoint.kind }
    public var supportsWarmStart: Bool { true }

    public init(model: MiLoDoModel<Scalar>, mixing: MixingMatrix<Scalar>, milodo: MiLoDoSettings, secondOrder: Bool = true) throws {
        guard model.topology.nodeCount == mixing.nodeCount else {
            throw MetaTrainingError.invalid("the model has \(model.topology.nodeCount) nodes but the topology \(mixing.nodeCount)")
        }
        self.model = model
        self.mixing = mixing
        gamma0 = milodo.gamma0
        consensusWeight = milodo.consensusWeight
        self.secondOrder = secondOrder
        // Tape-free parts of training (burn-in, validation) must use the live weights, not a
        // Float copy taken before training changed them.
        model.useFloatInference(false)
    }

    public func namedParameters() -> NamedParameters<Scalar> { model.namedParameters() }

    public func task(_ problems: [Problem], indices: [Int]) throws -> MiLoDoTask<Problem> {
        if let p = problems.first, p.shardCount != mixing.nodeCount {
            throw MetaTrainingError.invalid("training problems have \(p.shardCount) nodes but the topology has \(mixing.nodeCount)")
        }
        let data = try OptimizeeMetaBatch(problems, secondOrder: secondOrder)
        var scale: Tensor<Scalar>?
        if model.stepScaleReference > 0 { scale = model.stepScales(curvatures: curvatures(indices, problems)) }
        return MiLoDoTask(data: data, scale: scale)
    }

    public func initialState(for task: MiLoDoTask<Problem>, tape: Tape<Scalar>, rng: inout RandomState) throws -> MiLoDoModel<Scalar>.State {
        var state = model.initialState(batch: task.data.batch, dimension: task.data.dimension, tape: tape, rng: &rng)
        if let scale = task.scale { state.scale = scale }
        return state
    }

    /// Warm start: `k₀` iterations of Exact Diffusion at γ₀ from x = y = 0, then `burnIn`
    /// tape-free iterations of the rule itself (so its LSTM states fit the warm iterate).
    public func prepare(_ state: inout MiLoDoModel<Scalar>.State, for task: MiLoDoTask<Problem>, warmStartIterations: Int?,
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

    public func step(_ state: MiLoDoModel<Scalar>.State, on task: MiLoDoTask<Problem>, context: ForwardContext<Scalar>) throws -> MiLoDoModel<Scalar>.State {
        try model.step(state, lambda: task.data.lambda, context: context, gradients: task.data.gradients)
    }

    /// `F(x̄)` of every problem.
    public func objectives(_ state: MiLoDoModel<Scalar>.State, on task: MiLoDoTask<Problem>) -> Variable<Scalar> {
        task.data.objectives(state.x)
    }

    /// `F(x̄) + c·(1/n)Σ_i‖x_i − x̄‖²` (c = `consensusWeight`; the paper's loss is c = 0).
    public func metaObjectives(_ objectives: Variable<Scalar>, _ state: MiLoDoModel<Scalar>.State, on task: MiLoDoTask<Problem>) -> Variable<Scalar> {
        consensusWeight == 0 ? objectives : objectives + task.data.consensusErrors(state.x) * Scalar(consensusWeight)
    }

    public func detached(_ state: MiLoDoModel<Scalar>.State) -> MiLoDoModel<Scalar>.State { state.detached() }

    /// The tape-free rule with its safeguard on (`Safeguard`), as evaluation runs it.
    public func makeOptimizer() throws -> DecentralizedOptimizer<MiLoDoOptimizer<Scalar>> {
        MiLoDoOptimizer(model: model, safeguard: Safeguard()).on(mixing)
    }

    /// Largest local curvature of each training instance (computed once, on first use).
    var curvatureCache = [Int: Double]()
    func curvatures(_ indices: [Int], _ problems: [Problem]) -> [Double] {
        let missing = zip(indices, problems).filter { curvatureCache[$0.0] == nil }
        if !missing.isEmpty {
            for (k, L) in zip(missing.map(\.0), Self.largestLocalCurvatures(missing.map(\.1))) { curvatureCache[k] = L }
        }
        return indices.map { curvatureCache[$0]! }
    }

    /// `max_i L_i` of every instance (`LocalCurvature.estimate` on the batched local gradients).
    public static func largestLocalCurvatures(_ instances: [Problem]) -> [Double] {
        guard let data = try? OptimizeeMetaBatch(instances, secondOrder: false) else { return [] }
        return LocalCurvature.estimate(nodes: data.nodes, batch: data.batch, dimension: data.dimension) { xs in
            data.gradients(xs.map { Variable(constant: $0) }).map(\.value)
        }
    }
}

/// The MiLoDo meta-trainer on LASSO.
public typealias MiLoDoMetaTrainer<Scalar: TensorScalar> = MetaTrainer<MiLoDoRule<LASSO<Scalar>>>

extension MetaTrainer {
    /// Meta-trains `model` on the graph of `mixing` over `training` problems (one shard per node).
    public convenience init<P: Optimizee>(model: MiLoDoModel<P.Scalar>, mixing: MixingMatrix<P.Scalar>, training: [P],
                                          curriculum: Curriculum, settings: MetaTrainingSettings, milodo: MiLoDoSettings = MiLoDoSettings(),
                                          secondOrder: Bool = true) throws
        where Rule == MiLoDoRule<P> {
        try self.init(rule: try MiLoDoRule(model: model, mixing: mixing, milodo: milodo, secondOrder: secondOrder), training: training,
                      curriculum: curriculum, settings: settings)
    }
}

extension OptimizeeMetaBatch {
    /// Runs `iterations` of the MiLoDo rule at Exact Diffusion's constants (`p = γ`,
    /// `p_ij,1 = w_ij/(2γ)`, `p_ij,2 = w_ij/2`) from `(x, y)` per node, without a tape
    /// ([MiLoDo] §4.3's warm start): `z_i = prox_{γλ}(x_i − γ(∇f_i(x_i) + y_i))`,
    /// `y_i += Σ_j w_ij/(2γ)(z_i − z_j)`, `x_i = z_i − Σ_j w_ij/2 (z_i − z_j)`.
    @_specialize(where Problem == LASSO<Float>)
    @_specialize(where Problem == LASSO<Double>)
    public func exactDiffusionRun(x: [Tensor<Scalar>], y: [Tensor<Scalar>], iterations: Int, gamma: Scalar,
                                  mixing w: MixingMatrix<Scalar>) -> (x: [Tensor<Scalar>], y: [Tensor<Scalar>]) {
        var x = x, y = y
        let topology = w.topology
        for _ in 0..<iterations {
            let g = gradients(x.map { Variable(constant: $0) }).map(\.value)
            let z = (0..<nodes).map { i -> Tensor<Scalar> in
                var v = x[i]
                v.addScaled(g[i] + y[i], -gamma)
                return softThreshold(v, lambda * gamma)
            }
            for i in 0..<nodes {
                var lap = Tensor<Scalar>.zeros(z[i].shape)
                for j in topology.neighbors[i] { lap.addScaled(z[i] - z[j], Scalar(w.weight(i, j))) }
                y[i].addScaled(lap, 1 / (2 * gamma))
                x[i] = z[i]
                x[i].addScaled(lap, -0.5)
            }
        }
        return (x, y)
    }
}
