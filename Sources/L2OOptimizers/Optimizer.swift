import L2OCore
import L2OOptimizees

/// Every optimizer of the framework: the classic ones (SGD … NAdam), BADM, the handcrafted
/// decentralized methods and the learned rules (MiLoDo) — one protocol, one driver (`minimize`).
///
/// An optimizer minimizes an `Optimizee` `F(x) = Σ_s α_s f_s(x) + r(x)` and asks it for the oracles
/// it needs: the full gradient (SGD, Adam), the shards as sub-batches (BADM), or the shards as the
/// nodes of a communication graph (decentralized methods, through `DecentralizedOptimizer`). Its
/// state is a value: it can be copied, and a copy continues exactly like the original.
///
/// The refinement `ParameterOptimizer` steps named parameters with accumulated gradients (model
/// training); a `DecentralizedMethod` steps a node matrix over a graph and becomes an `Optimizer`
/// when bound to one (`method.on(mixing)`).
public protocol Optimizer<Scalar> {
    associatedtype Scalar: TensorScalar
    associatedtype State
    /// A short name for tables, messages and checkpoints (`adam`, `badm`, `prox-ed`, `milodo`, …).
    var name: String { get }
    /// Hyper-parameters by name (`lr`, `rho`, `step_size`, …).
    var hyperParameters: [String: Double] { get }
    /// Changes one hyper-parameter; throws `OptimizerError` and leaves the optimizer unchanged on error.
    mutating func setHyperParameter(_ name: String, to value: Double) throws
    /// A fresh state for minimizing `problem`, starting at `x0` (shape `[d]`; nil: the method's own
    /// start, zero unless it says otherwise). Throws when the problem lacks what the method needs
    /// (e.g. node shards matching its graph) or `x0` does not fit.
    func makeState<P: Optimizee>(for problem: P, from x0: Tensor<Scalar>?) throws -> State where P.Scalar == Scalar
    /// One iteration on `problem`.
    @discardableResult
    func step<P: Optimizee>(_ state: inout State, on problem: P) throws -> StepReport where P.Scalar == Scalar
    /// The current estimate of the minimizer, shape `[d]` (for decentralized methods the node average).
    func solution(_ state: State) -> Tensor<Scalar>
}

extension Optimizer {
    /// A fresh state starting at the method's own start.
    public func makeState<P: Optimizee>(for problem: P) throws -> State where P.Scalar == Scalar {
        try makeState(for: problem, from: nil)
    }
}

/// One run of `minimize`: the final state, the objective at the iterations it was recorded, and
/// how many steps the non-finite guard skipped.
public struct MinimizationResult<O: Optimizer> {
    public var state: O.State
    public var solution: Tensor<O.Scalar>
    /// `(k, F(x^k))` every `recordEvery` iterations and at the end (k = 0 is the start).
    public var objective: [(iteration: Int, value: Double)]
    public var skippedSteps: Int
}

/// The generic driver: `iterations` steps of any optimizer on any optimizee, recording
/// `F(solution)` every `recordEvery` iterations; `observe` sees the state after each step.
public func minimize<O: Optimizer, P: Optimizee>(
    _ optimizer: O, on problem: P, from x0: Tensor<O.Scalar>? = nil, iterations: Int, recordEvery: Int = 1,
    observe: ((Int, O.State) -> Void)? = nil
) throws -> MinimizationResult<O> where P.Scalar == O.Scalar {
    guard iterations >= 0 else {
        throw OptimizerError.invalidArgument(operation: "minimize", message: "iterations must be ≥ 0, got \(iterations)")
    }
    guard recordEvery >= 1 else {
        throw OptimizerError.invalidArgument(operation: "minimize", message: "recordEvery must be ≥ 1, got \(recordEvery)")
    }
    var state = try optimizer.makeState(for: problem, from: x0)
    var objective = [(0, Double(problem.value(optimizer.solution(state))))]
    var skipped = 0
    for k in 1...Swift.max(iterations, 1) where iterations > 0 {
        let report = try optimizer.step(&state, on: problem)
        if !report.applied { skipped += 1 }
        observe?(k, state)
        if k % recordEvery == 0 || k == iterations { objective.append((k, Double(problem.value(optimizer.solution(state))))) }
    }
    return MinimizationResult(state: state, solution: optimizer.solution(state), objective: objective, skippedSteps: skipped)
}

/// The start of a single-iterate method: `x0`, checked against the problem, or zeros.
func startingPoint<P: Optimizee>(_ x0: Tensor<P.Scalar>?, for problem: P, method: String) throws -> Tensor<P.Scalar> {
    guard let x0 else { return .zeros([problem.dimension]) }
    guard x0.shape == [problem.dimension] else {
        throw OptimizerError.invalidArgument(operation: "\(method).makeState", message: "the start x0 has shape \(x0.shape) but the problem has dimension \(problem.dimension)")
    }
    return x0
}
