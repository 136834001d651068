import L2OCore
import L2OData

/// Heat diffusion with hot and cold baths on a graph ([NeuralReparam] §3): the state `w ∈ R^{n×d}` (row `i`
/// is node `i`'s `d` features) is flattened row-major into `x ∈ R^{nd}`, and
/// ```
/// E(w) = ½ Σ_ij A_ij ‖w_i − w_j‖² + λ Σ_{i∈Hot} Σ_c (w_ic − T_hot)⁴ + λ Σ_{i∈Cold} Σ_c (w_ic − T_cold)⁴
///      = Σ_{(i,j)∈E} ‖w_i − w_j‖² + (baths)
/// ```
/// with `Σ_ij` over all ordered pairs and the symmetric 0/1 adjacency `A`, so each undirected edge
/// counts once. Writing `L = D − A` for the graph Laplacian and `τ_i` for node `i`'s bath
/// temperature,
/// ```
/// ∇_i E = 2 (L w)_i + 4λ (w_i − τ_i)³          (the cube only on bath nodes)
/// ∇²E v = 2 L v + 12λ (w_i − τ_i)² ⊙ v_i
/// ```
/// `E` is convex. One shard (`α = 1`), `r = 0`. Kernels loop over the edge list: `O(m·d)` per
/// oracle, no `n × n` matrix.
public struct HeatDiffusion<Scalar: TensorScalar>: Optimizee, Sendable {
    public let graph: Graph
    /// Features per node `d`.
    public let features: Int
    /// The bath weight λ ≥ 0.
    public let lambda: Scalar
    public let hotTemperature: Scalar
    public let coldTemperature: Scalar
    /// Hot and cold nodes (disjoint).
    public let hotNodes: [Int], coldNodes: [Int]
    /// The starting state `x⁰`, shape `[n·d]`.
    public var initialPoint: Tensor<Scalar>
    public var referenceOptimum: ReferenceOptimum<Scalar>? { nil }
    /// Bath nodes (hot, then cold) and their temperatures, for the kernels.
    @usableFromInline let bathNodes: [Int]
    @usableFromInline let bathTemperatures: [Scalar]

    /// Validates the node sets (in range, disjoint, no repeats), `λ ≥ 0`, finite temperatures,
    /// `d ≥ 1`, a graph with an edge and `initialPoint` of shape `[n·d]`.
    public init(graph: Graph, features: Int = 1, lambda: Scalar, hotTemperature: Scalar, coldTemperature: Scalar,
                hotNodes: [Int], coldNodes: [Int], initialPoint: Tensor<Scalar>) throws {
        guard features >= 1 else { throw OptimizeeError.invalidArgument(what: "heat-diffusion features d", detail: "\(features) must be ≥ 1") }
        guard lambda.isFinite, lambda >= 0 else {
            throw OptimizeeError.invalidArgument(what: "heat-diffusion λ", detail: "\(lambda) must be finite and ≥ 0")
        }
        guard hotTemperature.isFinite, coldTemperature.isFinite else {
            throw OptimizeeError.invalidArgument(what: "heat-diffusion temperatures", detail: "T_hot = \(hotTemperature), T_cold = \(coldTemperature) must be finite")
        }
        let all = hotNodes + coldNodes
        if let bad = all.first(where: { $0 < 0 || $0 >= graph.nodeCount }) {
            throw OptimizeeError.invalidArgument(what: "heat-diffusion bath node", detail: "\(bad) is outside 0..<\(graph.nodeCount)")
        }
        guard Set(all).count == all.count else {
            throw OptimizeeError.invalidArgument(what: "heat-diffusion bath nodes", detail: "hot and cold nodes must be distinct and disjoint")
        }
        try validateGraphEnergy(graph, initialPoint: initialPoint, dimension: graph.nodeCount * features, problem: "heat diffusion")
        self.graph = graph
        self.features = features
        self.lambda = lambda
        self.hotTemperature = hotTemperature
        self.coldTemperature = coldTemperature
        self.hotNodes = hotNodes
        self.coldNodes = coldNodes
        self.initialPoint = initialPoint
        bathNodes = all
        bathTemperatures = hotNodes.map { _ in hotTemperature } + coldNodes.map { _ in coldTemperature }
    }

    @inlinable public var dimension: Int { graph.nodeCount * features }
    @inlinable public var shardCount: Int { 1 }
    public var shardWeights: [Scalar] { [1] }
    public var regularizer: Regularizer<Scalar> { .none }

    /// The same instance in another scalar type.
    public func cast<T: TensorScalar>(to: T.Type = T.self) -> HeatDiffusion<T> {
        try! HeatDiffusion<T>(graph: graph, features: features, lambda: T(lambda), hotTemperature: T(hotTemperature),
                              coldTemperature: T(coldTemperature), hotNodes: hotNodes, coldNodes: coldNodes, initialPoint: initialPoint.cast())
    }

    @inlinable
    func check(_ s: Int, _ x: Tensor<Scalar>) { checkSingleShard("HeatDiffusion", shard: s, x, dimension: dimension) }

    /// The Dirichlet part `Σ_{(i,j)∈E} ‖w_i − w_j‖²`.
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func dirichletEnergy(_ x: Tensor<Scalar>) -> Scalar {
        check(0, x)
        let d = features
        var total: Scalar = 0
        graph.edges.withUnsafeBufferPointer { e in
            x.scalars.withUnsafeBufferPointer { w in
                for edge in e {
                    let a = edge.i * d, b = edge.j * d
                    for c in 0..<d {
                        let t = w[a + c] - w[b + c]
                        total += t * t
                    }
                }
            }
        }
        return total
    }

    /// `E(w)`.
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar {
        check(s, x)
        var bath: Scalar = 0
        x.scalars.withUnsafeBufferPointer { w in forEachBathEntry(w) { _, t in bath += (t * t) * (t * t) } }
        return dirichletEnergy(x) + lambda * bath
    }

    /// `2 L v` (rows of `v` are nodes), accumulated into `out`.
    @inlinable
    func addLaplacian(_ v: UnsafeBufferPointer<Scalar>, into out: UnsafeMutableBufferPointer<Scalar>) {
        let d = features
        graph.edges.withUnsafeBufferPointer { e in
            for edge in e {
                let a = edge.i * d, b = edge.j * d
                for c in 0..<d {
                    let t = 2 * (v[a + c] - v[b + c])
                    out[a + c] += t
                    out[b + c] -= t
                }
            }
        }
    }

    /// Calls `body(k, w_k − τ)` for every entry `k` of a bath node's state.
    @inlinable
    func forEachBathEntry(_ w: UnsafeBufferPointer<Scalar>, _ body: (Int, Scalar) -> Void) {
        let d = features
        for (b, i) in bathNodes.enumerated() {
            for c in 0..<d { body(i * d + c, w[i * d + c] - bathTemperatures[b]) }
        }
    }

    /// `2 L w + 4λ (w − τ)³` on the bath nodes.
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar> {
        check(s, x)
        var g = Tensor<Scalar>.zeros([dimension])
        x.scalars.withUnsafeBufferPointer { w in
            g.scalars.withUnsafeMutableBufferPointer { out in
                addLaplacian(w, into: out)
                forEachBathEntry(w) { k, t in out[k] += 4 * lambda * t * t * t }
            }
        }
        return g
    }

    /// `2 L v + 12λ (w − τ)² ⊙ v` on the bath nodes.
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        check(s, x)
        check(s, v)
        var hv = Tensor<Scalar>.zeros([dimension])
        x.scalars.withUnsafeBufferPointer { w in
            v.scalars.withUnsafeBufferPointer { vp in
                hv.scalars.withUnsafeMutableBufferPointer { out in
                    addLaplacian(vp, into: out)
                    forEachBathEntry(w) { k, t in out[k] += 12 * lambda * t * t * vp[k] }
                }
            }
        }
        return hv
    }
}
