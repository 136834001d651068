import L2OCore
import L2ONN

/// An optimizer's state as a value: per-parameter tensors grouped in named *slots* (Adam's
/// `exp_avg`, `exp_avg_sq`; a learned optimizer's LSTM states), plus scalar values (NAdam's
/// running μ product), keyed by parameter **name** — never by position — so a state saved from one
/// run loads into a fresh model whose parameters are listed in another order.
///
/// Copying a state is O(1) (tensors are copy-on-write); `step` mutates it in place.
public struct OptimizerState<Scalar: TensorScalar>: Equatable {
    /// The parameter names and shapes the state was made for, in the order given to `makeState`.
    public internal(set) var parameters: [(name: String, shape: [Int])]
    /// `slots[slot][parameterName]`.
    public var slots: [String: [String: Tensor<Scalar>]]
    /// Scalar state beyond the step count (e.g. `mu_product` of NAdam).
    public var values: [String: Double]
    /// Number of updates applied (the `t` of bias corrections); skipped steps do not count.
    public var step: Int
    /// Number of steps rejected by the non-finite guard.
    public var skippedSteps: Int
    /// Scratch space an optimizer may keep between steps (BADM's pass buffers); not part of the
    /// state's value: not compared, not exported.
    var scratch: Any?

    public init(parameters: [(name: String, shape: [Int])], slots: [String: [String: Tensor<Scalar>]] = [:],
                values: [String: Double] = [:], step: Int = 0, skippedSteps: Int = 0) {
        self.parameters = parameters
        self.slots = slots
        self.values = values
        self.step = step
        self.skippedSteps = skippedSteps
    }

    public static func == (a: OptimizerState, b: OptimizerState) -> Bool {
        a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.shape) == b.parameters.map(\.shape)
            && a.slots == b.slots && a.values == b.values && a.step == b.step && a.skippedSteps == b.skippedSteps
    }

    /// Throws `stateDoesNotMatchParameters` unless `named` lists exactly the names and shapes the
    /// state was made for (in any order).
    public func validate(against named: NamedParameters<Scalar>) throws {
        guard named.count == parameters.count else {
            throw OptimizerError.stateDoesNotMatchParameters(
                detail: "state has \(parameters.count) parameters, step got \(named.count)")
        }
        let shapes = Dictionary(parameters.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
        for (name, p) in named {
            guard let s = shapes[name] else {
                throw OptimizerError.stateDoesNotMatchParameters(detail: "no state for parameter '\(name)'")
            }
            guard s == p.shape else {
                throw OptimizerError.stateDoesNotMatchParameters(
                    detail: "parameter '\(name)' has shape \(p.shape), state was made for \(s)")
            }
        }
    }
}

/// Optimizer state flattened to what a checkpoint section holds: named tensors and named numbers.
///
/// Tensor names are `<slot>.<parameter name>` (`exp_avg.layers.0.weight`), so in an HDF5
/// checkpoint they become groups `exp_avg/layers/0/weight`. Values always include `step` and
/// `skipped_steps`.
public struct ExportedOptimizerState<Scalar: TensorScalar>: Equatable {
    public var tensors: [String: Tensor<Scalar>]
    public var values: [String: Double]
    public init(tensors: [String: Tensor<Scalar>] = [:], values: [String: Double] = [:]) {
        self.tensors = tensors
        self.values = values
    }
}

extension OptimizerState {
    /// The state as named tensors and values (see `ExportedOptimizerState`).
    public func exported() -> ExportedOptimizerState<Scalar> {
        var out = ExportedOptimizerState<Scalar>(values: values)
        for (slot, byName) in slots {
            for (name, t) in byName { out.tensors[slot + "." + name] = t }
        }
        out.values["step"] = Double(step)
        out.values["skipped_steps"] = Double(skippedSteps)
        return out
    }

    /// Slots that hold running means or sums of squares (never negative).
    static var nonNegativeSlots: [String] { ["exp_avg_sq", "square_avg", "sum", "second_moment"] }

    /// A step counter read from an export: a whole number in `0...10¹⁵`.
    public static func counter(_ v: Double, name: String) throws -> Int {
        guard v.isFinite, v >= 0, v <= 1e15, v == v.rounded() else {
            throw OptimizerError.invalidStateValue(name: name, detail: "is \(v); a whole number ≥ 0 is required")
        }
        return Int(v)
    }

    /// Rebuilds a state for `parameters` from an export, matching tensors by name.
    ///
    /// Every `slot.parameter` must be present (`missingStateTensor`) with the parameter's shape
    /// (`stateShapeMismatch`), no other tensor may be present (`unexpectedStateTensor`), and every
    /// name in `valueNames` plus `step` must be present (`missingStateValue`). All or nothing.
    public static func imported(
        _ export: ExportedOptimizerState<Scalar>, slots slotNames: [String], valueNames: [String],
        for parameters: NamedParameters<Scalar>
    ) throws -> OptimizerState {
        var state = OptimizerState(parameters: parameters.map { ($0.name, $0.parameter.shape) })
        var used = Set<String>()
        for slot in slotNames {
            var byName = [String: Tensor<Scalar>]()
            for (name, p) in parameters {
                let key = slot + "." + name
                guard let t = export.tensors[key] else { throw OptimizerError.missingStateTensor(name: key) }
                guard t.shape == p.shape else {
                    throw OptimizerError.stateShapeMismatch(name: key, expected: p.shape, actual: t.shape)
                }
                let bad = t.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
                guard bad == 0 else { throw OptimizerError.invalidStateValue(name: key, detail: "holds \(bad) NaN or infinite value(s)") }
                if nonNegativeSlots.contains(where: { slot.hasPrefix($0) }), let m = t.scalars.min(), m < 0 {
                    throw OptimizerError.invalidStateValue(name: key, detail: "is a running mean of squares but holds a negative value (\(m))")
                }
                byName[name] = t
                used.insert(key)
            }
            state.slots[slot] = byName
        }
        if let extra = export.tensors.keys.filter({ !used.contains($0) }).sorted().first {
            throw OptimizerError.unexpectedStateTensor(name: extra)
        }
        guard let step = export.values["step"] else { throw OptimizerError.missingStateValue(name: "step") }
        state.step = try counter(step, name: "step")
        state.skippedSteps = try counter(export.values["skipped_steps"] ?? 0, name: "skipped_steps")
        for name in valueNames {
            guard let v = export.values[name] else { throw OptimizerError.missingStateValue(name: name) }
            guard v.isFinite else { throw OptimizerError.invalidStateValue(name: name, detail: "is \(v); a finite number is required") }
            state.values[name] = v
        }
        return state
    }
}
