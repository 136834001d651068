import L2OCore
import L2ONN

/// One link of a gradient-processing chain, in the manner of optax's `GradientTransformation`:
/// it maps the updates of every parameter (initially the gradients, "gradient-like" until
/// `ScaleByLearningRate` turns them into changes) to new updates, with its own state. Links
/// compose in any order with `Chain`, which is a `ParameterOptimizer` — e.g. AdamW with warm-up,
/// clipping and an average of the parameters:
/// ```swift
/// Chain([try ClipByGlobalNorm(1), try ScaleByRule(try Adam<Float>()), try AddDecayedWeights(0.01),
///        try ScaleByLearningRate(1e-3, schedule: .linearWarmup(steps: 100, then: .constant)),
///        NonFiniteGuard(), try ParameterEMA(decay: 0.999)])
/// ```
public protocol GradientTransformation<Scalar> {
    associatedtype Scalar: TensorScalar
    /// A short name (`clip`, `adam`, `lr`, …), part of the chain's state names.
    var name: String { get }
    /// Per-parameter state tensors (shaped like the parameter).
    var slotNames: [String] { get }
    /// Scalar state values.
    var valueNames: [String] { get }
    /// Hyper-parameters by name.
    var hyperParameters: [String: Double] { get }
    /// The initial value of a slot for a parameter (zeros unless the link says otherwise).
    func initialSlot(_ slot: String, parameter: Tensor<Scalar>) -> Tensor<Scalar>
    /// Transforms `updates` (one per parameter, aligned with `parameters`) at 0-based step `t` (steps
    /// applied so far: bias corrections) and `iteration` (the caller's iteration, steps skipped by
    /// the guard included: schedules), reading and writing `slots[s][k]` (slot `s` of parameter
    /// `k`) and `values`. Returns a reason to skip the whole step (nothing is then applied or
    /// kept), or nil.
    func apply(_ updates: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], slots: inout [[Tensor<Scalar>]],
               values: inout [String: Double], step t: Int, iteration: Int) -> String?
}

extension GradientTransformation {
    public var slotNames: [String] { [] }
    public var valueNames: [String] { [] }
    public var hyperParameters: [String: Double] { [:] }
    public func initialSlot(_ slot: String, parameter: Tensor<Scalar>) -> Tensor<Scalar> { .zeros(parameter.shape) }
}

/// Scales all updates together so that their global ℓ₂ norm is at most `maxNorm`.
public struct ClipByGlobalNorm<Scalar: TensorScalar>: GradientTransformation {
    public let maxNorm: Double
    public init(_ maxNorm: Double) throws {
        try Check.positive("clip", "max_norm", maxNorm, usual: "e.g. 1")
        self.maxNorm = maxNorm
    }
    public var name: String { "clip" }
    public var hyperParameters: [String: Double] { ["max_norm": maxNorm] }
    public func apply(_ updates: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], slots: inout [[Tensor<Scalar>]],
                      values: inout [String: Double], step t: Int, iteration: Int) -> String? {
        let norm = globalNorm(updates)
        if norm > maxNorm, norm.isFinite { updates = clipByGlobalNorm(updates, maxNorm: maxNorm).tensors }
        return nil
    }
}

/// The direction of an elementwise optimizer's rule (Adam, RMSProp, NAdam, …) at unit learning
/// rate, as a gradient-like update (`−Δ` of the rule at `lr = 1`), keeping the rule's slots.
public struct ScaleByRule<Rule: ElementwiseOptimizer>: GradientTransformation {
    public typealias Scalar = Rule.Scalar
    public let rule: Rule
    /// Throws when the rule carries its own processing (clipping, a schedule, weight decay): in a
    /// chain those are links of their own, and `ScaleByRule` uses only the rule's direction.
    public init(_ rule: Rule) throws {
        let p = rule.processing
        guard p.clipNorm == nil, p.weightDecay == 0, p.schedule == .constant else {
            throw OptimizerError.invalidArgument(
                operation: "ScaleByRule(\(rule.name))",
                message: "the rule has its own clipping, schedule or weight decay; in a chain use ClipByGlobalNorm, ScaleByLearningRate and AddDecayedWeights links instead")
        }
        self.rule = rule
    }
    public var name: String { rule.name }
    public var slotNames: [String] { rule.slotNames }
    public var valueNames: [String] { rule.stateValueNames }
    public var hyperParameters: [String: Double] { rule.hyperParameters.filter { $0.key != "lr" && $0.key != "weight_decay" } }
    public func initialSlot(_ slot: String, parameter: Tensor<Scalar>) -> Tensor<Scalar> {
        Tensor(repeating: Scalar(rule.initialSlotValue), shape: parameter.shape)
    }
    public func apply(_ updates: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], slots: inout [[Tensor<Scalar>]],
                      values: inout [String: Double], step t: Int, iteration: Int) -> String? {
        for name in rule.stateValueNames where values[name] == nil { values[name] = name == "mu_product" ? 1 : 0 }
        let c = rule.coefficients(step: t + 1, learningRate: 1, values: &values)
        for k in updates.indices {
            var mine = slots.indices.map { slots[$0][k] }
            updates[k] = rule.delta(parameter: parameters[k], gradient: updates[k], slots: &mine, coefficients: c) * -1
            for s in slots.indices { slots[s][k] = mine[s] }
        }
        return nil
    }
}

/// Adds `weightDecay · p` to each update (decoupled weight decay when placed before
/// `ScaleByLearningRate`, as in AdamW).
public struct AddDecayedWeights<Scalar: TensorScalar>: GradientTransformation {
    public let weightDecay: Double
    public init(_ weightDecay: Double) throws {
        try Check.nonNegative("weight_decay", "weight_decay", weightDecay, usual: "e.g. 0.01")
        self.weightDecay = weightDecay
    }
    public var name: String { "decay" }
    public var hyperParameters: [String: Double] { ["weight_decay": weightDecay] }
    public func apply(_ updates: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], slots: inout [[Tensor<Scalar>]],
                      values: inout [String: Double], step t: Int, iteration: Int) -> String? {
        for k in updates.indices where weightDecay != 0 { updates[k].addScaled(parameters[k], Scalar(weightDecay)) }
        return nil
    }
}

/// Turns gradient-like updates into changes: `u ← −lr · schedule(t) · u` (warm-up, cosine and
/// step decay are schedules).
public struct ScaleByLearningRate<Scalar: TensorScalar>: GradientTransformation {
    public let learningRate: Double
    public let schedule: LearningRateSchedule
    public init(_ learningRate: Double, schedule: LearningRateSchedule = .constant) throws {
        try Check.positive("lr", "lr", learningRate, usual: "e.g. 1e-3")
        try schedule.validate(optimizer: "lr")
        self.learningRate = learningRate
        self.schedule = schedule
    }
    public var name: String { "lr" }
    public var hyperParameters: [String: Double] { ["lr": learningRate] }
    public func apply(_ updates: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], slots: inout [[Tensor<Scalar>]],
                      values: inout [String: Double], step t: Int, iteration: Int) -> String? {
        let s = Scalar(-learningRate * schedule.multiplier(at: iteration))
        for k in updates.indices { updates[k] = updates[k] * s }
        return nil
    }
}

/// Skips the whole step when any update (or state value) is NaN or infinite.
public struct NonFiniteGuard<Scalar: TensorScalar>: GradientTransformation {
    public init() {}
    public var name: String { "guard" }
    public func apply(_ updates: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], slots: inout [[Tensor<Scalar>]],
                      values: inout [String: Double], step t: Int, iteration: Int) -> String? {
        guard allFinite(updates) else { return "non-finite update" }
        return values.values.allSatisfy(\.isFinite) ? nil : "non-finite state value"
    }
}

/// Keeps an exponential moving average of the parameters after each step,
/// `p̄ ← β p̄ + (1 − β)(p + u)` (place it last, where `u` is the change), starting at the initial
/// parameters; `Chain.averagedParameters` reads it. The updates pass unchanged.
public struct ParameterEMA<Scalar: TensorScalar>: GradientTransformation {
    public let decay: Double
    public init(decay: Double) throws {
        try Check.unitInterval("ema", "decay", decay, usual: "e.g. 0.999")
        self.decay = decay
    }
    public var name: String { "ema" }
    public var slotNames: [String] { ["average"] }
    public var hyperParameters: [String: Double] { ["decay": decay] }
    public func initialSlot(_ slot: String, parameter: Tensor<Scalar>) -> Tensor<Scalar> { parameter }
    public func apply(_ updates: inout [Tensor<Scalar>], parameters: [Tensor<Scalar>], slots: inout [[Tensor<Scalar>]],
                      values: inout [String: Double], step t: Int, iteration: Int) -> String? {
        let b = Scalar(decay)
        for k in updates.indices { slots[0][k] = slots[0][k] * b + (parameters[k] + updates[k]) * (1 - b) }
        return nil
    }
}

/// A chain of gradient transformations as a `ParameterOptimizer`: the gradients pass through the
/// links in order and the result is added to the parameters. State names are
/// `<link index>.<link name>.<slot>`; a skipped step leaves parameters and state unchanged.
public struct Chain<Scalar: TensorScalar>: ParameterOptimizer {
    public let links: [any GradientTransformation<Scalar>]
    /// Unused: clipping, schedules, weight decay and the guard are links of the chain.
    public var processing = GradientProcessing()

    public init(_ links: [any GradientTransformation<Scalar>]) { self.links = links }

    public var name: String { "chain(" + links.map(\.name).joined(separator: ",") + ")" }

    public var hyperParameters: [String: Double] {
        var out = [String: Double]()
        for (i, l) in links.enumerated() { for (k, v) in l.hyperParameters { out["\(i).\(l.name).\(k)"] = v } }
        return out
    }

    /// Links are immutable: build a new chain to change one.
    public mutating func setHyperParameter(_ key: String, to value: Double) throws {
        throw OptimizerError.unknownHyperParameter(optimizer: name, name: key, known: [])
    }

    func prefix(_ i: Int) -> String { "\(i).\(links[i].name)." }
    public var slotNames: [String] { links.indices.flatMap { i in links[i].slotNames.map { prefix(i) + $0 } } }
    public var stateValueNames: [String] { links.indices.flatMap { i in links[i].valueNames.map { prefix(i) + $0 } } }

    public func makeState(for parameters: NamedParameters<Scalar>) -> OptimizerState<Scalar> {
        var state = OptimizerState<Scalar>(parameters: parameters.map { ($0.name, $0.parameter.shape) })
        for (i, l) in links.enumerated() {
            for slot in l.slotNames {
                state.slots[prefix(i) + slot] = Dictionary(uniqueKeysWithValues: parameters.map {
                    ($0.name, l.initialSlot(slot, parameter: $0.parameter.value))
                })
            }
            for v in l.valueNames { state.values[prefix(i) + v] = v == "mu_product" ? 1 : 0 }
        }
        return state
    }

    /// The parameter averages kept by the first `ParameterEMA` link, by parameter name.
    public func averagedParameters(_ state: OptimizerState<Scalar>) -> [String: Tensor<Scalar>]? {
        guard let i = links.firstIndex(where: { $0 is ParameterEMA<Scalar> }) else { return nil }
        return state.slots[prefix(i) + "average"]
    }

    public func step(_ state: inout OptimizerState<Scalar>, parameters: NamedParameters<Scalar>, context: StepContext<Scalar>) throws -> StepReport {
        try state.validate(against: parameters)
        let withGrad = parameters.filter { $0.parameter.grad != nil }
        var updates = withGrad.map { $0.parameter.grad! }
        let values0 = withGrad.map { $0.parameter.value }
        let norm = globalNorm(updates)
        let t = state.step
        // The rate of the first learning-rate link (the prox step of `r` on an optimizee needs it).
        let lr = links.lazy.compactMap { $0 as? ScaleByLearningRate<Scalar> }.first
            .map { $0.learningRate * $0.schedule.multiplier(at: context.iteration) } ?? .nan
        let clipped = links.lazy.compactMap { $0 as? ClipByGlobalNorm<Scalar> }.first.map { norm > $0.maxNorm } ?? false
        func skip(_ reason: String) -> StepReport {
            state.skippedSteps += 1
            return StepReport(applied: false, skipReason: reason, learningRate: lr, gradientNorm: norm, clipped: clipped)
        }
        var newSlots = state.slots, newValues = state.values
        for (i, l) in links.enumerated() {
            let names = l.slotNames.map { prefix(i) + $0 }
            var slots = names.map { n in withGrad.map { newSlots[n]![$0.name]! } }
            var values = Dictionary(uniqueKeysWithValues: l.valueNames.map { ($0, newValues[prefix(i) + $0] ?? 0) })
            if let reason = l.apply(&updates, parameters: values0, slots: &slots, values: &values, step: t, iteration: context.iteration) {
                return skip(reason)
            }
            for (s, n) in names.enumerated() { for (k, p) in withGrad.enumerated() { newSlots[n]![p.name] = slots[s][k] } }
            for (k, v) in values { newValues[prefix(i) + k] = v }
        }
        // With a guard in the chain, the whole new state must be finite too (a later link's state,
        // or a moment that overflowed while its update stayed finite).
        if links.contains(where: { $0 is NonFiniteGuard<Scalar> }) {
            guard allFinite(updates), newSlots.values.allSatisfy({ allFinite(Array($0.values)) }),
                  newValues.values.allSatisfy(\.isFinite) else { return skip("non-finite update or optimizer state") }
        }
        for (k, (_, p)) in withGrad.enumerated() { p.value = values0[k] + updates[k] }
        state.slots = newSlots
        state.values = newValues
        state.step = t + 1
        return StepReport(applied: true, learningRate: lr, gradientNorm: norm, clipped: clipped)
    }
}
