import L2OCore
import L2OData

/// The Kuramoto energy of phases `w ∈ R^n` on a graph ([NeuralReparam] §3):
/// ```
/// E(w) = −Σ_ij A_ij cos(w_i − w_j) = −2 Σ_{(i,j)∈E} cos(w_i − w_j)
/// ∇_k E = 2 Σ_j A_kj sin(w_k − w_j)
/// (∇²E v)_k = 2 Σ_j A_kj cos(w_k − w_j) (v_k − v_j)
/// ```
/// with `Σ_ij` over all ordered pairs and the symmetric 0/1 adjacency `A`. `E ≥ −Σ_ij A_ij = −2m`
/// with equality exactly at synchronized states (all phases equal mod 2π on a connected graph),
/// which is the reference optimum. Synchronization is measured by the order parameter
/// `ρ = |(1/n) Σ_j e^{i w_j}|` (`orderParameter`). One shard, `r = 0`, `O(m)` per oracle.
public struct Kuramoto<Scalar: TensorScalar>: Optimizee, Sendable {
    public let graph: Graph
    /// The starting phases, shape `[n]`.
    public var initialPoint: Tensor<Scalar>

    /// Validates a graph with an edge and `initialPoint` of shape `[n]`.
    public init(graph: Graph, initialPoint: Tensor<Scalar>) throws {
        try validateGraphEnergy(graph, initialPoint: initialPoint, dimension: graph.nodeCount, problem: "Kuramoto")
        self.graph = graph
        self.initialPoint = initialPoint
    }

    @inlinable public var dimension: Int { graph.nodeCount }
    @inlinable public var shardCount: Int { 1 }
    public var shardWeights: [Scalar] { [1] }
    public var regularizer: Regularizer<Scalar> { .none }

    /// `x* = 0` (synchronized) with `F* = −2m`, exact for a connected graph (for a disconnected one
    /// any per-component constant phases reach the same value).
    public var referenceOptimum: ReferenceOptimum<Scalar>? {
        ReferenceOptimum(x: .zeros([dimension]), value: -2 * Double(graph.edgeCount), kktResidual: 0, iterations: 0)
    }

    /// The same instance in another scalar type.
    public func cast<T: TensorScalar>(to: T.Type = T.self) -> Kuramoto<T> {
        try! Kuramoto<T>(graph: graph, initialPoint: initialPoint.cast())
    }

    /// `ρ(w) = |(1/n) Σ_j e^{i w_j}|`.
    public func orderParameter(_ x: Tensor<Scalar>) -> Double { kuramotoOrderParameter(x) }

    @inlinable
    func check(_ s: Int, _ x: Tensor<Scalar>) { checkSingleShard("Kuramoto", shard: s, x, dimension: dimension) }

    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar {
        check(s, x)
        var total: Scalar = 0
        graph.edges.withUnsafeBufferPointer { e in
            x.scalars.withUnsafeBufferPointer { w in
                for edge in e { total += sinCos(w[edge.i] - w[edge.j]).cos }
            }
        }
        return -2 * total
    }

    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar> {
        check(s, x)
        return x.scalars.withUnsafeBufferPointer { w in
            edgeAntisymmetricSum(graph, count: dimension) { i, j in 2 * sinCos(w[i] - w[j]).sin }
        }
    }

    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        check(s, x)
        check(s, v)
        return x.scalars.withUnsafeBufferPointer { w in
            v.scalars.withUnsafeBufferPointer { vp in
                edgeAntisymmetricSum(graph, count: dimension) { i, j in 2 * sinCos(w[i] - w[j]).cos * (vp[i] - vp[j]) }
            }
        }
    }
}
