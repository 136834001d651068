import L2OCore
import L2ONN

/// BADM behind the one optimizer protocol: a step is one batch of [BADM, Alg. 1], its sub-batches
/// taken from `StepContext.subBatches` (a `Trainer` gives the minibatch; `minimize` on an
/// `Optimizee` gives the problem's shards). The duals and second moments live in an
/// `OptimizerState` as slots `dual.<slot>` and `second_moment.<slot>` (slot `n3`, or `b12.n3` for
/// `.perBatchAndSubBatch`); `step` counts batches, `skippedSteps` batches the non-finite guard
/// rejected. The reported learning rate is the local step `1/(ρ+σ)` (what the flat path's prox
/// of `r` uses).
extension BADM: ParameterOptimizer {
    public var needsSubBatchGradients: Bool { true }

    /// Dual slots: `N_b`, or `B·N_b` with per-batch bookkeeping.
    var dualSlotCount: Int { bookkeeping == .perSubBatchSlot ? subBatchCount : batchCount * subBatchCount }

    func slotLabel(_ k: Int) -> String {
        bookkeeping == .perSubBatchSlot ? "n\(k)" : "b\(k / subBatchCount).n\(k % subBatchCount)"
    }

    /// The slot names of the duals and of the second moments, in dual-slot order.
    var slotKeys: (duals: [String], moments: [String]) {
        let labels = (0..<dualSlotCount).map(slotLabel)
        return (labels.map { "dual." + $0 }, labels.map { "second_moment." + $0 })
    }

    public var slotNames: [String] { slotKeys.duals + slotKeys.moments }

    /// Duals 0 and second moments m⁰ for every slot.
    public func makeState(for parameters: NamedParameters<Scalar>) -> OptimizerState<Scalar> {
        var state = OptimizerState<Scalar>(parameters: parameters.map { ($0.name, $0.parameter.shape) })
        let keys = slotKeys
        for k in 0..<dualSlotCount {
            state.slots[keys.duals[k]] = Dictionary(uniqueKeysWithValues: parameters.map {
                ($0.name, Tensor<Scalar>.zeros($0.parameter.shape))
            })
            state.slots[keys.moments[k]] = Dictionary(uniqueKeysWithValues: parameters.map {
                ($0.name, Tensor<Scalar>(repeating: Scalar(initialSecondMoment), shape: $0.parameter.shape))
            })
        }
        return state
    }

    /// One batch: (5), (4b), (6) for every sub-batch in parallel, then the aggregation (7); the
    /// whole batch is skipped (weights, duals and moments kept) if the aggregate is not finite.
    /// Specialized for Float and Double: callers reach it through `any ParameterOptimizer`, and
    /// unspecialized dictionary traffic on `Tensor<Scalar>` costs generic-metadata lookups.
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(_ state: inout OptimizerState<Scalar>, parameters: NamedParameters<Scalar>, context: StepContext<Scalar>) throws -> StepReport {
        guard let oracle = context.subBatches else {
            throw OptimizerError.invalidArgument(operation: "badm.step",
                message: "BADM takes each sub-batch's gradient at its own point, not one accumulated gradient; give the batch as StepContext.subBatches (Trainer and minimize do)")
        }
        guard oracle.sampleCount >= 1 else {
            throw OptimizerError.invalidArgument(operation: "badm.step", message: "the batch has no samples")
        }
        try state.validate(against: parameters)
        let (dualKeys, momentKeys) = slotKeys
        guard state.slots.count == 2 * dualKeys.count, (dualKeys + momentKeys).allSatisfy({ state.slots[$0] != nil }) else {
            throw OptimizerError.stateDoesNotMatchParameters(
                detail: "the state holds \(state.slots.count / 2) dual slots, this BADM (\(bookkeeping.rawValue), \(subBatchCount) sub-batches) needs \(dualSlotCount)")
        }
        // Slots are public and may have been edited: every slot must hold exactly these
        // parameters with their shapes (the pass engine writes through raw buffers).
        guard Set(parameters.map(\.name)).count == parameters.count else {
            throw OptimizerError.stateDoesNotMatchParameters(detail: "two parameters share a name")
        }
        for key in dualKeys + momentKeys {
            let byName = state.slots[key]!
            guard byName.count == parameters.count,
                  parameters.allSatisfy({ byName[$0.name]?.shape == $0.parameter.shape }) else {
                throw OptimizerError.stateDoesNotMatchParameters(detail: "slot '\(key)' does not hold one tensor of the parameter's shape for each of \(parameters.map(\.name))")
            }
        }
        var batchOffset = 0
        if bookkeeping == .perBatchAndSubBatch {
            guard oracle.batchCount == batchCount, (0..<batchCount).contains(oracle.batchIndex) else {
                throw OptimizerError.invalidArgument(operation: "badm.step",
                    message: "BADM keeps duals for \(batchCount) batches per epoch, the data has batch \(oracle.batchIndex) of \(oracle.batchCount); make BADM with batchCount: \(oracle.batchCount) or use .perSubBatchSlot")
            }
            batchOffset = oracle.batchIndex
        }
        // Move the tensors into the engine's layout and back (no copies: tensors are copy-on-write).
        var engine = BADMState<Scalar>(
            parameters: parameters.map { ($0.name, $0.parameter.shape) }, bookkeeping: bookkeeping,
            subBatchCount: subBatchCount, batchCount: bookkeeping == .perSubBatchSlot ? 0 : batchCount,
            duals: dualKeys.map { key in let byName = state.slots[key]!; return parameters.map { byName[$0.name]! } },
            secondMoments: momentKeys.map { key in let byName = state.slots[key]!; return parameters.map { byName[$0.name]! } })
        let (oldStep, oldSkipped) = (state.step, state.skippedSteps)
        engine.passes = oldStep
        engine.skippedBatches = oldSkipped
        // The workspace is laid out by parameter position: reuse it only for the same shapes in
        // the same order (the state accepts its parameters in any order).
        if let ws = state.scratch as? BADMWorkspace<Scalar>, ws.next.map(\.shape) == parameters.map(\.parameter.shape),
           ws.perKind == subBatchCount * parameters.count {
            engine.workspace = ws
        }
        state.scratch = nil
        state.slots.removeAll(keepingCapacity: true)
        defer {
            for k in dualKeys.indices {
                state.slots[dualKeys[k]] = Dictionary(uniqueKeysWithValues: parameters.indices.map { (parameters[$0].name, engine.duals[k][$0]) })
                state.slots[momentKeys[k]] = Dictionary(uniqueKeysWithValues: parameters.indices.map { (parameters[$0].name, engine.secondMoments[k][$0]) })
            }
            // The engine counts every batch as a pass; `step` counts applied batches only.
            state.skippedSteps = engine.skippedBatches
            state.step = engine.passes - (engine.skippedBatches - oldSkipped)
            state.scratch = engine.workspace
        }
        let source = ClosureGradientSource<Scalar>(batchSizes: [oracle.sampleCount]) { _, range, w in
            try oracle.lossAndGradient(samples: range, at: w)
        }
        let report = try pass(&engine, parameters: parameters, source: source, batchOffset: bookkeeping == .perSubBatchSlot ? nil : batchOffset)
        let applied = report.skippedBatches == 0
        return StepReport(applied: applied, skipReason: applied ? nil : "non-finite aggregated weights",
                          learningRate: 1 / (rho + sigma), gradientNorm: .nan, clipped: false,
                          loss: applied ? report.meanLoss : nil)
    }

    /// As the default, and also reads states saved under BADM's earlier value names (`passes`,
    /// `skipped_batches`). Those counted passes (a `Trainer` stored its epochs there), `step` counts
    /// batches; BADM's update does not depend on either, so a resumed run continues identically
    /// and only the counter's meaning changes from there on.
    public func importState(_ export: ExportedOptimizerState<Scalar>, for parameters: NamedParameters<Scalar>) throws -> OptimizerState<Scalar> {
        var e = export
        if e.values["step"] == nil, let p = e.values.removeValue(forKey: "passes") { e.values["step"] = p }
        if e.values["skipped_steps"] == nil, let s = e.values.removeValue(forKey: "skipped_batches") { e.values["skipped_steps"] = s }
        return try OptimizerState.imported(e, slots: slotNames, valueNames: [], for: parameters)
    }
}
