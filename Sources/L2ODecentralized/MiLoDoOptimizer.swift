import L2OCore
import L2ONN

/// A decentralized optimizer made from MiLoDo parameters θ (a `MiLoDoModel`), usable wherever a
/// handcrafted method is: it runs without a tape (constant memory), on any dimension `d`, in the
/// model's scalar type. The topology must be the model's (each node has its own modules).
public struct MiLoDoOptimizer<Scalar: TensorScalar>: DecentralizedMethod {
    public let model: MiLoDoModel<Scalar>
    /// Seed of the random initial LSTM states.
    public var seed: UInt64
    /// Not used by the learned rule (kept for tables); NaN.
    public var stepSize: Scalar = .nan
    public var name: String
    /// The safeguard (`Safeguard`): nil runs the learned rule alone. `DecentralizedMethods`
    /// switches it on for evaluation and inference.
    public var safeguard: Safeguard?

    public init(model: MiLoDoModel<Scalar>, seed: UInt64 = 0, name: String = "milodo", safeguard: Safeguard? = nil) {
        self.model = model
        self.seed = seed
        self.name = name
        self.safeguard = safeguard
    }

    public struct State {
        /// The rule's state in one of two forms: as tensors (`step`), or packed for the Float
        /// networks' in-place path (`inferenceStep`), which tape-free steps use when the model
        /// has Float inference switched on.
        var stored: MiLoDoModel<Scalar>.State?
        var packed: MiLoDoModel<Scalar>.InferenceState?
        public var iteration = 0
        var guardState: SafeguardState<Scalar>?

        public init(rule: MiLoDoModel<Scalar>.State, iteration: Int = 0) {
            stored = rule
            self.iteration = iteration
        }

        /// The rule's state as tensors (unpacked on demand).
        public var rule: MiLoDoModel<Scalar>.State {
            get { stored ?? packed!.unpacked }
            set { stored = newValue; packed = nil }
        }

        /// Per node `[1, d]`, without unpacking.
        var x: [Tensor<Scalar>] { packed?.x ?? stored!.x.map(\.value) }
        var y: [Tensor<Scalar>] { packed?.y ?? stored!.y.map(\.value) }

        /// Replaces the iterates and duals (node matrices `[n, d]`), keeping the LSTM states.
        mutating func setIterates(x X: Tensor<Scalar>, y Y: Tensor<Scalar>) {
            let n = X.shape[0], d = X.shape[1]
            let rows = { (m: Tensor<Scalar>) in (0..<n).map { m.rows($0..<($0 + 1)).reshaped([1, d]) } }
            if packed != nil {
                packed!.x = rows(X)
                packed!.y = rows(Y)
            } else {
                stored!.x = rows(X).map { Variable(constant: $0) }
                stored!.y = rows(Y).map { Variable(constant: $0) }
            }
        }
    }

    public func makeState(_ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) -> State {
        precondition(mixing.topology == model.topology, "MiLoDoOptimizer: the model was built for \(model.topology), not \(mixing.topology)")
        var rng = RandomState(seed: seed)
        return state(model.initialState(batch: 1, dimension: p.dimension, tape: nil, rng: &rng), iteration: 0, p)
    }

    /// The state from the rule's state, with the problem's step scale and the safeguard's
    /// bookkeeping (one curvature estimate serves both).
    func state(_ rule: MiLoDoModel<Scalar>.State, iteration: Int, _ p: NodeOracles<Scalar>) -> State {
        var rule = rule
        let L = model.stepScaleReference > 0 || safeguard != nil ? largestCurvature(p) : 0
        rule.scale = stepScale(largestCurvature: L)
        var state = State(rule: rule, iteration: iteration)
        if let safeguard { state.guardState = SafeguardState(settings: safeguard, gamma: Scalar(1 / L)) }
        return state
    }

    /// `max_i L_i` of the problem (`LocalCurvature.estimate`).
    func largestCurvature(_ p: NodeOracles<Scalar>) -> Double {
        let n = p.nodeCount, d = p.dimension
        let L = LocalCurvature.estimate(nodes: n, batch: 1, dimension: d, seed: seed) { xs in
            let g = p.gradients(Tensor.concat(xs, axis: 0))
            return (0..<n).map { g.rows($0..<($0 + 1)) }
        }
        // A problem without curvature (all-zero data) still gets a finite fallback step.
        return L[0].isFinite && L[0] > 0 ? L[0] : 1
    }

    /// The problem's step scale `L_ref / max_i L_i` when the model normalizes its step (nil otherwise).
    func stepScale(largestCurvature L: Double) -> Tensor<Scalar>? {
        guard model.stepScaleReference > 0 else { return nil }
        return model.stepScales(curvatures: [L])
    }

    public func safeguardReport(_ s: State) -> SafeguardReport? { s.guardState?.report }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ s: inout State, _ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>) {
        step(&s, p, mixing: mixing, observe: nil)
    }

    /// One iteration; `observe`, when given, receives the coefficients the rule produced (the
    /// safeguard is then bypassed: the coefficients are those of a learned step).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ s: inout State, _ p: NodeOracles<Scalar>, mixing: MixingMatrix<Scalar>,
                     observe: ((MiLoDoModel<Scalar>.Coefficients) -> Void)?) {
        guard observe == nil, var guardState = s.guardState else {
            learnedStep(&s, p, observe: observe, gradients: nil)
            return
        }
        let X = Tensor.concat(s.x, axis: 0), Y = Tensor.concat(s.y, axis: 0)  // [n, d]
        let G = p.gradients(X)
        let candidate = mixing.safeguardStep(x: X, y: Y, g: G, gamma: guardState.gamma, p)
        switch guardState.decide(merit: candidate.merit, floor: candidate.floor, iteration: s.iteration) {
        case .learned:
            learnedStep(&s, p, observe: nil, gradients: G)
            guardState.lastCandidate = (candidate.x, candidate.y)
            guardState.previousWasLearned = true
        case .fallback:
            s.setIterates(x: candidate.x, y: candidate.y)
            s.iteration += 1
            guardState.report.fallbackIterations += 1
            guardState.lastCandidate = nil
            guardState.previousWasLearned = false
        case .revert:
            let back = guardState.lastCandidate ?? (candidate.x, candidate.y)
            s.setIterates(x: back.x, y: back.y)
            s.iteration += 1
            guardState.report.fallbackIterations += 1
            guardState.lastCandidate = nil
            guardState.previousWasLearned = false
        }
        s.guardState = guardState
    }

    /// One learned iteration; `gradients` `[n, d]` at the current iterate when already computed.
    func learnedStep(_ s: inout State, _ p: NodeOracles<Scalar>, observe: ((MiLoDoModel<Scalar>.Coefficients) -> Void)?,
                     gradients known: Tensor<Scalar>?) {
        let n = p.nodeCount, d = p.dimension
        if observe == nil && model.hasFloatInference {
            var packed = s.packed ?? .init(s.stored!)
            s.packed = nil
            s.stored = nil
            model.inferenceStep(&packed, lambda: p.l1Weight) { xs in
                let g = known ?? p.gradients(Tensor.concat(xs, axis: 0))  // [n, d]
                return (0..<n).map { g.rows($0..<($0 + 1)).reshaped([1, d]) }
            }
            s.packed = packed
            s.iteration += 1
            return
        }
        let context = ForwardContext<Scalar>(tape: nil)
        do {
            s.rule = try model.step(s.rule, lambda: p.l1Weight, context: context, observe: observe) { xs in
                let g = known ?? p.gradients(Tensor.concat(xs.map(\.value), axis: 0))  // [n, d]
                return (0..<n).map { Variable(constant: g.rows($0..<($0 + 1)).reshaped([1, d])) }
            }
        } catch {
            preconditionFailure("MiLoDoOptimizer: \(error)")  // shapes are fixed by construction
        }
        s.iteration += 1
    }

    public func iterate(_ s: State) -> Tensor<Scalar> { Tensor.concat(s.x, axis: 0) }

    public func stateTensors(_ s: State) -> [(name: String, tensor: Tensor<Scalar>)] {
        var out: [(name: String, tensor: Tensor<Scalar>)] = [("x", iterate(s)), ("y", Tensor.concat(s.y, axis: 0))]
        for (i, per) in s.rule.lstm.enumerated() {
            for (k, m) in ["M", "S", "U"].enumerated() {
                out.append(("lstm.\(i).\(m).h", per[k].h.value))
                out.append(("lstm.\(i).\(m).c", per[k].c.value))
            }
        }
        return out
    }

    public func iterationCount(_ s: State) -> Int { s.iteration }

    public func restoreState(_ t: [String: Tensor<Scalar>], iteration: Int, _ p: NodeOracles<Scalar>) throws -> State {
        let n = p.nodeCount, d = p.dimension, H = model.hiddenSize
        let x = try stateTensor(t, "x", p), y = try stateTensor(t, "y", p)
        var lstm = [[(h: Variable<Scalar>, c: Variable<Scalar>)]]()
        for i in 0..<n {
            var per = [(h: Variable<Scalar>, c: Variable<Scalar>)]()
            for m in ["M", "S", "U"] {
                var pair = [Variable<Scalar>]()
                for part in ["h", "c"] {
                    let key = "lstm.\(i).\(m).\(part)"
                    guard let v = t[key] else { throw MethodStateError.missing(method: name, name: key) }
                    guard v.shape == [d, H] else { throw MethodStateError.shape(method: name, name: key, expected: [d, H], actual: v.shape) }
                    pair.append(Variable(constant: v))
                }
                per.append((pair[0], pair[1]))
            }
            lstm.append(per)
        }
        let rows = { (m: Tensor<Scalar>) in (0..<n).map { Variable(constant: m.rows($0..<($0 + 1))) } }
        return state(.init(x: rows(x), y: rows(y), lstm: lstm, scale: nil), iteration: iteration, p)
    }
}
