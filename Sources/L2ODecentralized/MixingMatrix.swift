import L2OCore

/// How mixing weights are derived from a topology.
public enum MixingRule: String, CaseIterable, Sendable, Codable {
    /// Regular graphs only: `w_ij = 1/(deg + 1)` for self and each neighbour (1/3 on a ring).
    case uniform
    /// `w_ij = 1/(1 + max(deg_i, deg_j))` on edges; the diagonal takes the rest.
    case metropolisHastings = "metropolis-hastings"
    /// `w_ij = 1/(1 + d_max)` on edges; the diagonal takes the rest.
    case maxDegree = "max-degree"
    /// `W = I − L/λ_max(L)` with `L` the graph Laplacian: positive semidefinite, eigenvalues in [0, 1].
    case laplacian
}

/// A symmetric, doubly stochastic mixing matrix `W` supported on the edges of a topology and the
/// diagonal, with its gossip operator in the robust form `x_i − Σ_j w_ij (x_i − x_j)`.
public struct MixingMatrix<Scalar: TensorScalar>: Sendable {
    public let topology: Topology
    /// The rule that produced the weights (nil for a user-supplied matrix).
    public let rule: MixingRule?
    /// The dense matrix, in Double (for validation and spectral quantities).
    public let dense: Tensor<Double>
    /// Applies `W` in the robust form.
    public let gossip: GossipOperator<Scalar>

    public var nodeCount: Int { topology.nodeCount }
    public func weight(_ i: Int, _ j: Int) -> Double { dense[i, j] }

    /// Builds `W` from a topology by a rule (validated).
    public init(topology: Topology, rule: MixingRule) throws {
        let n = topology.nodeCount
        var w = Tensor<Double>.zeros([n, n])
        switch rule {
        case .uniform:
            let degrees = Set(topology.neighbors.map(\.count))
            guard degrees.count == 1, let d = degrees.first else {
                throw TopologyError.notApplicable(rule: rule.rawValue, reason: "needs a regular graph; '\(topology.name)' has degrees \(degrees.sorted())")
            }
            for e in topology.edges { w[e.i, e.j] = 1 / Double(d + 1); w[e.j, e.i] = 1 / Double(d + 1) }
        case .metropolisHastings:
            for e in topology.edges {
                let v = 1 / Double(1 + Swift.max(topology.degree(e.i), topology.degree(e.j)))
                w[e.i, e.j] = v
                w[e.j, e.i] = v
            }
        case .maxDegree:
            let v = 1 / Double(1 + topology.maxDegree)
            for e in topology.edges { w[e.i, e.j] = v; w[e.j, e.i] = v }
        case .laplacian:
            var lap = Tensor<Double>.zeros([n, n])
            for e in topology.edges {
                lap[e.i, e.j] = -1; lap[e.j, e.i] = -1
                lap[e.i, e.i] += 1; lap[e.j, e.j] += 1
            }
            let lmax = try SymmetricEigen.decompose(lap).values.last ?? 0
            if lmax > 0 { for e in topology.edges { w[e.i, e.j] = 1 / lmax; w[e.j, e.i] = 1 / lmax } }
        }
        for i in 0..<n {
            var off = 0.0
            for j in topology.neighbors[i] { off += w[i, j] }
            w[i, i] = 1 - off
        }
        try self.init(topology: topology, dense: w, rule: rule)
    }

    /// Wraps a user-supplied matrix after validating it (symmetric, rows summing to 1, nonnegative,
    /// support on edges and the diagonal).
    public init(topology: Topology, dense: Tensor<Double>, tolerance: Double = 1e-12) throws {
        try self.init(topology: topology, dense: dense, rule: nil, tolerance: tolerance)
    }

    init(topology: Topology, dense: Tensor<Double>, rule: MixingRule?, tolerance: Double = 1e-12) throws {
        let n = topology.nodeCount
        guard dense.shape == [n, n] else {
            throw TopologyError.invalidMixingMatrix(reason: "shape \(dense.shape) does not match \(n) nodes")
        }
        let onEdge = Set(topology.edges.flatMap { [[$0.i, $0.j], [$0.j, $0.i]] })
        for i in 0..<n {
            var rowSum = 0.0
            for j in 0..<n {
                let v = dense[i, j]
                guard v.isFinite else { throw TopologyError.invalidMixingMatrix(reason: "w[\(i),\(j)] = \(v) is not finite") }
                guard v >= -tolerance else { throw TopologyError.invalidMixingMatrix(reason: "w[\(i),\(j)] = \(v) is negative") }
                guard Swift.abs(v - dense[j, i]) <= tolerance else {
                    throw TopologyError.invalidMixingMatrix(reason: "not symmetric: w[\(i),\(j)] = \(v) but w[\(j),\(i)] = \(dense[j, i])")
                }
                if i != j && v != 0 && !onEdge.contains([i, j]) {
                    throw TopologyError.invalidMixingMatrix(reason: "w[\(i),\(j)] = \(v) but (\(i), \(j)) is not an edge of \(topology.name)")
                }
                rowSum += v
            }
            guard Swift.abs(rowSum - 1) <= tolerance * Double(n) else {
                throw TopologyError.invalidMixingMatrix(reason: "row \(i) sums to \(rowSum), not 1 (W must be doubly stochastic)")
            }
        }
        var triplets = [(Int, Int, Scalar)]()
        for i in 0..<n { for j in topology.neighbors[i] where dense[i, j] != 0 { triplets.append((i, j, Scalar(dense[i, j]))) } }
        self.topology = topology
        self.rule = rule
        self.dense = dense
        self.gossip = GossipOperator(weights: SparseMatrix(rows: n, cols: n, triplets: triplets))
    }

    /// Eigenvalues of `W`, ascending.
    public func eigenvalues() throws -> [Double] { try SymmetricEigen.decompose(dense).values }

    /// `1 − max(|λ₂|, |λ_n|)`: positive exactly when gossip converges to the average.
    public func spectralGap() throws -> Double {
        let ev = try eigenvalues()
        guard ev.count > 1 else { return 1 }
        let second = Swift.max(Swift.abs(ev[ev.count - 2]), Swift.abs(ev[0]))
        return 1 - second
    }

    /// `W̄ = (I + W)/2`, used by Exact Diffusion / Prox-ED.
    public func halfLazy() throws -> MixingMatrix {
        try MixingMatrix(topology: topology, dense: (dense + Tensor<Double>.eye(nodeCount)) * 0.5, rule: nil)
    }
}
