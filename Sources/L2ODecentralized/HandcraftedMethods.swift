import L2OCore

// The handcrafted baselines of [MiLoDo] §5 and App. E.3. All mixing is applied in the robust form
// `x_i − Σ_j w_ij (x_i − x_j)` (`MixingMatrix.gossip`), and `W̄ = (I + W)/2` as
// `x − ½ Σ_j w_ij (x_i − x_j)`. Every prox uses the same step as the gradient step before it, so
// fixed points solve the original problem.

@inlinable func halfMix<S>(_ x: Tensor<S>, _ w: MixingMatrix<S>) -> Tensor<S> {
    var out = x
    out.addScaled(w.gossip.laplacian(x), -0.5)
    return out
}

/// Prox-DGD: `x⁺ = prox_γr(W x − γ g(x))`. With a constant step it converges only to a
/// neighbourhood of the optimum (its known bias).
public struct ProxDGD<Scalar: TensorScalar>: DecentralizedMethod {
    public var stepSize: Scalar
    public var name: String { "prox-dgd" }
    public init(stepSize: Scalar) { self.stepSize = stepSize }
    public struct State { public var x: Tensor<Scalar>; public var iteration = 0 }
    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State { State(x: .zeros([p.nodeCount, p.dimension])) }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ s: inout State, _ p: NodeOracles<Scalar>, mixing w: MixingMatrix<Scalar>) {
        var v = w.gossip.apply(s.x)
        v.addScaled(p.gradients(s.x), -stepSize)
        s.x = p.prox(v, stepSize)
        s.iteration += 1
    }
    public func iterate(_ s: State) -> Tensor<Scalar> { s.x }
    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] { [("x", s.x)] }
    public func iterationCount(_ s: State) -> Int { s.iteration }
    public func restoreState(_ t: [String: Tensor<Scalar>], iteration k: Int, _ p: NodeOracles<Scalar>) throws -> State {
        State(x: try stateTensor(t, "x", p), iteration: k)
    }
}

/// PG-EXTRA (x⁰ = 0): `z^{k+1} = W x^k − γ g(x^k)`; `z̃¹ = z¹` and for k > 0
/// `z̃^{k+1} = z^{k+1} + z̃^k − W̄ x^{k−1} + γ g(x^{k−1})`; `x^{k+1} = prox_γr(z̃^{k+1})`.
public struct PGExtra<Scalar: TensorScalar>: DecentralizedMethod {
    public var stepSize: Scalar
    public var name: String { "pg-extra" }
    public init(stepSize: Scalar) { self.stepSize = stepSize }
    public struct State {
        public var x, xPrev, gPrev, zTilde: Tensor<Scalar>
        public var iteration = 0
    }
    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State {
        let z = Tensor<Scalar>.zeros([p.nodeCount, p.dimension])
        return State(x: z, xPrev: z, gPrev: z, zTilde: z)
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ s: inout State, _ p: NodeOracles<Scalar>, mixing w: MixingMatrix<Scalar>) {
        let g = p.gradients(s.x)
        var z = w.gossip.apply(s.x)
        z.addScaled(g, -stepSize)
        if s.iteration == 0 {
            s.zTilde = z
        } else {
            var zt = z + s.zTilde - halfMix(s.xPrev, w)
            zt.addScaled(s.gPrev, stepSize)
            s.zTilde = zt
        }
        s.xPrev = s.x
        s.gPrev = g
        s.x = p.prox(s.zTilde, stepSize)
        s.iteration += 1
    }
    public func iterate(_ s: State) -> Tensor<Scalar> { s.x }
    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] {
        [("x", s.x), ("x_prev", s.xPrev), ("g_prev", s.gPrev), ("z_tilde", s.zTilde)]
    }
    public func iterationCount(_ s: State) -> Int { s.iteration }
    public func restoreState(_ t: [String: Tensor<Scalar>], iteration k: Int, _ p: NodeOracles<Scalar>) throws -> State {
        State(x: try stateTensor(t, "x", p), xPrev: try stateTensor(t, "x_prev", p), gPrev: try stateTensor(t, "g_prev", p), zTilde: try stateTensor(t, "z_tilde", p), iteration: k)
    }
}

/// Prox-ED (Exact Diffusion / NIDS; x⁰ = ỹ⁰ = z⁰ = 0): `z^{k+1} = x^k − γ g(x^k)`;
/// `y^{k+1} = ỹ^k + z^{k+1} − z^k`; `ỹ^{k+1} = W̄ y^{k+1}`; `x^{k+1} = prox_γr(ỹ^{k+1})`.
public struct ProxED<Scalar: TensorScalar>: DecentralizedMethod {
    public var stepSize: Scalar
    public var name: String { "prox-ed" }
    public init(stepSize: Scalar) { self.stepSize = stepSize }
    public struct State {
        public var x, z, yTilde: Tensor<Scalar>
        public var iteration = 0
    }
    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State {
        let z = Tensor<Scalar>.zeros([p.nodeCount, p.dimension])
        return State(x: z, z: z, yTilde: z)
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ s: inout State, _ p: NodeOracles<Scalar>, mixing w: MixingMatrix<Scalar>) {
        var z = s.x
        z.addScaled(p.gradients(s.x), -stepSize)
        let y = s.yTilde + z - s.z
        s.yTilde = halfMix(y, w)
        s.z = z
        s.x = p.prox(s.yTilde, stepSize)
        s.iteration += 1
    }
    public func iterate(_ s: State) -> Tensor<Scalar> { s.x }
    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] { [("x", s.x), ("z", s.z), ("y_tilde", s.yTilde)] }
    public func iterationCount(_ s: State) -> Int { s.iteration }
    public func restoreState(_ t: [String: Tensor<Scalar>], iteration k: Int, _ p: NodeOracles<Scalar>) throws -> State {
        State(x: try stateTensor(t, "x", p), z: try stateTensor(t, "z", p), yTilde: try stateTensor(t, "y_tilde", p), iteration: k)
    }
}

/// Prox-ATC: `ψ^{k+1} = p^k − γ g(p^k)`; `φ = 2x^k − W(x^k − ψ^{k+1} + ψ^k)`; `x^{k+1} = W φ`;
/// `p^{k+1} = prox_γr(x^{k+1})`; the objective is read at `p`. Starts from x⁰ = p⁰ = ψ⁰ = 0.
public struct ProxATC<Scalar: TensorScalar>: DecentralizedMethod {
    public var stepSize: Scalar
    public var name: String { "prox-atc" }
    public init(stepSize: Scalar) { self.stepSize = stepSize }
    public struct State {
        public var x, p, psi: Tensor<Scalar>
        public var iteration = 0
    }
    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State {
        let z = Tensor<Scalar>.zeros([p.nodeCount, p.dimension])
        return State(x: z, p: z, psi: z)
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ s: inout State, _ p: NodeOracles<Scalar>, mixing w: MixingMatrix<Scalar>) {
        var psi = s.p
        psi.addScaled(p.gradients(s.p), -stepSize)
        var phi = s.x * 2
        phi.addScaled(w.gossip.apply(s.x - psi + s.psi), -1)
        s.x = w.gossip.apply(phi)
        s.psi = psi
        s.p = p.prox(s.x, stepSize)
        s.iteration += 1
    }
    public func iterate(_ s: State) -> Tensor<Scalar> { s.p }
    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] { [("x", s.x), ("p", s.p), ("psi", s.psi)] }
    public func iterationCount(_ s: State) -> Int { s.iteration }
    public func restoreState(_ t: [String: Tensor<Scalar>], iteration k: Int, _ p: NodeOracles<Scalar>) throws -> State {
        State(x: try stateTensor(t, "x", p), p: try stateTensor(t, "p", p), psi: try stateTensor(t, "psi", p), iteration: k)
    }
}

/// DAPG (decentralized accelerated proximal gradient with gradient tracking), momentum β = 0.6:
/// `x⁺ = W prox_{(γ/2)r}(y − (γ/2) s)`, `y⁺ = W(x⁺ + β(x⁺ − x))`, `s⁺ = W(s + g(y⁺) − g(y))`,
/// with x⁰ = y⁰ = 0, s⁰ = g(x⁰). The objective is read at `x`.
public struct DAPG<Scalar: TensorScalar>: DecentralizedMethod {
    public var stepSize: Scalar
    public var momentum: Scalar
    public var name: String { "dapg" }
    public init(stepSize: Scalar, momentum: Scalar = 0.6) {
        self.stepSize = stepSize
        self.momentum = momentum
    }
    public struct State {
        public var x, y, s, gy: Tensor<Scalar>
        public var iteration = 0
    }
    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State {
        let z = Tensor<Scalar>.zeros([p.nodeCount, p.dimension])
        let g = p.gradients(z)
        return State(x: z, y: z, s: g, gy: g)
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ st: inout State, _ p: NodeOracles<Scalar>, mixing w: MixingMatrix<Scalar>) {
        let h = stepSize / 2
        var v = st.y
        v.addScaled(st.s, -h)
        let xNew = w.gossip.apply(p.prox(v, h))
        let yNew = w.gossip.apply(xNew + (xNew - st.x) * momentum)
        let gNew = p.gradients(yNew)
        st.s = w.gossip.apply(st.s + gNew - st.gy)
        st.x = xNew
        st.y = yNew
        st.gy = gNew
        st.iteration += 1
    }
    public func iterate(_ s: State) -> Tensor<Scalar> { s.x }
    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] { [("x", s.x), ("y", s.y), ("s", s.s), ("g_y", s.gy)] }
    public func iterationCount(_ s: State) -> Int { s.iteration }
    public func restoreState(_ t: [String: Tensor<Scalar>], iteration k: Int, _ p: NodeOracles<Scalar>) throws -> State {
        State(x: try stateTensor(t, "x", p), y: try stateTensor(t, "y", p), s: try stateTensor(t, "s", p), gy: try stateTensor(t, "g_y", p), iteration: k)
    }
}

/// ODAPG with τ = 0.2: `x⁺ = τ z + (1−τ) y`; `s⁺ = W(s + g(x⁺) − g(x))`;
/// `z⁺ = W prox_{0.85γ r}(z − 0.85γ s⁺)`; `y⁺ = W(τ z⁺ + (1−τ) y)`; x⁰ = y⁰ = z⁰ = 0, s⁰ = g(0).
/// The objective is read at `y`.
public struct ODAPG<Scalar: TensorScalar>: DecentralizedMethod {
    public var stepSize: Scalar
    public var tau: Scalar
    public var name: String { "odapg" }
    public init(stepSize: Scalar, tau: Scalar = 0.2) {
        self.stepSize = stepSize
        self.tau = tau
    }
    public struct State {
        public var x, y, z, s, gx: Tensor<Scalar>
        public var iteration = 0
    }
    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State {
        let zero = Tensor<Scalar>.zeros([p.nodeCount, p.dimension])
        let g = p.gradients(zero)
        return State(x: zero, y: zero, z: zero, s: g, gx: g)
    }
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ st: inout State, _ p: NodeOracles<Scalar>, mixing w: MixingMatrix<Scalar>) {
        let h = stepSize * Scalar(0.85)
        let xNew = st.z * tau + st.y * (1 - tau)
        let gNew = p.gradients(xNew)
        st.s = w.gossip.apply(st.s + gNew - st.gx)
        var v = st.z
        v.addScaled(st.s, -h)
        st.z = w.gossip.apply(p.prox(v, h))
        st.y = w.gossip.apply(st.z * tau + st.y * (1 - tau))
        st.x = xNew
        st.gx = gNew
        st.iteration += 1
    }
    public func iterate(_ s: State) -> Tensor<Scalar> { s.y }
    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] {
        [("x", s.x), ("y", s.y), ("z", s.z), ("s", s.s), ("g_x", s.gx)]
    }
    public func iterationCount(_ s: State) -> Int { s.iteration }
    public func restoreState(_ t: [String: Tensor<Scalar>], iteration k: Int, _ p: NodeOracles<Scalar>) throws -> State {
        State(x: try stateTensor(t, "x", p), y: try stateTensor(t, "y", p), z: try stateTensor(t, "z", p), s: try stateTensor(t, "s", p), gx: try stateTensor(t, "g_x", p), iteration: k)
    }
}
