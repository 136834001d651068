import L2OCore

/// Decentralized linearized ADMM (DLM, Ling–Shi–Wu–Ribeiro 2015) for
/// `min Σ_i (f_i(x_i) + r(x_i))` subject to `x_i = x_j` on every edge:
/// ```
/// a_i   = 2c·deg_i + ρ
/// x_i⁺  = prox_{r/a_i}( [c Σ_{j∈N_i}(x_i + x_j) + ρ x_i − ∇f_i(x_i) − α_i] / a_i )
/// α_i⁺  = α_i + c Σ_{j∈N_i} (x_i⁺ − x_j⁺)
/// ```
/// with x⁰ = α⁰ = 0. The step size γ sets the linearization weight `ρ = 1/γ`; the penalty is
/// `c = penaltyRatio/γ` (default ratio `1/(4·d_max)`, which keeps `a_i ≤ 1.5/γ`). It uses the
/// graph's edges with unit weights, not the mixing matrix.
public struct DecentralizedADMM<Scalar: TensorScalar>: DecentralizedMethod {
    public var stepSize: Scalar
    /// `c·γ`; nil means `1/(4·d_max)` of the topology at hand.
    public var penaltyRatio: Scalar?
    public var name: String { "admm" }

    public init(stepSize: Scalar, penaltyRatio: Scalar? = nil) {
        self.stepSize = stepSize
        self.penaltyRatio = penaltyRatio
    }

    public struct State {
        public var x, alpha: Tensor<Scalar>
        public var iteration = 0
    }

    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State {
        let z = Tensor<Scalar>.zeros([p.nodeCount, p.dimension])
        return State(x: z, alpha: z)
    }

    func penalty(_ t: Topology) -> Scalar {
        (penaltyRatio ?? 1 / Scalar(4 * Swift.max(1, t.maxDegree))) / stepSize
    }

    /// `Σ_{j∈N_i} (x_i − x_j)` with unit weights.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func unitLaplacian(_ x: Tensor<Scalar>, _ t: Topology) -> Tensor<Scalar> {
        let n = t.nodeCount, d = x.shape[1]
        return Tensor(shape: x.shape) { out in
            x.scalars.withUnsafeBufferPointer { xp in
                for i in 0..<n {
                    for q in 0..<d { out[i * d + q] = 0 }
                    for j in t.neighbors[i] { for q in 0..<d { out[i * d + q] += xp[i * d + q] - xp[j * d + q] } }
                }
            }
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ s: inout State, _ p: NodeOracles<Scalar>, mixing w: MixingMatrix<Scalar>) {
        let t = w.topology
        let c = penalty(t), rho = 1 / stepSize
        let n = p.nodeCount, d = p.dimension
        let g = p.gradients(s.x)
        let lap = unitLaplacian(s.x, t)
        // c Σ_j (x_i + x_j) = c (2 deg_i x_i − Σ_j (x_i − x_j))
        var v = Tensor<Scalar>.zeros([n, d])
        var thresholds = Tensor<Scalar>.zeros([n, 1])
        for i in 0..<n {
            let deg = Scalar(t.degree(i))
            let a = 2 * c * deg + rho
            thresholds.scalars[i] = 1 / a
            for q in 0..<d {
                let k = i * d + q
                v.scalars[k] = (c * (2 * deg * s.x.scalars[k] - lap.scalars[k]) + rho * s.x.scalars[k] - g.scalars[k] - s.alpha.scalars[k]) / a
            }
        }
        // Node i's prox has step 1/a_i; apply it row by row.
        var x = v
        for i in 0..<n {
            let row = p.prox(v.rows(i..<(i + 1)), thresholds.scalars[i])
            x.scalars.replaceSubrange((i * d)..<((i + 1) * d), with: row.scalars)
        }
        s.alpha.addScaled(unitLaplacian(x, t), c)
        s.x = x
        s.iteration += 1
    }

    public func iterate(_ s: State) -> Tensor<Scalar> { s.x }
    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] { [("x", s.x), ("alpha", s.alpha)] }
    public func iterationCount(_ s: State) -> Int { s.iteration }
    public func restoreState(_ t: [String: Tensor<Scalar>], iteration k: Int, _ p: NodeOracles<Scalar>) throws -> State {
        State(x: try stateTensor(t, "x", p), alpha: try stateTensor(t, "alpha", p), iteration: k)
    }
}
