import Foundation
import L2OCore
import L2ONN

/// The coordinate-wise LSTM optimizer of [L2L] ("Learning to learn by
/// gradient descent by gradient descent", §2.1 and §3): one small network shared by every
/// coordinate of every parameter — two LSTM layers of `hiddenSize` (20) units and a linear output
/// — maps the preprocessed gradient of a coordinate and its own recurrent state to the update
/// `Δθ = outputScale · out` (0.1 by default, our choice: a fixed scale of the network's output).
///
/// Gradient preprocessing (§3.1, App. A): with `p = 10`, a gradient `g` becomes the pair
/// `(log|g|/p, sign g)` when `|g| ≥ e^{−p}` and `(−1, e^p g)` otherwise, so inputs of very
/// different magnitudes reach the network on one scale.
public final class LSTMOptimizerNet<Scalar: TensorScalar>: Module {
    public let lstm1: LSTMCell<Scalar>
    public let lstm2: LSTMCell<Scalar>
    public let output: Linear<Scalar>
    public let hiddenSize: Int
    /// `Δθ = outputScale · out`.
    public let outputScale: Double
    /// The preprocessing exponent `p`.
    public let preprocessingExponent: Double
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [("lstm1", lstm1), ("lstm2", lstm2), ("output", output)] }

    public init(hiddenSize: Int = 20, outputScale: Double = 0.1, preprocessingExponent: Double = 10, rng: inout RandomState) throws {
        guard hiddenSize >= 1, hiddenSize <= 1024 else {
            throw OptimizerError.invalidArgument(operation: "LSTMOptimizerNet", message: "hidden size must be between 1 and 1024, got \(hiddenSize)")
        }
        guard outputScale > 0, outputScale.isFinite, preprocessingExponent > 0, preprocessingExponent <= 80 else {
            throw OptimizerError.invalidArgument(operation: "LSTMOptimizerNet", message: "the output scale must be positive and the preprocessing exponent in (0, 80] (e^p must be finite in Float)")
        }
        self.hiddenSize = hiddenSize
        self.outputScale = outputScale
        self.preprocessingExponent = preprocessingExponent
        lstm1 = try LSTMCell(inputSize: 2, hiddenSize: hiddenSize, rng: &rng)
        lstm2 = try LSTMCell(inputSize: hiddenSize, hiddenSize: hiddenSize, rng: &rng)
        output = try Linear(hiddenSize, 1, rng: &rng)
    }

    /// The network's recurrent state for `rows` coordinates: `(h, c)` of both layers, each `[rows, H]`.
    public struct State {
        public var layer1: (h: Variable<Scalar>, c: Variable<Scalar>)
        public var layer2: (h: Variable<Scalar>, c: Variable<Scalar>)
        public init(layer1: (h: Variable<Scalar>, c: Variable<Scalar>), layer2: (h: Variable<Scalar>, c: Variable<Scalar>)) {
            self.layer1 = layer1
            self.layer2 = layer2
        }
        public func detached() -> State {
            State(layer1: (layer1.h.detached(), layer1.c.detached()), layer2: (layer2.h.detached(), layer2.c.detached()))
        }
    }

    /// Zero states for `rows` coordinates.
    public func zeroState(rows: Int, tape: Tape<Scalar>?) -> State {
        State(layer1: lstm1.zeroState(batchSize: rows, tape: tape), layer2: lstm2.zeroState(batchSize: rows, tape: tape))
    }

    /// `[rows, 2]`: the preprocessed gradient of every coordinate of `g` (any shape).
    public func preprocess(_ g: Tensor<Scalar>) -> Tensor<Scalar> {
        let p = Scalar(preprocessingExponent), threshold = Scalar.exp(-p), scale = Scalar.exp(p)
        var out = [Scalar](repeating: 0, count: 2 * g.count)
        for (k, v) in g.scalars.enumerated() {
            if Swift.abs(v) >= threshold {
                out[2 * k] = Scalar.log(Swift.abs(v)) / p
                out[2 * k + 1] = v > 0 ? 1 : (v < 0 ? -1 : 0)
            } else {
                out[2 * k] = -1
                out[2 * k + 1] = scale * v
            }
        }
        return Tensor(shape: [g.count, 2], scalars: out)
    }

    /// One step for every coordinate: the update `Δ` (`[rows]`) and the new state, from the
    /// gradient `g` (`rows` coordinates, a constant: the optimizee's second derivatives are not
    /// followed, [L2L] §2) — on `context`'s tape when it has one.
    public func step(gradient g: Tensor<Scalar>, state: State, context: ForwardContext<Scalar>) throws -> (delta: Variable<Scalar>, state: State) {
        let input = Variable(constant: preprocess(g))
        let s1 = try lstm1(input, state: state.layer1, context: context)
        let s2 = try lstm2(s1.h, state: state.layer2, context: context)
        let out = try output(s2.h, context: context)
        return (out.reshaped([g.count]) * Scalar(outputScale), State(layer1: s1, layer2: s2))
    }
}

/// The tape-free optimizer made from a trained `LSTMOptimizerNet` (it shares the network: later
/// changes of θ change it too): usable wherever a parameter
/// optimizer is (`l2o train --optimizer learned:CHECKPOINT`, `minimize`). Its state per parameter is
/// the network's recurrent state of each coordinate, kept as `4·H` slots shaped like the
/// parameter (`h1.k`, `c1.k`, `h2.k`, `c2.k` for hidden unit k), so it checkpoints like any
/// optimizer state.
public struct LSTMOptimizer<Scalar: TensorScalar>: ParameterOptimizer {
    public let net: LSTMOptimizerNet<Scalar>
    public var name: String
    /// Only the non-finite guard applies (the network chooses the update); clipping, schedules
    /// and weight decay are refused by `setHyperParameter`.
    public var processing = GradientProcessing()

    public init(net: LSTMOptimizerNet<Scalar>, name: String = "learned-lstm") {
        self.net = net
        self.name = name
    }

    public var hyperParameters: [String: Double] { [:] }
    public mutating func setHyperParameter(_ key: String, to value: Double) throws {
        throw OptimizerError.unknownHyperParameter(optimizer: name, name: key, known: [])
    }

    public var slotNames: [String] {
        Self.stateKinds.flatMap { kind in (0..<net.hiddenSize).map { "\(kind).\($0)" } }
    }

    public func makeState(for parameters: NamedParameters<Scalar>) -> OptimizerState<Scalar> {
        var state = OptimizerState<Scalar>(parameters: parameters.map { ($0.name, $0.parameter.shape) })
        for slot in slotNames {
            state.slots[slot] = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, Tensor<Scalar>.zeros($0.parameter.shape)) })
        }
        return state
    }

    static var stateKinds: [String] { ["h1", "c1", "h2", "c2"] }

    /// Gathers one parameter's recurrent state into `[count, H]` matrices.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func gather(_ state: OptimizerState<Scalar>, _ name: String, count: Int) -> [Tensor<Scalar>] {
        let H = net.hiddenSize
        return Self.stateKinds.map { kind in
            let columns = (0..<H).map { state.slots["\(kind).\($0)"]![name]! }
            return Tensor(shape: [count, H]) { out in
                for (k, column) in columns.enumerated() {
                    column.withUnsafeBufferPointer { c in for r in 0..<count { out[r * H + k] = c[r] } }
                }
            }
        }
    }

    /// Writes `[count, H]` matrices back into one parameter's slots.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func scatter(_ mats: [Tensor<Scalar>], into slots: inout [String: [String: Tensor<Scalar>]], _ name: String, shape: [Int]) {
        let H = net.hiddenSize, count = shape.reduce(1, *)
        for (kind, m) in zip(Self.stateKinds, mats) {
            m.withUnsafeBufferPointer { ms in
                for k in 0..<H {
                    slots["\(kind).\(k)"]![name] = Tensor(shape: shape) { out in for r in 0..<count { out[r] = ms[r * H + k] } }
                }
            }
        }
    }

    public func step(_ state: inout OptimizerState<Scalar>, parameters: NamedParameters<Scalar>, context: StepContext<Scalar>) throws -> StepReport {
        try state.validate(against: parameters)
        let withGrad = parameters.filter { $0.parameter.grad != nil }
        let norm = globalNorm(withGrad.map { $0.parameter.grad! })
        func skip(_ reason: String) -> StepReport {
            state.skippedSteps += 1
            return StepReport(applied: false, skipReason: reason, learningRate: .nan, gradientNorm: norm, clipped: false)
        }
        if processing.skipNonFiniteUpdates, let loss = context.loss, !loss.isFinite { return skip("non-finite loss \(loss)") }
        if processing.skipNonFiniteUpdates, !norm.isFinite { return skip("non-finite gradient norm \(norm)") }
        let free = ForwardContext<Scalar>(tape: nil)
        var newValues = [Tensor<Scalar>](), slots = state.slots
        for (name, p) in withGrad {
            let g = p.grad!
            let mats = gather(state, name, count: g.count)
            let s = LSTMOptimizerNet<Scalar>.State(layer1: (Variable(constant: mats[0]), Variable(constant: mats[1])),
                                                   layer2: (Variable(constant: mats[2]), Variable(constant: mats[3])))
            let (delta, next) = try net.step(gradient: g, state: s, context: free)
            let v = p.value + delta.value.reshaped(p.shape)
            if processing.skipNonFiniteUpdates, !allFinite([v]) { return skip("non-finite update of '\(name)'") }
            newValues.append(v)
            scatter([next.layer1.h.value, next.layer1.c.value, next.layer2.h.value, next.layer2.c.value], into: &slots, name, shape: p.shape)
        }
        for (k, (_, p)) in withGrad.enumerated() { p.value = newValues[k] }
        state.slots = slots
        state.step += 1
        // No learning rate: the network chooses each coordinate's step.
        return StepReport(applied: true, learningRate: .nan, gradientNorm: norm, clipped: false)
    }
}
