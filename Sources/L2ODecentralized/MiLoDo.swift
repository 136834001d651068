import Foundation
import L2OCore
import L2ONN

/// A coordinate-wise network `φ`: LSTM cell (hidden 20) → Linear(20, 20) → ReLU →
/// Linear(20, out) → output activation, applied to every coordinate independently (rows are
/// coordinates, so a model trained at d = 300 runs at any d).
public final class CoordinatewiseNet<Scalar: TensorScalar>: Module {
    public typealias Output = CoordinatewiseKernel.Activation
    public let lstm: LSTMCell<Scalar>
    public let hidden: Linear<Scalar>
    public let output: Linear<Scalar>
    public internal(set) var outputActivation: Output
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [("lstm", lstm), ("hidden", hidden), ("output", output)] }
    /// Float copies of the weights when inference runs in Float (see `useFloatInference`), laid
    /// out for `CoordinatewiseKernel`.
    public private(set) var floatWeights: CoordinatewiseKernel.FloatWeights?

    /// Tape-free calls evaluate the network in Float from a copy of the current weights (inputs
    /// and outputs stay in `Scalar`); `false` returns to `Scalar`. Calls that record on a tape
    /// always use `Scalar` and the live parameters. The copy is taken now: call again after
    /// changing the weights.
    public func useFloatInference(_ on: Bool) {
        guard on, let b1 = hidden.bias, let b2 = output.bias else { floatWeights = nil; return }
        func f(_ t: Tensor<Scalar>) -> Tensor<Float> { t.cast(to: Float.self) }
        floatWeights = .init(w: f(lstm.weightIH.value), u: f(lstm.weightHH.value), b: f(lstm.bias.value),
                             w1: f(hidden.weight.value), b1: f(b1.value), w2: f(output.weight.value), b2: f(b2.value))
    }

    public init(inputs: Int, outputs: Int, hiddenSize: Int = 20, activation: Output, rng: inout RandomState) throws {
        lstm = try LSTMCell(inputSize: inputs, hiddenSize: hiddenSize, rng: &rng)
        hidden = try Linear(hiddenSize, hiddenSize, rng: &rng)
        output = try Linear(hiddenSize, outputs, rng: &rng)
        outputActivation = activation
    }

    /// `features [rows, inputs]` → `(out [rows, outputs], new LSTM state)`.
    @inlinable
    public func callAsFunction(_ features: Variable<Scalar>, state: (h: Variable<Scalar>, c: Variable<Scalar>), context: ForwardContext<Scalar>)
        throws -> (out: Variable<Scalar>, state: (h: Variable<Scalar>, c: Variable<Scalar>))
    {
        if !(context.tape?.isRecording ?? false), !context.hasSubstitutes,
           !features.isRecorded, !state.h.isRecorded, !state.c.isRecorded,
           let b1 = hidden.bias, let b2 = output.bias, features.shape.count == 2, features.shape[1] == lstm.inputSize,
           state.h.shape == [features.shape[0], lstm.hiddenSize], state.c.shape == state.h.shape {
            // Inference with the stored parameters: one fused, cache-blocked pass (the same
            // arithmetic without intermediate tensors). Substituted parameters and bad shapes take
            // the path below (which uses the substitutes and reports bad shapes).
            let r: (out: Tensor<Scalar>, h: Tensor<Scalar>, c: Tensor<Scalar>)
            if let f = floatWeights {
                r = CoordinatewiseKernel.forward(x: features.value, h: state.h.value, c: state.c.value, weights: f, activation: outputActivation)
            } else {
                r = CoordinatewiseKernel.forward(
                    x: features.value, h: state.h.value, c: state.c.value,
                    w: lstm.weightIH.value, u: lstm.weightHH.value, b: lstm.bias.value,
                    w1: hidden.weight.value, b1: b1.value, w2: output.weight.value, b2: b2.value, activation: outputActivation)
            }
            let tape = features.tape ?? state.h.tape
            return (Variable(r.out, tape: tape, id: -1), (Variable(r.h, tape: tape, id: -1), Variable(r.c, tape: tape, id: -1)))
        }
        let s = try lstm(features, state: state, context: context)
        let z = try output(relu(try hidden(s.h, context: context)), context: context)
        switch outputActivation {
        case .relu: return (relu(z), s)
        case .exp: return (exp(z), s)
        case .identity: return (z, s)
        }
    }
}

/// The inputs of the step network `φ_M`, per coordinate.
public enum MiLoDoStepFeatures: String, Sendable, Codable, CaseIterable {
    /// The paper's two inputs `[g, y]` (local gradient and dual variable).
    case paper
    /// `[g, y, |g + y|/λ]`: adds the scaled prox residual, which is `1` on the support of a
    /// LASSO solution at optimality (`∇f_i + y_i = −λ sign x_i`) and below `1` off it, and
    /// is typically far above `1` while a coordinate is still moving. It lets a small network
    /// give support coordinates a larger step once they settle (their curvature is the
    /// restricted one, well below the full local Lipschitz constant) while moving coordinates
    /// keep a stable one; with `[g, y]` alone that needs weights of order `1/λ`. (A departure
    /// from the paper.)
    case residual
    public var inputCount: Int { self == .paper ? 2 : 3 }
}

/// MiLoDo's learnable modules of one node: `φ_M` (inputs `[g, y]`, or `[g, y, |g+y|/λ]`, 1 output,
/// ReLU), `φ_S` and `φ_U` (one input and one output per neighbour; exp and ReLU outputs).
public final class MiLoDoNode<Scalar: TensorScalar>: Module {
    public let m: CoordinatewiseNet<Scalar>
    public let s: CoordinatewiseNet<Scalar>
    public let u: CoordinatewiseNet<Scalar>
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [("M", m), ("S", s), ("U", u)] }

    init(degree: Int, hiddenSize: Int, stepFeatures: MiLoDoStepFeatures = .paper, rng: inout RandomState) throws {
        m = try CoordinatewiseNet(inputs: stepFeatures.inputCount, outputs: 1, hiddenSize: hiddenSize, activation: .relu, rng: &rng)
        s = try CoordinatewiseNet(inputs: degree, outputs: degree, hiddenSize: hiddenSize, activation: .exp, rng: &rng)
        u = try CoordinatewiseNet(inputs: degree, outputs: degree, hiddenSize: hiddenSize, activation: .relu, rng: &rng)
    }
}

/// The MiLoDo learned decentralized optimizer ([MiLoDo] §4.1, eqs. (21)–(24)): per node `i` and iteration `k`
/// ```
/// p_i    = φ_M,i(∇f_i(x_i), y_i)                     ≥ 0
/// z_i⁺   = soft(x_i − p_i ⊙ (∇f_i(x_i) + y_i), λ p_i)
/// Δ_ij   = z_i⁺ − z_j⁺
/// p_ij,1 = (φ_S,i(Δ)_j + φ_S,j(Δ)_i) / 2              > 0 (symmetric: keeps Σ_i y_i = 0)
/// y_i⁺   = y_i + Σ_j p_ij,1 ⊙ Δ_ij
/// x_i⁺   = z_i⁺ − Σ_j φ_U,i(Δ)_j ⊙ Δ_ij
/// ```
/// Its parameters θ are the modules of every node (`nodes.3.M.lstm.weight_ih`, …); a
/// `MiLoDoOptimizer` built from them runs through the same evaluation runner as the baselines.
public final class MiLoDoModel<Scalar: TensorScalar>: Module {
    public let topology: Topology
    public let hiddenSize: Int
    public let stepFeatures: MiLoDoStepFeatures
    public let nodes: [MiLoDoNode<Scalar>]
    /// How the networks' last layer becomes coefficients (`paper` unless `useBoundedOutputs`).
    public private(set) var outputs: MiLoDoOutputs = .paper
    /// Per node, the Exact Diffusion constants the bounded outputs are centred on:
    /// `γ₀` (1 column), `w_ij/(2γ₀)` and `w_ij/2` (one column per neighbour), each `[1, cols]`.
    @usableFromInline var centres: [(m: Tensor<Scalar>, s: Tensor<Scalar>, u: Tensor<Scalar>)] = []
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { nodes.enumerated().map { ("nodes.\($0.offset)", $0.element) } }

    public init(topology: Topology, hiddenSize: Int = 20, stepFeatures: MiLoDoStepFeatures = .paper, rng: inout RandomState) throws {
        self.topology = topology
        self.hiddenSize = hiddenSize
        self.stepFeatures = stepFeatures
        var ns = [MiLoDoNode<Scalar>]()
        for i in 0..<topology.nodeCount {
            ns.append(try MiLoDoNode(degree: topology.degree(i), hiddenSize: hiddenSize, stepFeatures: stepFeatures, rng: &rng))
        }
        nodes = ns
    }

    /// Evaluates every node's networks in Float in tape-free steps (`CoordinatewiseNet.useFloatInference`);
    /// iterates, gradients and duals keep the model's scalar. For a Double run of a model trained
    /// in Float this costs the networks' Float rounding (relative 1e-7 in the coefficients) and
    /// runs them several times faster.
    public func useFloatInference(_ on: Bool) {
        for node in nodes { for net in [node.m, node.s, node.u] { net.useFloatInference(on) } }
    }

    /// Switches to bounded outputs around Exact Diffusion's constants (a departure from the paper,
    /// which uses ReLU/exp/ReLU): with the networks' raw outputs `o`,
    /// ```
    /// p_i = γ₀ (1 + α tanh o_M),   p̃_ij,1 = w_ij/(2γ₀) (1 + α tanh o_S),   p_ij,2 = w_ij/2 (1 + α tanh o_U)
    /// ```
    /// so every coefficient is positive, bounded (Theorem 2: fixed points are optimal and
    /// consensual) and within a factor `1 ± α` of Exact Diffusion's: a rule trained on short
    /// horizons cannot drift to the large steps and mixing weights that a short-horizon loss
    /// rewards but that oscillate or diverge later. Zero biases start at Exact Diffusion.
    /// `stepAlpha` (default `alpha`) bounds `p_i` alone: `p_i = γ₀ (1 + α_M tanh o_M)`.
    public func useBoundedOutputs(alpha: Scalar, stepAlpha: Scalar? = nil, gamma0: Scalar, mixing: MixingMatrix<Scalar>) {
        let aM = stepAlpha ?? alpha
        precondition(alpha > 0 && alpha < 1 && aM > 0 && aM < 1 && gamma0 > 0, "bounded outputs need 0 < α < 1 and γ₀ > 0")
        outputs = .bounded(alpha: Double(alpha))
        self.stepAlpha = Double(aM)
        centres = nodes.indices.map { i in
            let nb = topology.neighbors[i]
            return (Tensor([gamma0]).reshaped([1, 1]),
                    Tensor(nb.map { Scalar(mixing.weight(i, $0)) / (2 * gamma0) }).reshaped([1, nb.count]),
                    Tensor(nb.map { Scalar(mixing.weight(i, $0)) / 2 }).reshaped([1, nb.count]))
        }
        for node in nodes { for net in [node.m, node.s, node.u] { net.outputActivation = .identity } }
    }

    /// The bound of `p_i` in bounded mode (`α` unless set separately).
    public private(set) var stepAlpha = 0.0

    /// `centre ⊙ (1 + α tanh o)` in bounded mode; `o` itself (already activated) otherwise.
    @inlinable
    func coefficient(_ o: Variable<Scalar>, centre: Tensor<Scalar>?, alpha override: Double? = nil) -> Variable<Scalar> {
        guard case .bounded(let alpha) = outputs, let centre else { return o }
        return (tanh(o) * Scalar(override ?? alpha) + 1) * centre
    }

    /// The special initialization: output weights `N(0, outputStd²)` and biases that make the rule
    /// start at Exact Diffusion's constants `p = γ₀`, `p_ij,1 = w_ij/(2γ₀)`, `p_ij,2 = w_ij/2`.
    public func specialInitialize(gamma0: Scalar, mixing: MixingMatrix<Scalar>, outputStd: Scalar = 0.001, rng: inout RandomState) {
        for (i, node) in nodes.enumerated() {
            let nb = topology.neighbors[i]
            for net in [node.m, node.s, node.u] {
                net.output.weight.value = .normal(net.output.weight.shape, std: outputStd, rng: &rng)
            }
            if case .bounded = outputs {
                for net in [node.m, node.s, node.u] { net.output.bias?.value = .zeros(net.output.bias!.shape) }
                continue
            }
            node.m.output.bias?.value = Tensor([gamma0])
            node.s.output.bias?.value = Tensor(nb.map { Scalar.log(Scalar(mixing.weight(i, $0)) / (2 * gamma0)) })
            node.u.output.bias?.value = Tensor(nb.map { Scalar(mixing.weight(i, $0)) / 2 })
        }
    }

    /// The rule's state: iterates and every module's LSTM state, per node.
    public struct State {
        public var x: [Variable<Scalar>]  // [B, d] per node
        public var y: [Variable<Scalar>]
        public var lstm: [[(h: Variable<Scalar>, c: Variable<Scalar>)]]  // node → [M, S, U], each [B·d, H]
        /// Per problem of the batch (`[B, 1]`), the factor `s` the step is normalized by
        /// (`p_i ← s p_i`, `p_ij,1 ← p_ij,1 / s`; see `stepScaleReference`); nil = 1.
        public var scale: Tensor<Scalar>?

        public init(x: [Variable<Scalar>], y: [Variable<Scalar>], lstm: [[(h: Variable<Scalar>, c: Variable<Scalar>)]], scale: Tensor<Scalar>? = nil) {
            self.x = x
            self.y = y
            self.lstm = lstm
            self.scale = scale
        }

        /// The same state cut from the graph (between truncation windows).
        public func detached() -> State {
            State(x: x.map { $0.detached() }, y: y.map { $0.detached() },
                  lstm: lstm.map { $0.map { ($0.h.detached(), $0.c.detached()) } }, scale: scale)
        }
    }

    /// Step normalization by local smoothness (0 = off, the paper's rule). When set to `L_ref`,
    /// a problem whose largest local curvature is `L = max_i L_i` runs with `s = L_ref / L`:
    /// `p_i ← s p_i` and `p_ij,1 ← p_ij,1 / s`, so at the special initialization the rule is
    /// Exact Diffusion at `γ₀ L_ref / L` instead of `γ₀`. Meta-training sets `L_ref` to the
    /// training problems' median `L`, so training is nearly unchanged, while a problem of another
    /// smoothness (other data, another loss) gets a step in the same proportion to its own `1/L`.
    /// (A departure from the paper.) `L` comes from `LocalCurvature.estimate`, which only calls
    /// the local gradients.
    public var stepScaleReference = 0.0

    /// `[B, 1]` scales `L_ref / L_b` for the largest local curvatures `L_b` of a batch.
    public func stepScales(curvatures: [Double]) -> Tensor<Scalar> {
        Tensor(curvatures.map { Scalar(stepScaleReference / $0) }).reshaped([curvatures.count, 1])
    }

    /// x⁰ = y⁰ = 0 and LSTM states drawn N(0, 1) from `rng`, for a batch of `batch` problems of dimension `d`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func initialState(batch: Int, dimension d: Int, tape: Tape<Scalar>?, rng: inout RandomState) -> State {
        let n = topology.nodeCount
        let zero = Variable(Tensor<Scalar>.zeros([batch, d]), tape: tape, id: -1)
        var lstm = [[(h: Variable<Scalar>, c: Variable<Scalar>)]]()
        for _ in 0..<n {
            var per = [(h: Variable<Scalar>, c: Variable<Scalar>)]()
            for _ in 0..<3 {
                per.append((Variable(.normal([batch * d, hiddenSize], rng: &rng), tape: tape, id: -1),
                            Variable(.normal([batch * d, hiddenSize], rng: &rng), tape: tape, id: -1)))
            }
            lstm.append(per)
        }
        return State(x: Array(repeating: zero, count: n), y: Array(repeating: zero, count: n), lstm: lstm)
    }

    /// The coefficients the rule produced in one iteration, per node: `p_i [B, d]`, and per
    /// neighbour (in `topology.neighbors[i]` order) the symmetrized `p_ij,1` and `p_ij,2`, each `[B, d]`.
    public struct Coefficients {
        public var p: [Tensor<Scalar>]
        public var p1: [[Tensor<Scalar>]]
        public var p2: [[Tensor<Scalar>]]
    }

    /// One iteration for every node. `gradients` maps the node iterates `x_i [B, d]` to
    /// `∇f_i(x_i) [B, d]` (on the tape when meta-training differentiates through them).
    /// `observe`, when given, receives the coefficients of this iteration (for diagnostics).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ st: State, lambda: Scalar, context: ForwardContext<Scalar>,
                     observe: ((Coefficients) -> Void)? = nil,
                     gradients: ([Variable<Scalar>]) -> [Variable<Scalar>]) throws -> State {
        let n = topology.nodeCount
        let g = gradients(st.x)
        let shape = st.x[0].shape
        let rows = shape.reduce(1, *)
        func col(_ v: Variable<Scalar>) -> Variable<Scalar> { v.reshaped([rows, 1]) }
        // Without a recording tape the nodes are independent within each phase and run on all
        // cores; with one, they run in order (a tape is single-threaded).
        let parallel = !(context.tape?.isRecording ?? false)
        func forEachNode(_ body: (Int) throws -> Void) throws {
            if parallel && n > 1 {
                var failure: Error?
                let lock = NSLock()
                DispatchQueue.concurrentPerform(iterations: n) { i in
                    do { try body(i) } catch { lock.lock(); failure = error; lock.unlock() }
                }
                if let failure { throw failure }
            } else {
                for i in 0..<n { try body(i) }
            }
        }
        var z = [Variable<Scalar>?](repeating: nil, count: n), lstm = st.lstm
        var pSeen = [Tensor<Scalar>](repeating: Tensor<Scalar>.zeros([0]), count: observe == nil ? 0 : n)
        var newStates = [[(h: Variable<Scalar>, c: Variable<Scalar>)]](repeating: [], count: n)
        let lock = NSLock()
        try forEachNode { i in
            let residual = g[i] + st.y[i]
            var columns = [col(g[i]), col(st.y[i])]
            if stepFeatures == .residual { columns.append(col(abs(residual) * (lambda > 0 ? 1 / lambda : 1))) }
            let feat = Variable.concat(columns, axis: 1)
            let (o, sM) = try nodes[i].m(feat, state: st.lstm[i][0], context: context)
            var pp = coefficient(o, centre: centres.isEmpty ? nil : centres[i].m, alpha: stepAlpha).reshaped(shape)
            if let scale = st.scale { pp = pp * scale }
            let zi = softThreshold(st.x[i] - pp * residual, pp * lambda)
            lock.lock(); z[i] = zi; newStates[i] = [sM]; if observe != nil { pSeen[i] = pp.value }; lock.unlock()
        }
        let zs = z.map { $0! }
        var deltas = [[Variable<Scalar>]](repeating: [], count: n)
        var sOut = [Variable<Scalar>?](repeating: nil, count: n), uOut = [Variable<Scalar>?](repeating: nil, count: n)
        try forEachNode { i in
            let d = topology.neighbors[i].map { zs[i] - zs[$0] }
            let feat = Variable.concat(d.map(col), axis: 1)
            let (os, sS) = try nodes[i].s(feat, state: st.lstm[i][1], context: context)
            let (ou, sU) = try nodes[i].u(feat, state: st.lstm[i][2], context: context)
            let ps = coefficient(os, centre: centres.isEmpty ? nil : centres[i].s)
            let pu = coefficient(ou, centre: centres.isEmpty ? nil : centres[i].u)
            lock.lock(); deltas[i] = d; sOut[i] = ps; uOut[i] = pu; newStates[i] += [sS, sU]; lock.unlock()
        }
        for i in 0..<n { lstm[i] = newStates[i] }
        let sOuts = sOut.map { $0! }, uOuts = uOut.map { $0! }
        var x = [Variable<Scalar>](), y = [Variable<Scalar>]()
        var seen = Coefficients(p: pSeen, p1: [], p2: [])
        for i in 0..<n {
            var ySum = st.y[i], xNew = zs[i]
            var p1Seen = [Tensor<Scalar>](), p2Seen = [Tensor<Scalar>]()
            for (k, j) in topology.neighbors[i].enumerated() {
                let back = topology.neighbors[j].firstIndex(of: i)!
                var p1 = ((sOuts[i].columns(k..<(k + 1)) + sOuts[j].columns(back..<(back + 1))) * 0.5).reshaped(shape)
                if let scale = st.scale { p1 = p1 / scale }
                let p2 = uOuts[i].columns(k..<(k + 1))
                ySum = ySum + p1 * deltas[i][k]
                xNew = xNew - p2.reshaped(shape) * deltas[i][k]
                if observe != nil { p1Seen.append(p1.value); p2Seen.append(p2.value.reshaped(shape)) }
            }
            x.append(xNew)
            y.append(ySum)
            if observe != nil { seen.p1.append(p1Seen); seen.p2.append(p2Seen) }
        }
        observe?(seen)
        return State(x: x, y: y, lstm: lstm, scale: st.scale)
    }
}

/// How MiLoDo's networks produce coefficients: the paper's output activations (ReLU for `p_i`,
/// exp for `p̃_ij,1`, ReLU for `p_ij,2`), or bounded within `1 ± α` of Exact Diffusion's constants.
public enum MiLoDoOutputs: Equatable, Sendable {
    case paper
    case bounded(alpha: Double)
}

/// The largest local curvature of node-sharded problems, from local gradients only.
public enum LocalCurvature {
    /// For every problem `b` of a batch, `L_b = max_i L_i` where `L_i` is the top eigenvalue of
    /// `∇²f_i` near 0, by power iteration on gradient differences:
    /// `u ← (∇f_i(h v̂) − ∇f_i(0))/h`, `L_i ← ‖u‖`, `v̂ ← u/‖u‖` (exact for least squares, where
    /// `∇²f_i = A_iᵀA_i/N`; for logistic regression the curvature is largest at 0).
    /// `gradients` maps per-node iterates `[B, d]` to per-node gradients `[B, d]`.
    public static func estimate<S: TensorScalar>(nodes n: Int, batch B: Int, dimension d: Int, iterations: Int = 50, seed: UInt64 = 0,
                                                 step h: Double = 1e-3, gradients: ([Tensor<S>]) -> [Tensor<S>]) -> [Double] {
        var rng = RandomState(seed: seed)
        let base = gradients(Array(repeating: .zeros([B, d]), count: n))
        var v = (0..<n).map { _ in Tensor<S>.normal([B, d], rng: &rng) }
        var norms = [[Double]](repeating: [Double](repeating: 0, count: B), count: n)
        func normalize(_ t: Tensor<S>, _ i: Int, divide: Double) -> Tensor<S> {
            var out = t.scalars
            for b in 0..<B {
                var sq = 0.0
                for k in 0..<d { let e = Double(out[b * d + k]); sq += e * e }
                let nb = sq.squareRoot()
                norms[i][b] = nb / divide
                let inv = nb > 0 ? 1 / nb : 0
                for k in 0..<d { out[b * d + k] = S(Double(out[b * d + k]) * inv) }
            }
            return Tensor(shape: [B, d], scalars: out)
        }
        for i in 0..<n { v[i] = normalize(v[i], i, divide: 1) }
        for _ in 0..<iterations {
            let g = gradients(v.map { $0 * S(h) })
            for i in 0..<n { v[i] = normalize(g[i] - base[i], i, divide: h) }
        }
        return (0..<B).map { b in (0..<n).map { norms[$0][b] }.max() ?? 0 }
    }
}
