import L2OCore
import L2ONN

/// A learned optimization rule, in the manner of google/learned_optimization [LearnedOpt]:
/// parameters θ (a module, initialized from a seed and checkpointed), a differentiable step that
/// records on a tape (for meta-training by truncated backpropagation through time), and a
/// tape-free `Optimizer` made from the current θ (for evaluation and use).
///
/// Meta-training (`MetaTrainer` in L2OMeta) needs nothing else from a rule: it builds a `Task` (a
/// batch of problems with tape-differentiable oracles) from training problems, unrolls `step`,
/// reads `objectives`, backpropagates into θ and steps its meta-optimizer. A new rule is one
/// conforming type; it brings no meta-training code.
public protocol LearnedOptimizer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// A training problem of the family the rule is meta-trained on.
    associatedtype Problem
    /// A batch of problems laid out for unrolling (with differentiable oracles).
    associatedtype Task: MetaTask where Task.Scalar == Scalar
    /// The unrolled state (iterates and the rule's memory), as variables on a tape.
    associatedtype UnrollState
    /// The tape-free optimizer made from θ.
    associatedtype Inference: Optimizer where Inference.Scalar == Scalar

    /// The checkpoint kind (`milodo`, `lstm-optimizer`, …).
    var kind: String { get }
    /// The parameters θ.
    func namedParameters() -> NamedParameters<Scalar>
    /// Lays out training problems as a task (`indices` identify them within the training set,
    /// for per-problem caches).
    func task(_ problems: [Problem], indices: [Int]) throws -> Task
    /// A fresh unrolled state for `task`, its random parts drawn from `rng`, recorded on `tape`.
    func initialState(for task: Task, tape: Tape<Scalar>, rng: inout RandomState) throws -> UnrollState
    /// Whether `prepare` implements curricula's warm starts (default false: a curriculum with warm
    /// starts is refused for the rule).
    var supportsWarmStart: Bool { get }
    /// Whether tasks carry `F*` for the log-gap loss (default true; checked per batch as well).
    var supportsLogGapLoss: Bool { get }
    /// Prepares a state before unrolling (e.g. a warm start of `warmStartIterations` iterations
    /// along a baseline's trajectory, then `burnIn` tape-free iterations of the rule). The default
    /// does nothing.
    func prepare(_ state: inout UnrollState, for task: Task, warmStartIterations: Int?, burnIn: Int, tape: Tape<Scalar>) throws
    /// One iteration of the rule on every problem of the task.
    func step(_ state: UnrollState, on task: Task, context: ForwardContext<Scalar>) throws -> UnrollState
    /// The objective of every problem at the state, `[B]`, differentiable (e.g. `F(x̄)`); recorded
    /// per iteration in the training history.
    func objectives(_ state: UnrollState, on task: Task) -> Variable<Scalar>
    /// The per-problem quantity a window's loss averages, from `objectives` (default: itself; a
    /// rule may add terms, e.g. a consensus penalty).
    func metaObjectives(_ objectives: Variable<Scalar>, _ state: UnrollState, on task: Task) -> Variable<Scalar>
    /// The state cut from the graph (between truncation windows).
    func detached(_ state: UnrollState) -> UnrollState
    /// The tape-free optimizer with the current θ.
    func makeOptimizer() throws -> Inference
}

extension LearnedOptimizer {
    public func prepare(_ state: inout UnrollState, for task: Task, warmStartIterations: Int?, burnIn: Int, tape: Tape<Scalar>) throws {}
    public var supportsWarmStart: Bool { false }
    public var supportsLogGapLoss: Bool { true }

    public func metaObjectives(_ objectives: Variable<Scalar>, _ state: UnrollState, on task: Task) -> Variable<Scalar> { objectives }

    /// Clears the gradients of θ.
    public func zeroGrad() { for p in namedParameters() { p.parameter.zeroGrad() } }
}

/// A batch of problems a learned rule is unrolled on.
public protocol MetaTask<Scalar> {
    associatedtype Scalar: TensorScalar
    /// Problems in the batch.
    var batch: Int { get }
    /// `F*` of every problem (`[B]`) when all are known (for the log-gap loss).
    var optimalValues: Tensor<Scalar>? { get }
}
