import L2OCore
import L2ONN

/// What the caller knows at a step: the 0-based iteration index (drives the learning-rate schedule
/// and, for learned optimizers, their iteration features), the current loss value (a learned
/// optimizer's input; the non-finite guard also checks it) and, for optimizers that take
/// gradients at points of their own (`needsSubBatchGradients`, BADM), the batch as an oracle.
public struct StepContext<Scalar: TensorScalar> {
    public var iteration: Int
    public var loss: Scalar?
    public var subBatches: SubBatchOracle<Scalar>?
    public init(iteration: Int, loss: Scalar? = nil, subBatches: SubBatchOracle<Scalar>? = nil) {
        self.iteration = iteration
        self.loss = loss
        self.subBatches = subBatches
    }
}

/// The current batch as an oracle: the mean loss over any contiguous range of its samples and its
/// gradient, at weights the optimizer chooses ([BADM] eq. (5) takes each sub-batch's gradient at
/// the previous aggregate). Called **concurrently** (one call per sub-batch), so the closure must
/// not share mutable state between calls — in particular not `Parameter.grad`.
public struct SubBatchOracle<Scalar: TensorScalar> {
    /// Samples in the batch.
    public let sampleCount: Int
    /// The batch's position in its epoch and the epoch's number of batches (for optimizers that
    /// keep state per batch, e.g. BADM with `.perBatchAndSubBatch` duals).
    public let batchIndex: Int, batchCount: Int
    let body: (Range<Int>, [Tensor<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>])

    public init(sampleCount: Int, batchIndex: Int = 0, batchCount: Int = 1,
                _ body: @escaping (_ samples: Range<Int>, _ weights: [Tensor<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>])) {
        self.sampleCount = sampleCount
        self.batchIndex = batchIndex
        self.batchCount = batchCount
        self.body = body
    }

    /// The mean loss over `samples` at `weights` and its gradient (one tensor per weight tensor).
    public func lossAndGradient(samples: Range<Int>, at weights: [Tensor<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>]) {
        try body(samples, weights)
    }
}

/// What a step did.
public struct StepReport: Equatable, Sendable {
    /// Whether the update was applied (false: rejected by the non-finite guard).
    public var applied: Bool
    /// Why the step was skipped, when it was.
    public var skipReason: String?
    /// The learning rate `lr_t` used.
    public var learningRate: Double
    /// The global gradient norm before clipping.
    public var gradientNorm: Double
    /// Whether clipping scaled the gradient.
    public var clipped: Bool
    /// The loss the optimizer evaluated itself, when it did (BADM: the α-weighted mean of its
    /// sub-batch losses, each at the point its gradient was taken); nil otherwise.
    public var loss: Double?
    public init(applied: Bool, skipReason: String? = nil, learningRate: Double, gradientNorm: Double, clipped: Bool, loss: Double? = nil) {
        self.applied = applied
        self.skipReason = skipReason
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.clipped = clipped
        self.loss = loss
    }
}

/// An optimizer over named parameters (see `docs/optimizers.md`).
///
/// - State is a value (`OptimizerState`) made by `makeState(for:)` and threaded through `step`,
///   so one optimizer value can drive many runs and a state can be copied, saved and restored.
/// - `step` reads each parameter's accumulated gradient (`Parameter.grad`; parameters without one
///   are left alone, as in PyTorch) and writes the new values into `Parameter.value`.
/// - Hyper-parameters are readable (`hyperParameters`) and changeable mid-run
///   (`setHyperParameter`), validated with typed errors.
/// - State export/import is keyed by parameter name (`exportState`, `importState`).
///
/// The refinement of `Optimizer` for optimizers that update a model's parameters in place
/// (SGD, Momentum, Nesterov, Adam, AdamW, RMSProp, AdaGrad, NAdam, BADM, the learned LSTM
/// optimizer): on an `Optimizee` they step the flat vector `x` as one parameter whose gradient is
/// `∇f(x)` (BADM: whose shards are the sub-batches), then the prox of `r` with the step's learning
/// rate; a `Trainer` steps a model's named parameters directly.
public protocol ParameterOptimizer<Scalar>: Optimizer where State == FlatParameterState<Scalar> {
    /// Names of the per-parameter state tensors, e.g. `["exp_avg", "exp_avg_sq"]`.
    var slotNames: [String] { get }
    /// Names of the scalar state values besides `step` (e.g. `["mu_product"]`).
    var stateValueNames: [String] { get }
    /// Whether `step` takes its gradients from `StepContext.subBatches` at points of its own
    /// instead of from `Parameter.grad` (BADM); callers then supply the oracle and need not
    /// backpropagate. False by default.
    var needsSubBatchGradients: Bool { get }
    /// A fresh state for these parameters.
    func makeState(for parameters: NamedParameters<Scalar>) -> OptimizerState<Scalar>
    /// One update of `parameters` from their gradients.
    func step(_ state: inout OptimizerState<Scalar>, parameters: NamedParameters<Scalar>, context: StepContext<Scalar>) throws -> StepReport
    /// Rebuilds a state for `parameters` from an export (typed errors on missing, extra or
    /// mis-shaped tensors); the default matches `slotNames` × parameter names.
    func importState(_ export: ExportedOptimizerState<Scalar>, for parameters: NamedParameters<Scalar>) throws -> OptimizerState<Scalar>
}

extension ParameterOptimizer {
    public var stateValueNames: [String] { [] }
    public var needsSubBatchGradients: Bool { false }

    /// The state as named tensors and values (tensor names `<slot>.<parameter>`).
    public func exportState(_ state: OptimizerState<Scalar>) -> ExportedOptimizerState<Scalar> { state.exported() }

    /// Rebuilds a state for `parameters` from an export; typed errors on missing, extra or
    /// mis-shaped tensors (see `OptimizerState.imported`).
    public func importState(_ export: ExportedOptimizerState<Scalar>, for parameters: NamedParameters<Scalar>) throws -> OptimizerState<Scalar> {
        try OptimizerState.imported(export, slots: slotNames, valueNames: stateValueNames, for: parameters)
    }

    /// `step` with the iteration taken as the number of steps applied and skipped so far.
    @discardableResult
    public func step(_ state: inout OptimizerState<Scalar>, parameters: NamedParameters<Scalar>) throws -> StepReport {
        try step(&state, parameters: parameters, context: StepContext(iteration: state.step + state.skippedSteps))
    }
}

/// An optimizer whose rule acts on each parameter separately and elementwise, given per-step
/// coefficients (all the classic ones). It gets `makeState` and `step` — clipping, schedule,
/// decoupled weight decay and the non-finite guard around its rule — for free.
public protocol ElementwiseOptimizer: ParameterOptimizer {
    associatedtype Coefficients
    /// Clipping, schedule, decoupled weight decay and the non-finite guard.
    var processing: GradientProcessing { get set }
    /// The base learning rate `lr`.
    var learningRate: Double { get }
    /// The initial value of every slot entry (0 unless the method says otherwise).
    var initialSlotValue: Double { get }
    /// Per-step numbers for the rule at update count `t` = 1, 2, … and rate `lr_t`; may update
    /// scalar state in `values` (NAdam's μ product).
    func coefficients(step t: Int, learningRate lr: Double, values: inout [String: Double]) -> Coefficients
    /// The change `Δ` of one parameter with value `p` and gradient `g`; updates that parameter's
    /// slots (in `slotNames` order) in place.
    func delta(parameter p: Tensor<Scalar>, gradient g: Tensor<Scalar>, slots: inout [Tensor<Scalar>], coefficients: Coefficients) -> Tensor<Scalar>
}

extension ElementwiseOptimizer {
    public var initialSlotValue: Double { 0 }

    public func makeState(for parameters: NamedParameters<Scalar>) -> OptimizerState<Scalar> {
        var state = OptimizerState<Scalar>(parameters: parameters.map { ($0.name, $0.parameter.shape) })
        for slot in slotNames {
            state.slots[slot] = Dictionary(uniqueKeysWithValues: parameters.map {
                ($0.name, Tensor<Scalar>(repeating: Scalar(initialSlotValue), shape: $0.parameter.shape))
            })
        }
        for name in stateValueNames { state.values[name] = initialValue(name) }
        return state
    }

    func initialValue(_ name: String) -> Double { name == "mu_product" ? 1 : 0 }

    public func step(_ state: inout OptimizerState<Scalar>, parameters: NamedParameters<Scalar>, context: StepContext<Scalar>) throws -> StepReport {
        try state.validate(against: parameters)
        let lr = learningRate * processing.schedule.multiplier(at: context.iteration)
        let withGrad = parameters.filter { $0.parameter.grad != nil }
        var grads = withGrad.map { $0.parameter.grad! }
        let norm = globalNorm(grads)
        var clipped = false
        if let c = processing.clipNorm, norm > c, norm.isFinite {
            grads = clipByGlobalNorm(grads, maxNorm: c).tensors
            clipped = true
        }
        func skip(_ reason: String) -> StepReport {
            state.skippedSteps += 1
            return StepReport(applied: false, skipReason: reason, learningRate: lr, gradientNorm: norm, clipped: clipped)
        }
        let guarding = processing.skipNonFiniteUpdates
        if guarding, let loss = context.loss, !loss.isFinite { return skip("non-finite loss \(loss)") }
        if guarding, !norm.isFinite { return skip("non-finite gradient norm \(norm)") }

        let t = state.step + 1
        var values = state.values
        let coeff = coefficients(step: t, learningRate: lr, values: &values)
        let decay = Scalar(lr * processing.weightDecay)
        var newValues = [Tensor<Scalar>]()
        var newSlots = [[Tensor<Scalar>]]()
        newValues.reserveCapacity(withGrad.count)
        for (k, (name, p)) in withGrad.enumerated() {
            var slots = slotNames.map { state.slots[$0]![name]! }
            var v = applying(delta(parameter: p.value, gradient: grads[k], slots: &slots, coefficients: coeff), to: p.value)
            if decay != 0, processing.weightDecayFilter.decays(name, p.shape) { v.addScaled(p.value, -decay) }
            if guarding, !allFinite([v] + slots) {
                return skip("non-finite update of '\(name)'")
            }
            newValues.append(v)
            newSlots.append(slots)
        }
        if guarding, values.values.contains(where: { !$0.isFinite }) { return skip("non-finite optimizer state value") }
        for (k, (name, p)) in withGrad.enumerated() {
            p.value = newValues[k]
            for (j, slot) in slotNames.enumerated() { state.slots[slot]![name] = newSlots[k][j] }
        }
        state.values = values
        state.step = t
        return StepReport(applied: true, learningRate: lr, gradientNorm: norm, clipped: clipped)
    }
}

/// Shared hyper-parameter checks with messages that say what to use instead.
enum Check {
    static func nonNegative(_ opt: String, _ name: String, _ v: Double, usual: String) throws {
        guard v >= 0 && v.isFinite else {
            throw OptimizerError.invalidHyperParameter(optimizer: opt, name: name, value: v, requirement: "must be ≥ 0 and finite (\(usual))")
        }
    }
    static func positive(_ opt: String, _ name: String, _ v: Double, usual: String) throws {
        guard v > 0 && v.isFinite else {
            throw OptimizerError.invalidHyperParameter(optimizer: opt, name: name, value: v, requirement: "must be > 0 and finite (\(usual))")
        }
    }
    static func unitInterval(_ opt: String, _ name: String, _ v: Double, usual: String) throws {
        guard v >= 0 && v < 1 else {
            throw OptimizerError.invalidHyperParameter(optimizer: opt, name: name, value: v, requirement: "must lie in [0, 1) (\(usual))")
        }
    }
    static func unknown(_ opt: String, _ name: String, _ known: [String: Double]) -> OptimizerError {
        .unknownHyperParameter(optimizer: opt, name: name, known: Array(known.keys))
    }
}
