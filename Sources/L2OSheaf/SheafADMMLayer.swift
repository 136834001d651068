import Foundation
import L2OCore
import L2ONN

/// Settings of a Sheaf-ADMM layer (stored as a checkpoint's config).
public struct SheafADMMConfig: Codable, Equatable, Sendable {
    /// How the consensus (z) step is taken.
    public enum Consensus: String, Codable, Sendable, CaseIterable {
        /// `(γL + P) z = P v` (P = diag ρ) by unrolled conjugate gradient from `z = v`.
        case soft
        /// `z = v − w`, `(L + εI) w = L v` by unrolled conjugate gradient warm-started from the
        /// previous `w`: an approximate projection onto the global sections (ker δ).
        case hard
        /// `(γL + P) z = P v` by gradient descent with Nesterov momentum (sheaf diffusion) from
        /// `z = v`, step `1/(γ·λ̂ + max ρ)` with `λ̂ ≥ λ_max(L)` (twice the largest sum, over an
        /// agent's edges, of the squared Frobenius norms of both ends' maps).
        case nesterov
    }

    public var vertexStalk: Int
    public var edgeStalk: Int
    public var sharing: MapSharing = .perSlot
    public var consensus: Consensus = .soft
    /// Inner steps of the z-solver per ADMM iteration.
    public var innerSteps: Int = 5
    /// Initial ρ (learned through softplus).
    public var rho: Double = 1
    /// Initial consensus weight γ of the soft consensus (learned through softplus).
    public var gamma: Double = 1
    /// Over-relaxation α (1: none).
    public var overRelaxation: Double = 1
    /// ε of the hard-consensus solve.
    public var hardEpsilon: Double = 1e-3
    /// Residual balancing (Boyd et al. §3.4.1): ρ is multiplied (divided) by `balancingFactor`
    /// when the primal residual exceeds `balancingRatio` times the dual (or the reverse).
    public var residualBalancing: Bool = false
    public var balancingRatio: Double = 10
    public var balancingFactor: Double = 2

    public init(vertexStalk: Int, edgeStalk: Int) {
        self.vertexStalk = vertexStalk
        self.edgeStalk = edgeStalk
    }

    /// Throws `SheafError.invalidConfiguration` naming the first bad setting.
    public func validate() throws {
        func bad(_ m: String) -> SheafError { .invalidConfiguration(m) }
        guard vertexStalk > 0, edgeStalk > 0 else { throw bad("stalk dimensions must be positive, got d_v = \(vertexStalk), d_e = \(edgeStalk)") }
        guard edgeStalk <= vertexStalk else { throw bad("d_e = \(edgeStalk) > d_v = \(vertexStalk): orthonormal restriction maps need d_e ≤ d_v") }
        guard innerSteps >= 1 else { throw bad("innerSteps must be at least 1, got \(innerSteps)") }
        guard rho > 0, rho.isFinite else { throw bad("rho must be positive, got \(rho)") }
        guard gamma > 0, gamma.isFinite else { throw bad("gamma must be positive, got \(gamma)") }
        guard overRelaxation > 0, overRelaxation < 2 else { throw bad("overRelaxation must be in (0, 2), got \(overRelaxation)") }
        guard hardEpsilon > 0, hardEpsilon.isFinite else { throw bad("hardEpsilon must be positive, got \(hardEpsilon)") }
        guard balancingRatio > 1, balancingFactor > 1, balancingRatio.isFinite, balancingFactor.isFinite else {
            throw bad("residual balancing needs finite ratio > 1 and factor > 1, got \(balancingRatio), \(balancingFactor)")
        }
    }
}

/// Each agent's local objective, `f_i(x) = ½ xᵀ diag(D_i) x + q_iᵀ x + λ‖x‖₁ + ι_[lo, hi](x)`,
/// as produced by an encoder: `D`, `q [B, A, d_v]` (D > 0), optional `λ` (broadcast to
/// `[B, A, d_v]`, ≥ 0), optional box, optional per-agent ρ `[B, A, 1]` (> 0) in place of the
/// layer's learned global ρ.
public struct LocalObjective<Scalar: TensorScalar> {
    public var curvature: Variable<Scalar>
    public var linear: Variable<Scalar>
    public var l1: Variable<Scalar>?
    public var lower: Scalar?
    public var upper: Scalar?
    public var rho: Variable<Scalar>?
    /// Linear equality constraints per agent (an equality-constrained QP; no ℓ1 or box with them).
    public var equality: EqualityConstraints<Scalar>?
    public init(curvature: Variable<Scalar>, linear: Variable<Scalar>, l1: Variable<Scalar>? = nil,
                lower: Scalar? = nil, upper: Scalar? = nil, rho: Variable<Scalar>? = nil, equality: EqualityConstraints<Scalar>? = nil) {
        self.curvature = curvature
        self.linear = linear
        self.l1 = l1
        self.lower = lower
        self.upper = upper
        self.rho = rho
        self.equality = equality
    }

    /// The x-update, `argmin_x f(x) + (ρ/2)‖x − v‖²` in closed form:
    /// `clip(soft((ρ v − q)/a, λ/a), lo, hi)` with `a = D + ρ`, or the equality-constrained QP's
    /// KKT solution (`EqualityConstraints.prox`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prox(_ v: Variable<Scalar>, rho: Variable<Scalar>) throws -> Variable<Scalar> {
        if let equality { return try equality.prox(v, curvature: curvature, linear: linear, rho: rho) }
        let a = curvature + rho
        var x = (rho * v - linear) / a
        if let l1 { x = softThreshold(x, l1 / a) }
        if lower != nil || upper != nil {
            x = clamp(x, min: lower ?? -Scalar.greatestFiniteMagnitude, max: upper ?? Scalar.greatestFiniteMagnitude)
        }
        return x
    }
}

/// Per-iteration diagnostics: per agent, the primal residual `‖x − z‖` and the dual residual
/// `ρ‖z − z_prev‖` (`[B, A]`), and the mean ρ used.
public struct SheafADMMDiagnostics<Scalar: TensorScalar> {
    public var primal: [Tensor<Scalar>] = []
    public var dual: [Tensor<Scalar>] = []
    public var rho: [Double] = []
}

/// What a Sheaf-ADMM layer returns: every iterate `x^k` (k = 1…K), the last `z` and dual `y`,
/// and the diagnostics.
public struct SheafADMMOutput<Scalar: TensorScalar> {
    public var iterates: [Variable<Scalar>]
    public var consensus: Variable<Scalar>
    public var dual: Variable<Scalar>
    public var diagnostics: SheafADMMDiagnostics<Scalar>
}

/// Sheaf-ADMM as a layer: K iterations of ADMM for
/// `min Σ_i f_i(x_i)` subject to sheaf consensus (soft: `+ (γ/2) zᵀ L z`; hard: `δz = 0`), with
/// learned restriction maps, ρ and γ, differentiable end to end (through every inner solver
/// step). Iteration (scaled dual y; `x⁰ = z⁰ =` the initial embedding, `y⁰ = 0`):
/// `x = prox_f(z − y)`, `x_r = αx + (1 − α)z`, `z = consensus(x_r + y)`, `y = y + x_r − z`.
public final class SheafADMMLayer<Scalar: TensorScalar>: Module {
    public let config: SheafADMMConfig
    public let maps: RestrictionMaps<Scalar>
    /// softplus⁻¹ of ρ and γ.
    public let rhoRaw: Parameter<Scalar>
    public let gammaRaw: Parameter<Scalar>
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [("rho", rhoRaw), ("gamma", gammaRaw)] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [("maps", maps)] }

    /// `slotCount`: base map slots (8 for grid directions, the group size for groups).
    public init(config: SheafADMMConfig, slotCount: Int, rng: inout RandomState) throws {
        try config.validate()
        self.config = config
        maps = try RestrictionMaps(vertexStalk: config.vertexStalk, edgeStalk: config.edgeStalk, sharing: config.sharing,
                                   slotCount: slotCount, rng: &rng)
        func inverseSoftplus(_ v: Double) -> Scalar { Scalar(v > 30 ? v : Foundation.log(Foundation.expm1(v))) }
        rhoRaw = Parameter(Tensor([inverseSoftplus(config.rho)]))
        gammaRaw = Parameter(Tensor([inverseSoftplus(config.gamma)]))
    }

    /// Runs `iterations` ADMM iterations on `graph` from `initial [B, A, d_v]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ objective: LocalObjective<Scalar>, initial: Variable<Scalar>, graph: SheafGraph, iterations: Int,
                               lowRank: (a: Variable<Scalar>, b: Variable<Scalar>)? = nil,
                               context: ForwardContext<Scalar>? = nil) throws -> SheafADMMOutput<Scalar> {
        let dv = config.vertexStalk, A = graph.agentCount
        guard initial.shape.count == 3, initial.shape[1] == A, initial.shape[2] == dv else {
            throw SheafError.shapeMismatch(operation: "SheafADMMLayer initial state", expected: "[*, \(A), \(dv)]", actual: initial.shape)
        }
        let B = initial.shape[0]
        for (name, v) in [("curvature", objective.curvature), ("linear", objective.linear)] where v.shape != initial.shape {
            throw SheafError.shapeMismatch(operation: "SheafADMMLayer \(name) term", expected: "\(initial.shape)", actual: v.shape)
        }
        if let r = objective.rho, r.shape != [B, A, 1] {
            throw SheafError.shapeMismatch(operation: "SheafADMMLayer per-agent rho", expected: "[\(B), \(A), 1]", actual: r.shape)
        }
        guard iterations >= 1 else { throw SheafError.invalidConfiguration("iterations must be at least 1, got \(iterations)") }
        for (name, v) in [("initial state", initial), ("curvature", objective.curvature), ("linear term", objective.linear)]
        where !v.value.isFinite {
            throw SheafError.nonFinite("the \(name) has non-finite values")
        }
        if objective.curvature.value.min() <= 0 { throw SheafError.invalidConfiguration("the curvature D must be positive") }
        if let l1 = objective.l1, !(l1.value.isFinite && l1.value.min() >= 0) {
            throw SheafError.invalidConfiguration("the ℓ1 weight λ must be finite and ≥ 0")
        }
        if let lo = objective.lower, let hi = objective.upper, !(lo <= hi) {
            throw SheafError.invalidConfiguration("the box needs lower ≤ upper, got [\(lo), \(hi)]")
        }
        if objective.equality != nil, objective.l1 != nil || objective.lower != nil || objective.upper != nil {
            throw SheafError.invalidConfiguration("the equality-constrained QP x-update takes no ℓ1 term or box")
        }
        if let r = objective.rho, !(r.value.isFinite && r.value.min() > 0) {
            throw SheafError.invalidConfiguration("a per-agent ρ must be finite and positive")
        }
        let ctx = context ?? .default(for: initial)
        let F = try maps.maps(for: graph, lowRank: lowRank, context: ctx)
        let rho = objective.rho ?? softplus(ctx.variable(rhoRaw)).reshaped([1, 1, 1])
        let gamma = softplus(ctx.variable(gammaRaw)).reshaped([1, 1, 1])
        let alpha = Scalar(config.overRelaxation)
        // A bound on L's largest eigenvalue (for the Nesterov step; differentiable in the maps).
        let lambdaBound = config.consensus == .nesterov ? Self.laplacianBound(F, graph: graph) : nil
        var x = initial, z = initial, y = initial * 0
        var w: Variable<Scalar>? = nil  // the hard consensus's warm start
        var scale = Tensor<Scalar>.ones([B, 1, 1])  // residual balancing's factor per problem
        var out = [Variable<Scalar>]()
        var diagnostics = SheafADMMDiagnostics<Scalar>()
        for _ in 0..<iterations {
            let rhoK = config.residualBalancing ? rho * scale : rho
            x = try objective.prox(z - y, rho: rhoK)
            let xr = alpha == 1 ? x : x * alpha + z * (1 - alpha)
            let v = xr + y
            let zPrev = z
            switch config.consensus {
            case .soft:
                z = try conjugateGradient(rhs: v * rhoK, start: v, steps: config.innerSteps) { p in
                    try sheafLaplacian(p, maps: F, graph: graph) * gamma + p * rhoK
                }
            case .hard:
                let Lv = try sheafLaplacian(v, maps: F, graph: graph)
                let eps = Scalar(config.hardEpsilon)
                let s = try conjugateGradient(rhs: Lv, start: w ?? v * 0, steps: config.innerSteps) { p in
                    try sheafLaplacian(p, maps: F, graph: graph) + p * eps
                }
                w = s
                z = v - s
            case .nesterov:
                z = try nesterov(target: v, rho: rhoK, gamma: gamma, lambdaBound: lambdaBound!, steps: config.innerSteps) { p in
                    try sheafLaplacian(p, maps: F, graph: graph)
                }
            }
            y = y + xr - z
            out.append(x)
            // Diagnostics on values.
            let primal = Self.agentNorms(x.value - z.value)
            let dual = Self.agentNorms(z.value - zPrev.value) * Self.broadcastRho(rhoK.value, B: B, A: A)
            diagnostics.primal.append(primal)
            diagnostics.dual.append(dual)
            diagnostics.rho.append(Double(rhoK.value.mean()))
            if config.residualBalancing {
                let mu = Scalar(config.balancingRatio), tau = Scalar(config.balancingFactor)
                let p = primal.sum(axis: 1).scalars, d = dual.sum(axis: 1).scalars
                var factor = [Scalar](repeating: 1, count: B)
                // ρ stays within [1e-6, 1e6] times its learned value.
                let current = scale.scalars
                for b in 0..<B {
                    if p[b] > mu * d[b], current[b] * tau <= 1e6 { factor[b] = tau } else if d[b] > mu * p[b], current[b] / tau >= 1e-6 { factor[b] = 1 / tau }
                }
                let f = Tensor<Scalar>(shape: [B, 1, 1], scalars: factor)
                scale = scale * f
                y = y / f  // the scaled dual u = y_unscaled/ρ follows ρ
            }
        }
        return SheafADMMOutput(iterates: out, consensus: z, dual: y, diagnostics: diagnostics)
    }

    /// Per-problem inner product `Σ_{a,j} p q` as `[B, 1, 1]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func batchDot(_ p: Variable<Scalar>, _ q: Variable<Scalar>) -> Variable<Scalar> {
        let B = p.shape[0], n = p.value.count / Swift.max(1, B)
        let pv = p.value, qv = q.value
        let value = Tensor<Scalar>(shape: [B, 1, 1]) { out in
            pv.withUnsafeBufferPointer { a in qv.withUnsafeBufferPointer { b in
                for k in 0..<B {
                    var s: Scalar = 0
                    for j in (k * n)..<((k + 1) * n) { s += a[j] * b[j] }
                    out[k] = s
                }
            } }
        }
        let need = [p.isRecorded, q.isRecorded], shape = p.shape
        // ∂/∂p = g_b·q, ∂/∂q = g_b·p per problem b.
        return Variable.record(value, inputs: [p, q]) { g in
            func scaled(_ t: Tensor<Scalar>) -> Tensor<Scalar> {
                Tensor(shape: shape) { out in
                    t.withUnsafeBufferPointer { a in g.withUnsafeBufferPointer { gp in
                        for k in 0..<B { let c = gp[k]; for j in (k * n)..<((k + 1) * n) { out[j] = c * a[j] } }
                    } }
                }
            }
            return [need[0] ? scaled(qv) : nil, need[1] ? scaled(pv) : nil]
        }
    }

    /// `steps` unrolled conjugate-gradient steps on `op(z) = rhs` (op symmetric positive
    /// definite per problem) from `start`; differentiable through every step. A problem whose
    /// residual is exactly zero stays where it is (the step lengths' denominators are guarded).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func conjugateGradient(rhs: Variable<Scalar>, start: Variable<Scalar>, steps: Int,
                           _ op: (Variable<Scalar>) throws -> Variable<Scalar>) throws -> Variable<Scalar> {
        let tiny = Scalar.leastNormalMagnitude
        var z = start
        var r = rhs - (try op(z))
        var p = r
        var rs = Self.batchDot(r, r)
        for _ in 0..<steps {
            let Ap = try op(p)
            let a = rs / (Self.batchDot(p, Ap) + tiny)
            z = z + a * p
            r = r - a * Ap
            let rsNew = Self.batchDot(r, r)
            p = r + (rsNew / (rs + tiny)) * p
            rs = rsNew
        }
        return z
    }

    /// `steps` Nesterov-accelerated gradient steps on `(γ/2) zᵀLz + ½‖z − v‖²_P` from `z = v`.
    /// The step is `1/(γ·λ̂ + max ρ)`, a function of the parameters (so gradients see it).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func nesterov(target v: Variable<Scalar>, rho: Variable<Scalar>, gamma: Variable<Scalar>, lambdaBound: Variable<Scalar>, steps: Int,
                  _ laplacian: (Variable<Scalar>) throws -> Variable<Scalar>) throws -> Variable<Scalar> {
        let maxRho = rho.reshaped([1, -1]).max(axis: 1).reshaped([1, 1, 1])
        let eta = 1 / (gamma * lambdaBound + maxRho)
        var z = v, previous = v
        var t = 1.0
        for _ in 0..<steps {
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            let momentum = Scalar((t - 1) / tNext)
            let u = z + (z - previous) * momentum
            let grad = try laplacian(u) * gamma + (u - v) * rho
            previous = z
            z = u - grad * eta
            t = tNext
        }
        return z
    }

    /// `λ_max(L) ≤ max over agents of 2·Σ_{edges at the agent} (‖F_{u⊴e}‖_F² + ‖F_{v⊴e}‖_F²)`
    /// (Gershgorin on the blocks of `L = δᵀδ`, with ‖F‖₂ ≤ ‖F‖_F), over the maps of every
    /// problem, as `[1, 1, 1]`; differentiable in the maps.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func laplacianBound(_ maps: Variable<Scalar>, graph: SheafGraph) -> Variable<Scalar> {
        let M = maps.shape[0], E = graph.edgeCount, A = graph.agentCount
        guard E > 0 else { return Variable(constant: Tensor<Scalar>(shape: [1, 1, 1], scalars: [Scalar.leastNormalMagnitude])) }
        let perEdge = (maps * maps).reshaped([M, E, -1]).sum(axis: 2).transposed()  // [E, M]
        let load = Variable.concat([perEdge, perEdge], axis: 0)
            .scatterAddRows(graph.edges.map(\.u) + graph.edges.map(\.v), rowCount: A)  // [A, M]
        return (load.reshaped([1, A * M]).max(axis: 1) * 2).reshaped([1, 1, 1])
    }

    /// `‖v_{b,a,·}‖` as `[B, A]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func agentNorms(_ v: Tensor<Scalar>) -> Tensor<Scalar> {
        let B = v.shape[0], A = v.shape[1], d = v.shape[2]
        return Tensor(shape: [B, A]) { out in
            v.withUnsafeBufferPointer { p in
                for k in 0..<(B * A) {
                    var s: Scalar = 0
                    for j in 0..<d { s += p[k * d + j] * p[k * d + j] }
                    out[k] = s.squareRoot()
                }
            }
        }
    }

    /// ρ (`[1, 1, 1]`, `[B, 1, 1]` or `[B, A, 1]`) as `[B, A]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func broadcastRho(_ rho: Tensor<Scalar>, B: Int, A: Int) -> Tensor<Scalar> {
        Tensor(shape: [B, A]) { out in
            rho.withUnsafeBufferPointer { p in
                for b in 0..<B { for a in 0..<A {
                    let bi = rho.shape[0] == 1 ? 0 : b, ai = rho.shape[1] == 1 ? 0 : a
                    out[b * A + a] = p[bi * rho.shape[1] + ai]
                } }
            }
        }
    }
}
