import L2OCore
import L2ONN

/// BADM's engine state (what `BADM.pass` works on; `step` keeps it in an `OptimizerState`): duals `π` and second moments `m` per dual slot (a sub-batch slot `n`,
/// or a pair `(b, n)` at index `b·N_b + n`), each a list of tensors in parameter order.
struct BADMState<Scalar: TensorScalar>: Equatable {
    public internal(set) var parameters: [(name: String, shape: [Int])]
    public let bookkeeping: DualBookkeeping
    public let subBatchCount: Int
    /// Number of batches the duals are indexed by (`.perBatchAndSubBatch`), else 0.
    public let batchCount: Int
    public var duals: [[Tensor<Scalar>]]
    public var secondMoments: [[Tensor<Scalar>]]
    public var passes: Int = 0
    public var skippedBatches: Int = 0
    /// Scratch space reused by `BADM.pass` (not part of the state's value: not compared, not exported).
    var workspace: BADMWorkspace<Scalar>?

    public static func == (a: BADMState, b: BADMState) -> Bool {
        a.parameters.map(\.name) == b.parameters.map(\.name) && a.bookkeeping == b.bookkeeping
            && a.subBatchCount == b.subBatchCount && a.batchCount == b.batchCount && a.duals == b.duals
            && a.secondMoments == b.secondMoments && a.passes == b.passes && a.skippedBatches == b.skippedBatches
    }

    /// Scalars held: `2 × slots × d` (the memory the bookkeeping choice is about).
    public var scalarCount: Int { (duals + secondMoments).reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }

    func slotName(_ k: Int) -> String {
        bookkeeping == .perSubBatchSlot ? "n\(k)" : "b\(k / subBatchCount).n\(k % subBatchCount)"
    }

    func validate(against named: NamedParameters<Scalar>, optimizer: BADM<Scalar>) throws {
        guard named.map(\.name) == parameters.map(\.name), named.map(\.parameter.shape) == parameters.map(\.shape) else {
            throw OptimizerError.stateDoesNotMatchParameters(detail: "BADM state was made for \(parameters.map(\.name))")
        }
        guard bookkeeping == optimizer.bookkeeping, subBatchCount == optimizer.subBatchCount else {
            throw OptimizerError.stateDoesNotMatchParameters(
                detail: "state has \(bookkeeping.rawValue) with \(subBatchCount) sub-batches, the optimizer \(optimizer.bookkeeping.rawValue) with \(optimizer.subBatchCount)")
        }
    }

    /// Named tensors `dual.<slot>.<parameter>` and `second_moment.<slot>.<parameter>` (slot `n3`
    /// or `b12.n3`) and values `passes`, `skipped_batches`.
    public func exported() -> ExportedOptimizerState<Scalar> {
        var out = ExportedOptimizerState<Scalar>(values: ["passes": Double(passes), "skipped_batches": Double(skippedBatches)])
        for k in 0..<duals.count {
            for (i, p) in parameters.enumerated() {
                out.tensors["dual.\(slotName(k)).\(p.name)"] = duals[k][i]
                out.tensors["second_moment.\(slotName(k)).\(p.name)"] = secondMoments[k][i]
            }
        }
        return out
    }
}

extension BADM {
    /// Rebuilds an engine state from `exported()` for `parameters`, matched by name, with typed
    /// errors on missing, extra or mis-shaped tensors. `batchCount` as for `makeEngineState`.
    func importEngineState(_ export: ExportedOptimizerState<Scalar>, for parameters: NamedParameters<Scalar>,
                           batchCount: Int = 1) throws -> BADMState<Scalar> {
        var state = makeEngineState(for: parameters, batchCount: batchCount)
        let slotNames = (0..<state.duals.count).flatMap { ["dual.\(state.slotName($0))", "second_moment.\(state.slotName($0))"] }
        guard let passes = export.values["passes"] else { throw OptimizerError.missingStateValue(name: "passes") }
        var generic = export
        generic.values["step"] = passes
        generic.values["passes"] = nil
        let imported = try OptimizerState.imported(generic, slots: slotNames, valueNames: [], for: parameters)
        for k in 0..<state.duals.count {
            for (i, p) in parameters.enumerated() {
                state.duals[k][i] = imported.slots["dual.\(state.slotName(k))"]![p.name]!
                state.secondMoments[k][i] = imported.slots["second_moment.\(state.slotName(k))"]![p.name]!
            }
        }
        state.passes = imported.step
        guard let skipped = export.values["skipped_batches"] else { throw OptimizerError.missingStateValue(name: "skipped_batches") }
        state.skippedBatches = try OptimizerState<Scalar>.counter(skipped, name: "skipped_batches")
        return state
    }
}
