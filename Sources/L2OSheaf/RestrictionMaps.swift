import L2OCore
import L2ONN

/// Which edge ends share a learned base restriction map.
public enum MapSharing: String, Sendable, Codable, CaseIterable {
    /// One map for every edge end.
    case global
    /// One map per slot of the graph (edge direction on a grid, cell position in a group).
    case perSlot = "per-slot"
}

/// Learned base restriction maps `R ∈ R^{d_e×d_v}`: one shared by every edge end (`global`) or
/// one per slot of the graph (`perSlot`: per edge direction on a grid, per cell position in a
/// constraint group). Initialized with orthonormal rows (so `d_e ≤ d_v`). An optional low-rank
/// update per agent, `F = R + (1/r)·A Bᵀ` with `A [d_e, r]` and `B [d_v, r]` produced by an
/// encoder, makes the maps depend on the input.
public final class RestrictionMaps<Scalar: TensorScalar>: Module {
    public let sharing: MapSharing
    public let slotCount: Int
    public let vertexStalk: Int
    public let edgeStalk: Int
    /// `[slots, d_e, d_v]`.
    public let base: Parameter<Scalar>
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [("base", base)] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }

    /// `slotCount` is the graph's (ignored for `global`).
    public init(vertexStalk dv: Int, edgeStalk de: Int, sharing: MapSharing, slotCount: Int, rng: inout RandomState) throws {
        guard dv > 0, de > 0 else { throw SheafError.invalidConfiguration("stalk dimensions must be positive, got d_v = \(dv), d_e = \(de)") }
        guard de <= dv else {
            throw SheafError.invalidConfiguration("d_e = \(de) > d_v = \(dv): restriction maps with orthonormal rows need d_e ≤ d_v")
        }
        guard slotCount > 0 else { throw SheafError.invalidConfiguration("slotCount must be positive, got \(slotCount)") }
        self.sharing = sharing
        self.slotCount = sharing == .global ? 1 : slotCount
        vertexStalk = dv
        edgeStalk = de
        var values = [Scalar]()
        for _ in 0..<self.slotCount { values += Self.orthonormalRows(de, dv, rng: &rng) }
        base = Parameter(Tensor(shape: [self.slotCount, de, dv], scalars: values))
    }

    /// A `rows × cols` matrix (rows ≤ cols) with orthonormal rows: Gram–Schmidt (twice, for
    /// orthogonality to rounding) on Gaussian rows.
    static func orthonormalRows(_ rows: Int, _ cols: Int, rng: inout RandomState) -> [Scalar] {
        var m = [[Double]]()
        while m.count < rows {
            var v = (0..<cols).map { _ in rng.normal() }
            for _ in 0..<2 {
                for q in m {
                    let d = zip(v, q).reduce(0) { $0 + $1.0 * $1.1 }
                    for j in 0..<cols { v[j] -= d * q[j] }
                }
            }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if n > 1e-6 { m.append(v.map { $0 / n }) }
        }
        return m.flatMap { $0.map { Scalar($0) } }
    }

    /// The maps of every edge end of `graph`, `[M, E, 2, d_e, d_v]`: the base maps (M = 1) or,
    /// with a low-rank update (`a [B, A, d_e, r]`, `b [B, A, d_v, r]`), base + `(1/r)·A_u B_uᵀ`
    /// for each end's agent u (M = B).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func maps(for graph: SheafGraph, lowRank: (a: Variable<Scalar>, b: Variable<Scalar>)? = nil,
                     context: ForwardContext<Scalar>) throws -> Variable<Scalar> {
        if sharing == .perSlot, graph.slotCount > slotCount {
            throw SheafError.invalidConfiguration("the graph uses \(graph.slotCount) map slots, the maps have \(slotCount)")
        }
        let de = edgeStalk, dv = vertexStalk, E = graph.edgeCount
        let index = graph.edges.flatMap { sharing == .global ? [0, 0] : [$0.uSlot, $0.vSlot] }
        let flat = context.variable(base).reshaped([slotCount, de * dv])
        let perEnd = (E == 0 ? flat.rows(0..<0) : flat.gatherRows(index)).reshaped([1, E, 2, de, dv])
        guard let (a, b) = lowRank else { return perEnd }
        let B = a.shape.first ?? 0, A = graph.agentCount
        guard a.shape.count == 4, a.shape[0] == B, a.shape[1] == A, a.shape[2] == de, b.shape.count == 4,
              b.shape[0] == B, b.shape[1] == A, b.shape[2] == dv, b.shape[3] == a.shape[3], a.shape[3] > 0 else {
            throw SheafError.shapeMismatch(operation: "RestrictionMaps low-rank update", expected: "a [B, \(A), \(de), r], b [B, \(A), \(dv), r]",
                                           actual: a.shape + b.shape)
        }
        let r = a.shape[3]
        // (1/r)·A Bᵀ per agent: [B·A, d_e, d_v].
        let update = matmul(a.reshaped([B * A, de, r]), b.reshaped([B * A, dv, r]), transposeB: true) * (1 / Scalar(r))
        let ends = (0..<B).flatMap { p in graph.edges.flatMap { [p * A + $0.u, p * A + $0.v] } }
        let updates = (E == 0 ? update.reshaped([B * A, de * dv]).rows(0..<0) : update.reshaped([B * A, de * dv]).gatherRows(ends))
        return perEnd + updates.reshaped([B, E, 2, de, dv])
    }
}
