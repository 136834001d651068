import L2OCore

/// The coboundary of a sheaf and its adjoint as fused operations with hand-written backward
/// passes. Shapes: vertex values `z [B, A, d_v]` (B problems, A agents), restriction maps
/// `maps [M, E, 2, d_e, d_v]` with M = 1 (shared by the batch) or B (`maps[·, e, 0]` is
/// `F_{u⊴e}`, `maps[·, e, 1]` is `F_{v⊴e}`), edge values `r [B, E, d_e]`.
///
/// - coboundary: `(δz)_e = F_{u⊴e} z_u − F_{v⊴e} z_v`
/// - adjoint: `(δᵀr)_u = Σ_{e ∋ u as u} F_{u⊴e}ᵀ r_e − Σ_{e ∋ u as v} F_{v⊴e}ᵀ r_e`
///
/// so that the sheaf Laplacian is `L = δᵀδ` (`sheafLaplacian`).
public enum SheafKernels {
    /// `δz` on plain tensors (shapes as above; checked by the callers).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func coboundary<S: TensorScalar>(_ z: Tensor<S>, maps: Tensor<S>, graph: SheafGraph) -> Tensor<S> {
        let B = z.shape[0], A = z.shape[1], dv = z.shape[2], M = maps.shape[0], E = graph.edgeCount, de = maps.shape[3]
        return Tensor<S>(shape: [B, E, de]) { out in
            z.withUnsafeBufferPointer { zp in
                maps.withUnsafeBufferPointer { fp in
                    let Z = zp.baseAddress!, F = fp.baseAddress!, O = out.baseAddress!
                    graph.ends.withUnsafeBufferPointer { ends in
                    Parallel.forEachChunk(B * E, minimumPerChunk: Swift.max(1, 4096 / Swift.max(1, de * dv))) { range in
                        for be in range {
                            let b = be / E, e = be % E
                            let fu = F + ((M == 1 ? 0 : b) * E + e) * 2 * de * dv, fv = fu + de * dv
                            let zu = Z + (b * A + ends[2 * e]) * dv, zv = Z + (b * A + ends[2 * e + 1]) * dv
                            let o = O + be * de
                            // Rows of F four at a time: four independent sums in registers, each
                            // over j in order (the same order for every edge).
                            var i = 0
                            while i + 4 <= de {
                                let u0 = fu + i * dv, u1 = u0 + dv, u2 = u1 + dv, u3 = u2 + dv
                                let v0 = fv + i * dv, v1 = v0 + dv, v2 = v1 + dv, v3 = v2 + dv
                                var s0: S = 0, s1: S = 0, s2: S = 0, s3: S = 0
                                for j in 0..<dv {
                                    let a = zu[j], c = zv[j]
                                    s0 += u0[j] * a - v0[j] * c
                                    s1 += u1[j] * a - v1[j] * c
                                    s2 += u2[j] * a - v2[j] * c
                                    s3 += u3[j] * a - v3[j] * c
                                }
                                o[i] = s0; o[i + 1] = s1; o[i + 2] = s2; o[i + 3] = s3
                                i += 4
                            }
                            while i < de {
                                let u0 = fu + i * dv, v0 = fv + i * dv
                                var s0: S = 0
                                for j in 0..<dv { s0 += u0[j] * zu[j] - v0[j] * zv[j] }
                                o[i] = s0
                                i += 1
                            }
                        }
                    }
                    }
                }
            }
        }
    }

    /// `δᵀr` on plain tensors: `[B, A, d_v]`. Per problem, edges and their rows are visited in
    /// order, so the sums do not depend on how problems are split across cores.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func coboundaryAdjoint<S: TensorScalar>(_ r: Tensor<S>, maps: Tensor<S>, graph: SheafGraph) -> Tensor<S> {
        let B = r.shape[0], E = graph.edgeCount, de = r.shape[2], M = maps.shape[0], dv = maps.shape[4], A = graph.agentCount
        var out = Tensor<S>.zeros([B, A, dv])
        out.withUnsafeMutableBufferPointer { op in
            r.withUnsafeBufferPointer { rp in
                maps.withUnsafeBufferPointer { fp in
                    let R = rp.baseAddress!, F = fp.baseAddress!, O = op.baseAddress!
                    graph.ends.withUnsafeBufferPointer { ends in
                    Parallel.forEachChunk(B, minimumPerChunk: Swift.max(1, 4096 / Swift.max(1, E * de * dv))) { range in
                        for b in range {
                            for e in 0..<E {
                                let fu = F + ((M == 1 ? 0 : b) * E + e) * 2 * de * dv, fv = fu + de * dv
                                let re = R + (b * E + e) * de
                                let ou = O + (b * A + ends[2 * e]) * dv, ov = O + (b * A + ends[2 * e + 1]) * dv
                                // Row by row of F: contiguous in j, so the inner loops vectorize.
                                for i in 0..<de {
                                    let g = re[i], ru = fu + i * dv, rv = fv + i * dv
                                    for j in 0..<dv { ou[j] += ru[j] * g }
                                    for j in 0..<dv { ov[j] -= rv[j] * g }
                                }
                            }
                        }
                    }
                    }
                }
            }
        }
        return out
    }

    /// `∂⟨g, δz⟩/∂maps` for edge values `g [B, E, d_e]`: per edge, `g_e z_uᵀ` on the u side and
    /// `−g_e z_vᵀ` on the v side, summed over the batch when the maps are shared (M = 1).
    /// The same formula with `(g, z)` read as `(r, gradient of δᵀr)` is the adjoint's map gradient.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func mapGradient<S: TensorScalar>(edgeValues g: Tensor<S>, vertexValues z: Tensor<S>, mapsShape: [Int],
                                                    graph: SheafGraph) -> Tensor<S> {
        let B = z.shape[0], A = z.shape[1], dv = z.shape[2], M = mapsShape[0], E = graph.edgeCount, de = mapsShape[3]
        var out = Tensor<S>.zeros(mapsShape)
        out.withUnsafeMutableBufferPointer { op in
            g.withUnsafeBufferPointer { gp in
                z.withUnsafeBufferPointer { zp in
                    let G = gp.baseAddress!, Z = zp.baseAddress!, O = op.baseAddress!
                    graph.ends.withUnsafeBufferPointer { ends in
                    // Split over edges (each output block is written by one worker), batch inside.
                    Parallel.forEachChunk(M * E, minimumPerChunk: Swift.max(1, 4096 / Swift.max(1, B / M * de * dv))) { range in
                        for me in range {
                            let m = me / E, e = me % E
                            let ou = O + me * 2 * de * dv, ov = ou + de * dv
                            for b in (M == 1 ? 0..<B : m..<(m + 1)) {
                                let ge = G + (b * E + e) * de
                                let zu = Z + (b * A + ends[2 * e]) * dv, zv = Z + (b * A + ends[2 * e + 1]) * dv
                                for i in 0..<de {
                                    let gi = ge[i], ru = ou + i * dv, rv = ov + i * dv
                                    for j in 0..<dv { ru[j] += gi * zu[j]; rv[j] -= gi * zv[j] }
                                }
                            }
                        }
                    }
                    }
                }
            }
        }
        return out
    }

    /// Checks `z [B, A, d_v]` and `maps [M, E, 2, d_e, d_v]` (M = 1 or B) against `graph`.
    static func check(vertex z: [Int], maps: [Int], graph: SheafGraph, _ op: String) throws {
        guard z.count == 3, z[1] == graph.agentCount else {
            throw SheafError.shapeMismatch(operation: op, expected: "[*, \(graph.agentCount), *] vertex values", actual: z)
        }
        guard maps.count == 5, maps[0] == 1 || maps[0] == z[0], maps[1] == graph.edgeCount, maps[2] == 2, maps[4] == z[2] else {
            throw SheafError.shapeMismatch(operation: op, expected: "[1 or \(z[0]), \(graph.edgeCount), 2, *, \(z[2])] restriction maps", actual: maps)
        }
    }
}

/// `δz`, differentiable in the vertex values and in the restriction maps.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sheafCoboundary<S>(_ z: Variable<S>, maps: Variable<S>, graph: SheafGraph) throws -> Variable<S> {
    try SheafKernels.check(vertex: z.shape, maps: maps.shape, graph: graph, "sheafCoboundary")
    let zv = z.value, fv = maps.value, mapsShape = maps.shape
    let need = [z.isRecorded, maps.isRecorded]
    return Variable.record(SheafKernels.coboundary(zv, maps: fv, graph: graph), inputs: [z, maps]) { g in
        [need[0] ? SheafKernels.coboundaryAdjoint(g, maps: fv, graph: graph) : nil,
         need[1] ? SheafKernels.mapGradient(edgeValues: g, vertexValues: zv, mapsShape: mapsShape, graph: graph) : nil]
    }
}

/// `δᵀr`, differentiable in the edge values and in the restriction maps.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sheafCoboundaryAdjoint<S>(_ r: Variable<S>, maps: Variable<S>, graph: SheafGraph) throws -> Variable<S> {
    let B = r.shape.first ?? 0
    guard r.shape.count == 3, r.shape[1] == graph.edgeCount, maps.shape.count == 5, r.shape[2] == maps.shape[3] else {
        throw SheafError.shapeMismatch(operation: "sheafCoboundaryAdjoint", expected: "[*, \(graph.edgeCount), d_e] edge values for maps \(maps.shape)", actual: r.shape)
    }
    try SheafKernels.check(vertex: [B, graph.agentCount, maps.shape[4]], maps: maps.shape, graph: graph, "sheafCoboundaryAdjoint")
    let rv = r.value, fv = maps.value, mapsShape = maps.shape
    let need = [r.isRecorded, maps.isRecorded]
    return Variable.record(SheafKernels.coboundaryAdjoint(rv, maps: fv, graph: graph), inputs: [r, maps]) { g in
        [need[0] ? SheafKernels.coboundary(g, maps: fv, graph: graph) : nil,
         need[1] ? SheafKernels.mapGradient(edgeValues: rv, vertexValues: g, mapsShape: mapsShape, graph: graph) : nil]
    }
}

/// The sheaf Laplacian `L z = δᵀ δ z`, differentiable in `z` and the maps.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sheafLaplacian<S>(_ z: Variable<S>, maps: Variable<S>, graph: SheafGraph) throws -> Variable<S> {
    try sheafCoboundaryAdjoint(try sheafCoboundary(z, maps: maps, graph: graph), maps: maps, graph: graph)
}
