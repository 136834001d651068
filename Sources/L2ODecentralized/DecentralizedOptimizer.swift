import L2OCore
import L2OOptimizees
import L2OOptimizers

/// A decentralized method bound to a communication graph: an `Optimizer` whose problem's shards
/// are the graph's nodes (`F = (1/n) Σ_i f_i + r`, node `i` holds shard `i`). The state keeps the
/// node matrix `X ∈ R^{n×d}`; the solution is the node average `x̄`.
public struct DecentralizedOptimizer<Method: DecentralizedMethod>: Optimizer {
    public typealias Scalar = Method.Scalar
    public var method: Method
    public let mixing: MixingMatrix<Scalar>

    public init(_ method: Method, mixing: MixingMatrix<Scalar>) {
        self.method = method
        self.mixing = mixing
    }

    public var name: String { method.name }
    /// `step_size` (γ); NaN for learned rules, which have none.
    public var hyperParameters: [String: Double] { ["step_size": Double(method.stepSize)] }

    public mutating func setHyperParameter(_ key: String, to value: Double) throws {
        guard key == "step_size" else {
            throw OptimizerError.unknownHyperParameter(optimizer: name, name: key, known: ["step_size"])
        }
        guard value > 0, value.isFinite else {
            throw OptimizerError.invalidHyperParameter(optimizer: name, name: key, value: value, requirement: "must be > 0 and finite")
        }
        method.stepSize = Scalar(value)
    }

    public struct State {
        public var method: Method.State
        public var nodes: NodeOracles<Scalar>
    }

    /// Decentralized methods start from their papers' initial state (`x⁰ = 0` at every node);
    /// `x0` must be nil or zero.
    public func makeState<P: Optimizee>(for problem: P, from x0: Tensor<Scalar>?) throws -> State where P.Scalar == Scalar {
        if let x0, x0.normInf() != 0 {
            throw OptimizerError.invalidArgument(operation: "\(name).makeState", message: "decentralized methods start at x⁰ = 0 on every node; pass no start point")
        }
        let nodes = try NodeOracles(problem)
        guard nodes.nodeCount == mixing.topology.nodeCount else {
            throw OptimizerError.invalidArgument(
                operation: "\(name).makeState",
                message: "the problem has \(nodes.nodeCount) shards but the graph \(mixing.topology) has \(mixing.topology.nodeCount) nodes")
        }
        return State(method: method.makeState(nodes, mixing: mixing), nodes: nodes)
    }

    /// One iteration of the method on the node oracles of the problem the state was made for.
    @discardableResult
    public func step<P: Optimizee>(_ state: inout State, on problem: P) throws -> StepReport where P.Scalar == Scalar {
        method.step(&state.method, state.nodes, mixing: mixing)
        return StepReport(applied: true, learningRate: Double(method.stepSize), gradientNorm: .nan, clipped: false)
    }

    public func solution(_ state: State) -> Tensor<Scalar> { method.iterate(state.method).mean(axis: 0) }

    /// The node matrix `X` (row `i` is node `i`'s iterate).
    public func nodeIterates(_ state: State) -> Tensor<Scalar> { method.iterate(state.method) }
}

extension DecentralizedMethod {
    /// This method on the graph of `mixing`, as an `Optimizer`.
    public func on(_ mixing: MixingMatrix<Scalar>) -> DecentralizedOptimizer<Self> { DecentralizedOptimizer(self, mixing: mixing) }
}
