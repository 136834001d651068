import L2OCore

/// What a decentralized method asks of a node-sharded composite problem
/// `min_x (1/n) Σ_i f_i(x) + r(x)`, with node `i` holding `f_i` and its own copy `x_i`
/// (row `i` of the node matrix `X ∈ R^{n×d}`).
public struct NodeOracles<Scalar: TensorScalar> {
    public let nodeCount: Int
    public let dimension: Int
    /// `G` with rows `∇f_i(x_i)` for a node matrix `X`.
    public let gradients: (Tensor<Scalar>) -> Tensor<Scalar>
    /// Row-wise `prox_{t·r}(V)`.
    public let prox: (Tensor<Scalar>, Scalar) -> Tensor<Scalar>
    /// λ when `r = λ‖·‖₁` (0 when `r = 0`); learned rules use it for their prox in a metric.
    public let l1Weight: Scalar

    public init(nodeCount: Int, dimension: Int, gradients: @escaping (Tensor<Scalar>) -> Tensor<Scalar>,
                prox: @escaping (Tensor<Scalar>, Scalar) -> Tensor<Scalar>, l1Weight: Scalar = 0) {
        self.nodeCount = nodeCount
        self.dimension = dimension
        self.gradients = gradients
        self.prox = prox
        self.l1Weight = l1Weight
    }

    /// Oracles for `r = λ‖·‖₁` (prox = soft-thresholding at `t·λ`).
    public init(nodeCount: Int, dimension: Int, lambda: Scalar, gradients: @escaping (Tensor<Scalar>) -> Tensor<Scalar>) {
        self.init(nodeCount: nodeCount, dimension: dimension, gradients: gradients,
                  prox: { v, t in softThreshold(v, t * lambda) }, l1Weight: lambda)
    }
}

/// A handcrafted decentralized method: its state is a value, so runs can be checkpointed,
/// copied and resumed.
public protocol DecentralizedMethod<Scalar> {
    associatedtype Scalar: TensorScalar
    associatedtype State

    /// Short name used in tables and on the command line (e.g. `prox-ed`).
    var name: String { get }
    /// The step size γ.
    var stepSize: Scalar { get set }
    /// The initial state (all iterates zero unless the method says otherwise).
    func makeState(_ problem: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State
    /// One iteration.
    func step(_ state: inout State, _ problem: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>)
    /// The node matrix at which the objective and consensus are read.
    func iterate(_ state: State) -> Tensor<Scalar>
    /// The state as named tensors (for checkpoints).
    func stateTensors(_ state: State) -> [(name: String, tensor: Tensor<Scalar>)]
    /// Iterations taken so far.
    func iterationCount(_ state: State) -> Int
    /// Rebuilds a state from `stateTensors` output and the iteration count (resume).
    func restoreState(_ tensors: [String: Tensor<Scalar>], iteration: Int, _ problem: NodeOracles<Scalar>) throws -> State
    /// How often a safeguard replaced the method's own steps so far (nil: the method has none).
    func safeguardReport(_ state: State) -> SafeguardReport?
}

extension DecentralizedMethod {
    public func safeguardReport(_ state: State) -> SafeguardReport? { nil }
}

/// Errors restoring a method's state.
public enum MethodStateError: Error, CustomStringConvertible, Equatable {
    case missing(method: String, name: String)
    case shape(method: String, name: String, expected: [Int], actual: [Int])
    public var description: String {
        switch self {
        case .missing(let m, let n): return "\(m) state: tensor '\(n)' is missing"
        case .shape(let m, let n, let e, let a): return "\(m) state: tensor '\(n)' has shape \(a), expected \(e)"
        }
    }
}

extension DecentralizedMethod {
    /// A named state tensor of shape `[n, d]`, validated.
    func stateTensor(_ t: [String: Tensor<Scalar>], _ name: String, _ p: NodeOracles<Scalar>) throws -> Tensor<Scalar> {
        guard let v = t[name] else { throw MethodStateError.missing(method: self.name, name: name) }
        guard v.shape == [p.nodeCount, p.dimension] else {
            throw MethodStateError.shape(method: self.name, name: name, expected: [p.nodeCount, p.dimension], actual: v.shape)
        }
        return v
    }
}
