import L2OCore
import L2OData

/// The Hopf–Kuramoto energy of phases `w ∈ R^n` on a graph ([NeuralReparam] §3), `Δ_ij = w_i − w_j`:
/// ```
/// E(w) = Σ_ij A_ji [sin Δ_ij + s₁ cos Δ_ij] + (s₂/2) Σ_{i,j,k} A_ij A_jk [cos(Δ_ji + Δ_jk) + cos(Δ_ji − Δ_jk)]
/// ```
/// Conventions: `Σ_ij` runs over all ordered pairs and `Σ_{i,j,k}` over all ordered triples, with
/// the symmetric 0/1 adjacency `A` — so the triple sum counts every walk `i – j – k` of length 2,
/// including the returning walks `k = i`. Then
/// - `Σ_ij A_ji sin Δ_ij = 0` exactly (`A` symmetric, `sin` odd), so the sine term drops out on
///   undirected graphs;
/// - `cos(a + b) + cos(a − b) = 2 cos a cos b` factorizes the triple sum through
///   `C_j = Σ_k A_jk cos(w_j − w_k)`:
/// ```
/// E(w) = 2 s₁ Σ_{(a,b)∈E} cos Δ_ab + s₂ Σ_j C_j²
/// ∇_m E = −2 Σ_j A_mj sin Δ_mj · (s₁ + s₂ (C_m + C_j))
/// (∇²E v)_m = −2 Σ_j A_mj [cos Δ_mj (v_m − v_j)(s₁ + s₂(C_m + C_j)) − s₂ sin Δ_mj (Q_m + Q_j)],
///     Q_m = Σ_k A_mk sin Δ_mk (v_m − v_k)
/// ```
/// all evaluated in `O(m)` from the edge list. `(s₁, s₂) = (−1, 0)` is the Kuramoto energy.
/// One shard, `r = 0`.
public struct HopfKuramoto<Scalar: TensorScalar>: Optimizee, Sendable {
    public let graph: Graph
    public let s1: Scalar, s2: Scalar
    /// The starting phases, shape `[n]`.
    public var initialPoint: Tensor<Scalar>
    /// Since `E = Σ_j (s₁ C_j + s₂ C_j²)` with `|C_j| ≤ deg_j`, when `s₂ ≥ 0` and
    /// `s₁ + 2 s₂ maxdeg ≤ 0` every term is smallest at `C_j = deg_j`, which synchrony reaches for all
    /// `j` at once: then `x* = 0`, `F* = Σ_j (s₁ deg_j + s₂ deg_j²)` (the ordered phase). Otherwise nil.
    public var referenceOptimum: ReferenceOptimum<Scalar>? {
        guard s2 >= 0, Double(s1) + 2 * Double(s2) * Double(graph.maxDegree) <= 0 else { return nil }
        let value = graph.degrees.reduce(0.0) { $0 + Double(s1) * Double($1) + Double(s2) * Double($1 * $1) }
        return ReferenceOptimum(x: .zeros([dimension]), value: value, kktResidual: 0, iterations: 0)
    }

    /// Validates finite `s₁, s₂`, a graph with an edge and `initialPoint` of shape `[n]`.
    public init(graph: Graph, s1: Scalar, s2: Scalar, initialPoint: Tensor<Scalar>) throws {
        guard s1.isFinite, s2.isFinite else {
            throw OptimizeeError.invalidArgument(what: "Hopf–Kuramoto (s₁, s₂)", detail: "(\(s1), \(s2)) must be finite")
        }
        try validateGraphEnergy(graph, initialPoint: initialPoint, dimension: graph.nodeCount, problem: "Hopf–Kuramoto")
        self.graph = graph
        self.s1 = s1
        self.s2 = s2
        self.initialPoint = initialPoint
    }

    @inlinable public var dimension: Int { graph.nodeCount }
    @inlinable public var shardCount: Int { 1 }
    public var shardWeights: [Scalar] { [1] }
    public var regularizer: Regularizer<Scalar> { .none }

    /// The same instance in another scalar type.
    public func cast<T: TensorScalar>(to: T.Type = T.self) -> HopfKuramoto<T> {
        try! HopfKuramoto<T>(graph: graph, s1: T(s1), s2: T(s2), initialPoint: initialPoint.cast())
    }

    /// `ρ(w) = |(1/n) Σ_j e^{i w_j}|`.
    public func orderParameter(_ x: Tensor<Scalar>) -> Double { kuramotoOrderParameter(x) }

    @inlinable
    func check(_ s: Int, _ x: Tensor<Scalar>) { checkSingleShard("HopfKuramoto", shard: s, x, dimension: dimension) }

    /// `C_j = Σ_k A_jk cos(w_j − w_k)` for every node.
    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func cosineSums(_ x: Tensor<Scalar>) -> [Scalar] {
        check(0, x)
        var C = [Scalar](repeating: 0, count: dimension)
        graph.edges.withUnsafeBufferPointer { e in
            x.scalars.withUnsafeBufferPointer { w in
                C.withUnsafeMutableBufferPointer { cp in
                    for edge in e {
                        let c = sinCos(w[edge.i] - w[edge.j]).cos
                        cp[edge.i] += c
                        cp[edge.j] += c
                    }
                }
            }
        }
        return C
    }

    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar {
        check(s, x)
        let C = cosineSums(x)
        var pairs: Scalar = 0
        for c in C { pairs += c }
        var squares: Scalar = 0
        for c in C { squares += c * c }
        // Σ_j C_j = 2 Σ_E cos Δ, so the pair term 2 s₁ Σ_E cos Δ is s₁ Σ_j C_j.
        return s1 * pairs + s2 * squares
    }

    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar> {
        check(s, x)
        let C = cosineSums(x)
        return x.scalars.withUnsafeBufferPointer { w in
            edgeAntisymmetricSum(graph, count: dimension) { i, j in -2 * sinCos(w[i] - w[j]).sin * (s1 + s2 * (C[i] + C[j])) }
        }
    }

    @inlinable
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        check(s, x)
        check(s, v)
        let n = dimension
        var C = [Scalar](repeating: 0, count: n), Q = [Scalar](repeating: 0, count: n)
        return x.scalars.withUnsafeBufferPointer { w in
            v.scalars.withUnsafeBufferPointer { vp in
                graph.edges.withUnsafeBufferPointer { e in
                    for edge in e {
                        let (sn, cs) = sinCos(w[edge.i] - w[edge.j])
                        let q = sn * (vp[edge.i] - vp[edge.j])
                        C[edge.i] += cs
                        C[edge.j] += cs
                        Q[edge.i] += q
                        Q[edge.j] += q
                    }
                }
                return edgeAntisymmetricSum(graph, count: n) { i, j in
                    let (sn, cs) = sinCos(w[i] - w[j])
                    return -2 * (cs * (vp[i] - vp[j]) * (s1 + s2 * (C[i] + C[j])) - s2 * sn * (Q[i] + Q[j]))
                }
            }
        }
    }
}
