import Foundation
import L2OCheckpoint
import L2OCore
import L2ONN
import XCTest
@testable import L2OOptimizers

/// Schedules against their closed forms; clipping, weight decay, the guard, hyper-parameter
/// validation and state export/import (including through a real HDF5 checkpoint).
final class ProcessingTests: XCTestCase {
    let tol = tolerance(Double.self)

    func testScheduleClosedForms() {
        XCTAssertEqual(LearningRateSchedule.constant.multiplier(at: 1234), 1)
        let warm = LearningRateSchedule.linearWarmup(steps: 4, then: .constant)
        XCTAssertEqual((0..<6).map { warm.multiplier(at: $0) }, [0.25, 0.5, 0.75, 1, 1, 1])
        let cosine = LearningRateSchedule.cosine(steps: 10, floor: 0.1)
        assertClose([0, 3, 5, 10, 20].map { cosine.multiplier(at: $0) },
                    // 0.1 + 0.9·(1 + cos(0.3π))/2 with cos(54°) = 0.5877852522924731
                    [1, 0.1 + 0.9 * (1 + 0.5877852522924731) / 2, 0.55, 0.1, 0.1], tol: tol)
        let step = LearningRateSchedule.step(every: 3, factor: 0.5)
        XCTAssertEqual([0, 2, 3, 5, 6, 9].map { step.multiplier(at: $0) }, [1, 1, 0.5, 0.5, 0.25, 0.125])
        let warmCosine = LearningRateSchedule.linearWarmup(steps: 2, then: .cosine(steps: 4, floor: 0))
        assertClose([0, 1, 2, 4, 6].map { warmCosine.multiplier(at: $0) }, [0.5, 1, 1, 0.5, 0], tol: tol)
    }

    func testScheduleDrivesTheStep() throws {
        var proc = GradientProcessing()
        proc.schedule = .step(every: 1, factor: 0.5)
        let p = try iterates(SGD<Double>(learningRate: 1, processing: proc), start: [[0]], gradients: [[[1]], [[1]], [[1]]])
        // steps of 1, 0.5, 0.25
        assertClose(p.map { $0[0][0] }, [-1, -1.5, -1.75], tol: tol)
    }

    func testGlobalNormClipping() throws {
        var proc = GradientProcessing()
        proc.clipNorm = 1
        let opt = try SGD<Double>(learningRate: 1, processing: proc)
        let params = makeParameters([("a", [0.0]), ("b", [0.0])], Double.self)
        var state = opt.makeState(for: params)
        params[0].parameter.grad = Tensor([3.0])
        params[1].parameter.grad = Tensor([4.0])
        let r = try opt.step(&state, parameters: params)
        XCTAssertTrue(r.clipped)
        XCTAssertEqual(r.gradientNorm, 5, accuracy: tol)
        assertClose(params.flatMap { $0.parameter.value.scalars }, [-0.6, -0.8], tol: tol)
        // Below the threshold nothing is scaled.
        params[0].parameter.grad = Tensor([0.3])
        params[1].parameter.grad = Tensor([0.4])
        XCTAssertFalse(try opt.step(&state, parameters: params).clipped)
        assertClose(params.flatMap { $0.parameter.value.scalars }, [-0.9, -1.2], tol: tol)
    }

    func testWeightDecayExcludesRankOneParameters() throws {
        var proc = GradientProcessing(weightDecay: 0.5, weightDecayFilter: .excludingRankOne)
        let params: NamedParameters<Double> = [
            ("layer.weight", Parameter(Tensor(shape: [2, 1], scalars: [1, -2]))),
            ("layer.bias", Parameter(Tensor([3.0]))),
        ]
        for p in params { p.parameter.grad = .zeros(p.parameter.shape) }
        var opt = try SGD<Double>(learningRate: 0.1, processing: proc)
        var state = opt.makeState(for: params)
        try opt.step(&state, parameters: params)
        // weight ← (1 − 0.1·0.5)·weight; bias untouched
        assertClose(params[0].parameter.value.scalars, [0.95, -1.9], tol: tol)
        XCTAssertEqual(params[1].parameter.value.scalars, [3])
        proc.weightDecayFilter = .excluding { $0.hasSuffix(".weight") }
        opt.processing = proc
        try opt.step(&state, parameters: params)
        assertClose(params[0].parameter.value.scalars, [0.95, -1.9], tol: tol)
        assertClose(params[1].parameter.value.scalars, [2.85], tol: tol)
    }

    func testNonFiniteGuardSkipsAndReports() throws {
        let opt = try Adam<Double>(learningRate: 0.1)
        let params = makeParameters([("a", [1.0, 2.0])], Double.self)
        var state = opt.makeState(for: params)
        params[0].parameter.grad = Tensor([1.0, 1.0])
        try opt.step(&state, parameters: params)
        let before = (params[0].parameter.value, state)
        params[0].parameter.grad = Tensor([.nan, 1.0])
        let r = try opt.step(&state, parameters: params, context: StepContext(iteration: 1))
        XCTAssertFalse(r.applied)
        XCTAssertNotNil(r.skipReason)
        XCTAssertEqual(params[0].parameter.value, before.0)
        XCTAssertEqual(state.slots, before.1.slots)
        XCTAssertEqual(state.step, 1)
        XCTAssertEqual(state.skippedSteps, 1)
        params[0].parameter.grad = Tensor([1.0, 1.0])
        let r2 = try opt.step(&state, parameters: params, context: StepContext(iteration: 2, loss: .infinity))
        XCTAssertFalse(r2.applied)
        XCTAssertEqual(state.skippedSteps, 2)
        // With the guard off the NaN goes through.
        var off = opt
        off.processing.skipNonFiniteUpdates = false
        params[0].parameter.grad = Tensor([.nan, 1.0])
        XCTAssertTrue(try off.step(&state, parameters: params).applied)
        XCTAssertTrue(params[0].parameter.value.scalars[0].isNaN)
    }

    func testBadHyperParametersAreRejected() throws {
        for (e, name) in [
            (assertOptimizerError(try SGD<Double>(learningRate: -1)), "lr"),
            (assertOptimizerError(try Adam<Double>(beta1: 1)), "beta1"),
            (assertOptimizerError(try Adam<Double>(beta2: -0.1)), "beta2"),
            (assertOptimizerError(try Adam<Double>(epsilon: 0)), "eps"),
            (assertOptimizerError(try RMSProp<Double>(alpha: 1.5)), "alpha"),
            (assertOptimizerError(try Nesterov<Double>(momentum: 0)), "momentum"),
            (assertOptimizerError(try AdamW.make(Double.self, weightDecay: -1)), "weight_decay"),
            (assertOptimizerError(try SGD<Double>(processing: GradientProcessing(clipNorm: 0))), "clip_norm"),
            (assertOptimizerError(try SGD<Double>(processing: GradientProcessing(schedule: .cosine(steps: 0, floor: 0)))), "cosine steps"),
            (assertOptimizerError(try BADM<Double>(rho: 0, sigma: 0)), "sigma"),
            (assertOptimizerError(try BADM<Double>(subBatchCount: 0)), "sub_batches"),
            (assertOptimizerError(try BADM<Double>(initialSecondMoment: 0)), "m0"),
        ] {
            guard case let .invalidHyperParameter(_, n, _, requirement)? = e else { XCTFail("\(String(describing: e))"); continue }
            XCTAssertEqual(n, name)
            XCTAssertTrue(requirement.contains("must"), requirement)
        }
    }

    func testHyperParametersChangeMidRun() throws {
        var opt = try SGD<Double>(learningRate: 1)
        let params = makeParameters([("a", [0.0])], Double.self)
        var state = opt.makeState(for: params)
        params[0].parameter.grad = Tensor([1.0])
        try opt.step(&state, parameters: params)
        try opt.setHyperParameter("lr", to: 0.25)
        XCTAssertEqual(opt.hyperParameters["lr"], 0.25)
        try opt.step(&state, parameters: params)
        assertClose(params[0].parameter.value.scalars, [-1.25], tol: tol)
        // Invalid or unknown: error and no change.
        XCTAssertNotNil(assertOptimizerError(try opt.setHyperParameter("lr", to: -1)))
        XCTAssertEqual(opt.hyperParameters["lr"], 0.25)
        guard case .unknownHyperParameter? = assertOptimizerError(try opt.setHyperParameter("beta9", to: 1)) else { return XCTFail() }
        try opt.setHyperParameter("weight_decay", to: 0.1)
        XCTAssertEqual(opt.processing.weightDecay, 0.1)
    }

    func testStepRejectsStateOfOtherParameters() throws {
        let opt = try Adam<Double>()
        let state0 = opt.makeState(for: makeParameters([("a", [1.0])], Double.self))
        var state = state0
        let other = makeParameters([("b", [1.0])], Double.self)
        other[0].parameter.grad = Tensor([1.0])
        guard case .stateDoesNotMatchParameters? = assertOptimizerError(try opt.step(&state, parameters: other)) else { return XCTFail() }
    }

    /// Export, import into the same parameters listed in another order, and the typed errors.
    func testStateExportImportByName() throws {
        let opt = try NAdam<Double>(learningRate: 0.1)
        let params = makeParameters([("x.weight", [1.0, 2.0]), ("x.bias", [3.0])], Double.self)
        var state = opt.makeState(for: params)
        for p in params { p.parameter.grad = Tensor(repeating: 0.5, shape: p.parameter.shape) }
        try opt.step(&state, parameters: params)
        let export = opt.exportState(state)
        XCTAssertEqual(Set(export.tensors.keys), ["exp_avg.x.weight", "exp_avg.x.bias", "exp_avg_sq.x.weight", "exp_avg_sq.x.bias"])
        XCTAssertEqual(export.values["step"], 1)
        XCTAssertNotNil(export.values["mu_product"])
        let reversed = Array(params.reversed())
        let back = try opt.importState(export, for: reversed)
        XCTAssertEqual(back.slots, state.slots)
        XCTAssertEqual(back.values, state.values)
        XCTAssertEqual(back.step, 1)

        var missing = export
        missing.tensors["exp_avg.x.bias"] = nil
        XCTAssertEqual(assertOptimizerError(try opt.importState(missing, for: params)), .missingStateTensor(name: "exp_avg.x.bias"))
        var wrongShape = export
        wrongShape.tensors["exp_avg.x.bias"] = Tensor([1.0, 2.0])
        XCTAssertEqual(assertOptimizerError(try opt.importState(wrongShape, for: params)),
                       .stateShapeMismatch(name: "exp_avg.x.bias", expected: [1], actual: [2]))
        var extra = export
        extra.tensors["exp_avg.y.weight"] = Tensor([1.0])
        XCTAssertEqual(assertOptimizerError(try opt.importState(extra, for: params)), .unexpectedStateTensor(name: "exp_avg.y.weight"))
        var noValue = export
        noValue.values["mu_product"] = nil
        XCTAssertEqual(assertOptimizerError(try opt.importState(noValue, for: params)), .missingStateValue(name: "mu_product"))
    }

    /// Adam state through a real HDF5 resume checkpoint; continuing from the restored state equals
    /// continuing from the original.
    func testStateRoundTripThroughHDF5Checkpoint() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-opt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let opt = try Adam<Float>(learningRate: 0.01)
        let params = makeParameters([("layers.0.weight", [1, 2, 3]), ("layers.0.bias", [-1])], Float.self)
        var state = opt.makeState(for: params)
        for t in 0..<3 {
            for p in params { p.parameter.grad = p.parameter.value.map { $0 * Float(t + 1) } }
            try opt.step(&state, parameters: params)
        }
        let export = opt.exportState(state)
        var section = CheckpointSection()
        for (name, t) in export.tensors { section.set(t, named: name) }
        for (name, v) in export.values { section.values[name] = .double(v) }
        let url = folder.appendingPathComponent("adam.h5")
        try Checkpoint(resumeOf: "adam-state", config: "{}", seed: 1, parameters: CheckpointSection(parameters: params),
                       optimizerState: section, training: CheckpointSection()).write(to: url)

        let read = try Checkpoint.read(from: url, requireResume: true)
        var restored = ExportedOptimizerState<Float>()
        for name in read.optimizerState.tensors.keys { restored.tensors[name] = try read.optimizerState.tensor(named: name) }
        for name in read.optimizerState.values.keys { restored.values[name] = try read.optimizerState.double(named: name) }
        var back = try opt.importState(restored, for: params)
        XCTAssertEqual(back, state)

        let copy = params.map { (name: $0.name, parameter: Parameter($0.parameter.value)) }
        for (p, q) in zip(params, copy) { p.parameter.grad = Tensor(repeating: 1, shape: p.parameter.shape); q.parameter.grad = p.parameter.grad }
        try opt.step(&state, parameters: params)
        try opt.step(&back, parameters: copy)
        for (p, q) in zip(params, copy) { XCTAssertEqual(p.parameter.value, q.parameter.value) }
    }
}
