import Foundation
import L2OCore
import L2ONN
import XCTest
@testable import L2OOptimizers

final class BADMTests: XCTestCase {
    let tol = tolerance(Double.self, ulps: 1024)

    /// One sub-batch, f(w) = ½(w − 3)², ρ = σ = 1, β = ½, m⁰ = 1, written out by hand:
    /// pass 1: g = −2, w₁₁ = 1 − (−2 + 0)/2 = 2, π = 0 + (2 − 1) = 1, m = ½ + ½·1 = 1, w = 2 + 1/1/1 = 3;
    /// pass 2: g = 0, w₁₁ = 3 − (0 + 1)/2 = 2.5, π = 1 + (2.5 − 3) = 0.5, m = ½ + ½·¼ = 0.625,
    /// w = 2.5 + 0.5/√0.625.
    func testHandComputedScalarPasses() throws {
        let badm = try BADM<Double>(rho: 1, sigma: 1, beta: 0.5, initialSecondMoment: 1, subBatchCount: 1)
        let source = ClosureGradientSource<Double>(batchSizes: [1]) { _, _, w in
            (0.5 * (w[0].scalar - 3) * (w[0].scalar - 3), [Tensor([w[0].scalar - 3])])
        }
        let params = makeParameters([("w", [1.0])], Double.self)
        var state = badm.makeEngineState(for: params)
        try badm.pass(&state, parameters: params, source: source)
        assertClose(params[0].parameter.value.scalars, [3], tol: tol)
        assertClose(state.duals[0][0].scalars + state.secondMoments[0][0].scalars, [1, 1], tol: tol)
        try badm.pass(&state, parameters: params, source: source)
        assertClose(params[0].parameter.value.scalars, [2.5 + 0.5 / 0.625.squareRoot()], tol: tol)
        XCTAssertEqual(state.passes, 2)
    }

    func testAggregationWeightsSumToOne() {
        for (samples, subBatches) in [(7, 3), (5, 3), (128, 8), (2, 8), (1000, 7)] {
            let ranges = BADM<Double>.subBatchRanges(sampleCount: samples, subBatchCount: subBatches)
            XCTAssertEqual(ranges.map(\.count).reduce(0, +), samples)
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, samples)
            XCTAssertLessThanOrEqual(ranges.map(\.count).max()! - ranges.map(\.count).min()!, 1)
            let w = BADM<Double>.aggregationWeights(subBatchSizes: ranges.map(\.count), totalSamples: 5000)
            XCTAssertEqual(w.reduce(0, +), 1, accuracy: 4 * Double.ulpOfOne * Double(w.count))
        }
        assertClose(BADM<Double>.aggregationWeights(subBatchSizes: [3, 2, 2], totalSamples: 12), [3.0 / 7, 2.0 / 7, 2.0 / 7], tol: tol)
    }

    // MARK: Least squares against an independently written dense reference

    /// 12 samples in 3 dimensions; F_D(w) = (1/(2|D|)) Σ_{i∈D} (aᵢᵀw − yᵢ)².
    struct LeastSquares {
        var a: [[Double]] = []
        var y: [Double] = []
        init() {
            var rng = RandomState(seed: 11)
            for _ in 0..<12 {
                a.append((0..<3).map { _ in rng.normal() })
                y.append(rng.normal())
            }
        }
        func gradient(_ rows: [Int], _ w: [Double]) -> [Double] {
            var g = [0.0, 0.0, 0.0]
            for i in rows {
                let r = zip(a[i], w).map(*).reduce(0, +) - y[i]
                for j in 0..<3 { g[j] += a[i][j] * r / Double(rows.count) }
            }
            return g
        }
        func loss(_ rows: [Int], _ w: [Double]) -> Double {
            rows.map { i in let r = zip(a[i], w).map(*).reduce(0, +) - y[i]; return 0.5 * r * r }.reduce(0, +) / Double(rows.count)
        }
    }

    /// Batches of 7 and 5 samples, N_b = 3: sub-batches (3, 2, 2) and (2, 2, 1), written out here.
    let batches = [[[0, 1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11]]]

    /// The equations of [BADM] §2.3, eqs. (4a)–(7) coded directly on arrays, for `passes` passes.
    func reference(_ ls: LeastSquares, perSlot: Bool, passes: Int, rho: Double, sigma: Double, beta: Double, m0: Double) -> [Double] {
        var w = [0.5, -0.25, 1.0]
        var pi = [String: [Double]](), m = [String: [Double]]()
        for _ in 0..<passes {
            for (b, subs) in batches.enumerated() {
                let wPrev = w
                let sizeB = Double(subs.map(\.count).reduce(0, +))
                var next = [0.0, 0.0, 0.0]
                for (n, rows) in subs.enumerated() {
                    let key = perSlot ? "\(n)" : "\(b),\(n)"
                    var p = pi[key] ?? [0, 0, 0], mm = m[key] ?? [m0, m0, m0]
                    let g = ls.gradient(rows, wPrev)
                    for j in 0..<3 {
                        let wbn = wPrev[j] - (g[j] + p[j]) / (rho + sigma)
                        p[j] += sigma * (wbn - wPrev[j])
                        mm[j] = beta * mm[j] + (1 - beta) * p[j] * p[j]
                        next[j] += (Double(rows.count) / 12) / (sizeB / 12) * (wbn + p[j] / mm[j].squareRoot() / sigma)
                    }
                    pi[key] = p
                    m[key] = mm
                }
                w = next
            }
        }
        return w
    }

    func source(_ ls: LeastSquares) -> ClosureGradientSource<Double> {
        let flat = batches.map { $0.flatMap { $0 } }
        return ClosureGradientSource(batchSizes: flat.map(\.count)) { b, range, w in
            let rows = Array(flat[b][range])
            return (ls.loss(rows, w[0].scalars), [Tensor(ls.gradient(rows, w[0].scalars))])
        }
    }

    func testLeastSquaresPassesMatchDenseReference() throws {
        let ls = LeastSquares()
        for bookkeeping in DualBookkeeping.allCases {
            let badm = try BADM<Double>(rho: 2, sigma: 3, beta: 0.8, initialSecondMoment: 0.5, subBatchCount: 3, bookkeeping: bookkeeping)
            let params = makeParameters([("w", [0.5, -0.25, 1.0])], Double.self)
            var state = badm.makeEngineState(for: params, batchCount: 2)
            for passes in 1...3 {
                try badm.pass(&state, parameters: params, source: source(ls))
                let expected = reference(ls, perSlot: bookkeeping == .perSubBatchSlot, passes: passes, rho: 2, sigma: 3, beta: 0.8, m0: 0.5)
                assertClose(params[0].parameter.value.scalars, expected, tol: tol, "\(bookkeeping) after \(passes) passes")
            }
            XCTAssertEqual(state.duals.count, bookkeeping == .perSubBatchSlot ? 3 : 6)
        }
        // The two bookkeepings really differ (batch 2 reuses batch 1's slot duals).
        XCTAssertNotEqual(reference(ls, perSlot: true, passes: 1, rho: 2, sigma: 3, beta: 0.8, m0: 0.5),
                          reference(ls, perSlot: false, passes: 1, rho: 2, sigma: 3, beta: 0.8, m0: 0.5))
    }

    /// The public `step` (one batch per call, sub-batches from `StepContext.subBatches`) is the
    /// engine's pass batch by batch: bit-identical weights, duals and moments for both
    /// bookkeepings, so it inherits the dense reference check above.
    func testStepPerBatchEqualsTheReferencePass() throws {
        let ls = LeastSquares()
        let flat = batches.map { $0.flatMap { $0 } }
        for bookkeeping in DualBookkeeping.allCases {
            let badm = try BADM<Double>(rho: 2, sigma: 3, beta: 0.8, initialSecondMoment: 0.5, subBatchCount: 3,
                                        bookkeeping: bookkeeping, batchCount: flat.count)
            let engineParams = makeParameters([("w", [0.5, -0.25, 1.0])], Double.self)
            var engine = badm.makeEngineState(for: engineParams, batchCount: flat.count)
            let params = makeParameters([("w", [0.5, -0.25, 1.0])], Double.self)
            var state = badm.makeState(for: params)
            for pass in 1...3 {
                try badm.pass(&engine, parameters: engineParams, source: source(ls))
                var losses = [Double]()
                for (b, rowsOfBatch) in flat.enumerated() {
                    let oracle = SubBatchOracle<Double>(sampleCount: rowsOfBatch.count, batchIndex: b, batchCount: flat.count) { range, w in
                        let rows = Array(rowsOfBatch[range])
                        return (ls.loss(rows, w[0].scalars), [Tensor(ls.gradient(rows, w[0].scalars))])
                    }
                    let r = try badm.step(&state, parameters: params, context: StepContext(iteration: state.step, subBatches: oracle))
                    XCTAssertTrue(r.applied)
                    XCTAssertEqual(r.learningRate, 1.0 / 5)
                    losses.append(try XCTUnwrap(r.loss))
                }
                XCTAssertEqual(params[0].parameter.value.scalars.map(\.bitPattern), engineParams[0].parameter.value.scalars.map(\.bitPattern),
                               "\(bookkeeping) after \(pass) passes")
                XCTAssertTrue(losses.allSatisfy(\.isFinite))
            }
            XCTAssertEqual(state.step, 3 * flat.count)
            let export = badm.exportState(state).tensors
            for (k, duals) in engine.duals.enumerated() {
                let label = bookkeeping == .perSubBatchSlot ? "n\(k)" : "b\(k / 3).n\(k % 3)"
                XCTAssertEqual(export["dual.\(label).w"], duals[0], label)
                XCTAssertEqual(export["second_moment.\(label).w"], engine.secondMoments[k][0], label)
            }
            XCTAssertEqual(export.count, 2 * engine.duals.count)
            // The state round-trips, also under the value names older checkpoints used.
            var saved = badm.exportState(state)
            XCTAssertEqual(try badm.importState(saved, for: params), state)
            saved.values["passes"] = saved.values.removeValue(forKey: "step")
            saved.values["skipped_batches"] = saved.values.removeValue(forKey: "skipped_steps")
            XCTAssertEqual(try badm.importState(saved, for: params), state)
        }
    }

    /// The same state stepped with its parameters listed in another order (allowed: states are
    /// keyed by name) gives the same weights as the original order: the reused scratch space,
    /// laid out by position, is rebuilt instead of written out of bounds.
    func testParameterOrderMayChangeBetweenSteps() throws {
        let badm = try BADM<Double>(rho: 2, sigma: 3, subBatchCount: 2)
        func oracle(_ order: [Int]) -> SubBatchOracle<Double> {
            SubBatchOracle(sampleCount: 4) { range, w in
                // Gradient of ½Σ‖w_k − (k+1)·s‖² over samples s in range, per tensor in the given order.
                let s = Double(range.lowerBound + 1)
                return (0, order.indices.map { i in w[i] - Tensor(repeating: Double(order[i] + 1) * s, shape: w[i].shape) })
            }
        }
        let a = makeParameters([("a", [1, 2, 3, 4, 5]), ("b", [0.5])], Double.self)
        let b = makeParameters([("a", [1, 2, 3, 4, 5]), ("b", [0.5])], Double.self)
        var sa = badm.makeState(for: a), sb = badm.makeState(for: b)
        for k in 0..<4 {
            try badm.step(&sa, parameters: a, context: StepContext(iteration: k, subBatches: oracle([0, 1])))
            // Alternate the order, so the scratch made for one layout meets the other.
            let order = k % 2 == 0 ? [1, 0] : [0, 1]
            try badm.step(&sb, parameters: order.map { b[$0] }, context: StepContext(iteration: k, subBatches: oracle(order)))
        }
        XCTAssertEqual(a[0].parameter.value, b[0].parameter.value)
        XCTAssertEqual(a[1].parameter.value, b[1].parameter.value)
        XCTAssertEqual(sa, sb)
    }

    func testStepNeedsTheSubBatchOracleAndAMatchingState() throws {
        let badm = try BADM<Double>(subBatchCount: 3)
        let params = makeParameters([("w", [0.5, -0.25, 1.0])], Double.self)
        params[0].parameter.grad = Tensor([1, 1, 1])
        var state = badm.makeState(for: params)
        let before = state
        guard case .invalidArgument(_, let message)? = assertOptimizerError(try badm.step(&state, parameters: params, context: StepContext(iteration: 0))) else {
            return XCTFail()
        }
        XCTAssertTrue(message.contains("subBatches"), message)
        XCTAssertEqual(state, before)
        // A state made for another sub-batch count is refused, not silently resized.
        var other = try BADM<Double>(subBatchCount: 2).makeState(for: params)
        let oracle = SubBatchOracle<Double>(sampleCount: 4) { _, w in (0, [w[0]]) }
        guard case .stateDoesNotMatchParameters? = assertOptimizerError(try badm.step(&other, parameters: params, context: StepContext(iteration: 0, subBatches: oracle))) else {
            return XCTFail()
        }
        // Per-batch duals need the oracle's batch position to fit.
        let perBatch = try BADM<Double>(subBatchCount: 2, bookkeeping: .perBatchAndSubBatch, batchCount: 3)
        var s = perBatch.makeState(for: params)
        let outside = SubBatchOracle<Double>(sampleCount: 4, batchIndex: 3, batchCount: 4) { _, w in (0, [w[0]]) }
        guard case .invalidArgument? = assertOptimizerError(try perBatch.step(&s, parameters: params, context: StepContext(iteration: 0, subBatches: outside))) else {
            return XCTFail()
        }
        // A slot edited to the wrong shape is refused before the engine touches it.
        var edited = badm.makeState(for: params)
        edited.slots["dual.n1"]!["w"] = Tensor([1, 2])
        let fine = SubBatchOracle<Double>(sampleCount: 4) { _, w in (0, [w[0]]) }
        guard case .stateDoesNotMatchParameters? = assertOptimizerError(try badm.step(&edited, parameters: params, context: StepContext(iteration: 0, subBatches: fine))) else {
            return XCTFail()
        }
        // The oracle's errors reach the caller and leave the state usable.
        struct Boom: Error {}
        let failing = SubBatchOracle<Double>(sampleCount: 4) { _, _ in throw Boom() }
        var t = badm.makeState(for: params)
        XCTAssertThrowsError(try badm.step(&t, parameters: params, context: StepContext(iteration: 0, subBatches: failing)))
        XCTAssertEqual(t, badm.makeState(for: params))
    }

    func testParallelEqualsSequentialBitForBit() throws {
        let ls = LeastSquares()
        var results = [[Double]]()
        for parallel in [false, true] {
            let badm = try BADM<Double>(rho: 2, sigma: 3, subBatchCount: 3, parallel: parallel)
            let params = makeParameters([("w", [0.5, -0.25, 1.0])], Double.self)
            var state = badm.makeEngineState(for: params)
            for _ in 0..<3 { try badm.pass(&state, parameters: params, source: source(ls)) }
            results.append(params[0].parameter.value.scalars)
        }
        XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
    }

    /// The vectorized local step (16 lanes at a time, then a scalar tail) against (5), (4b), (6)
    /// and the summand of (7) written out per element, bit for bit, in Float and Double; lanes
    /// 3 (vector part) and 35 (tail) have π' = 0 exactly and must give the summand w_bn. A second
    /// call with every second moment 0 (underflowed) must give w_bn there too, not NaN.
    func testLocalStepMatchesTheEquationsElementwise() {
        func check<S: TensorScalar>(_: S.Type) {
            let n = 37
            var rng = RandomState(seed: 9)
            let w = (0..<n).map { _ in S(rng.normal()) }
            var g = (0..<n).map { _ in S(rng.normal()) }, dual = (0..<n).map { _ in S(0.1 * rng.normal()) }
            let moment = (0..<n).map { _ in S(rng.uniform(0.01, 2)) }
            for k in [3, 35] { (g[k], dual[k]) = (0, 0) }
            let c = LocalStepCoefficients<S>(rhoSigma: 1000, sigma: 800, beta: 0.9, oneMinusBeta: S(1 - 0.9))
            var newDual = [S](repeating: .nan, count: n), newMoment = newDual, summand = newDual
            w.withUnsafeBufferPointer { wp in g.withUnsafeBufferPointer { gp in dual.withUnsafeBufferPointer { dp in
                moment.withUnsafeBufferPointer { mp in newDual.withUnsafeMutableBufferPointer { po in
                    newMoment.withUnsafeMutableBufferPointer { mo in summand.withUnsafeMutableBufferPointer { so in
                        BADM<S>.localStep(w: wp, gradient: gp, dual: dp, moment: mp, newDual: po, newMoment: mo, summand: so, c)
                    } }
                } }
            } } }
            for j in 0..<n {
                let wbn = w[j] - (g[j] + dual[j]) / 1000
                let pi = dual[j] + 800 * (wbn - w[j])
                let m = S(0.9) * moment[j] + S(1 - 0.9) * pi * pi
                XCTAssertEqual(newDual[j], pi, "π, element \(j)")
                XCTAssertEqual(newMoment[j], m, "m, element \(j)")
                XCTAssertEqual(summand[j], pi == 0 ? wbn : wbn + pi / m.squareRoot() / 800, "summand, element \(j)")
                XCTAssertGreaterThan(m, 0)
            }
            XCTAssertEqual(newDual[3], 0)
            XCTAssertEqual(summand[3], w[3])
            XCTAssertEqual(summand[35], w[35])
            // Underflowed moments: m' = 0 where π' = 0; the summand is then w_bn, elsewhere finite.
            let zero = [S](repeating: 0, count: n)
            w.withUnsafeBufferPointer { wp in g.withUnsafeBufferPointer { gp in dual.withUnsafeBufferPointer { dp in
                zero.withUnsafeBufferPointer { mp in newDual.withUnsafeMutableBufferPointer { po in
                    newMoment.withUnsafeMutableBufferPointer { mo in summand.withUnsafeMutableBufferPointer { so in
                        BADM<S>.localStep(w: wp, gradient: gp, dual: dp, moment: mp, newDual: po, newMoment: mo, summand: so, c)
                    } }
                } }
            } } }
            XCTAssertEqual([newMoment[3], newMoment[35]], [0, 0])
            XCTAssertEqual([summand[3], summand[35]], [w[3], w[35]])
            XCTAssertTrue(summand.allSatisfy(\.isFinite))
        }
        check(Float.self)
        check(Double.self)
    }

    /// A batch whose aggregated weights are not finite is skipped: weights, duals and moments stay
    /// as they were, so the pass equals one over the other batches alone; the skip is counted.
    func testNonFiniteBatchIsSkippedAndLeavesTheStateAlone() throws {
        let badm = try BADM<Double>(rho: 2, sigma: 3, subBatchCount: 2)
        let good: [[Double]] = [[1, 2, 3, 4], [5, 6, 7, 8]]
        func run(_ batches: [[Double]]) throws -> (w: [Double], state: BADMState<Double>, report: BADMPassReport) {
            let source = ClosureGradientSource<Double>(batchSizes: batches.map(\.count)) { b, range, w in
                let g = batches[b][range].reduce(0, +) / Double(range.count)
                return (0, [Tensor((0..<20).map { w[0].scalars[$0] * 0.5 - g + Double($0) })])
            }
            let params = makeParameters([("w", (0..<20).map { 0.1 * Double($0) })], Double.self)
            var state = badm.makeEngineState(for: params)
            let report = try badm.pass(&state, parameters: params, source: source)
            return (params[0].parameter.value.scalars, state, report)
        }
        let skipping = try run([good[0], [1, .nan, 2, 3], good[1]])
        let reference = try run(good)
        XCTAssertEqual(skipping.report.skippedBatches, 1)
        XCTAssertEqual(skipping.state.skippedBatches, 1)
        XCTAssertEqual(reference.report.skippedBatches, 0)
        XCTAssertEqual(skipping.w, reference.w)
        XCTAssertEqual(skipping.state.duals, reference.state.duals)
        XCTAssertEqual(skipping.state.secondMoments, reference.state.secondMoments)
        XCTAssertTrue(skipping.w.allSatisfy(\.isFinite))
    }

    func testPerBatchStateMustMatchBatchCount() throws {
        let badm = try BADM<Double>(subBatchCount: 3, bookkeeping: .perBatchAndSubBatch)
        let params = makeParameters([("w", [0.5, -0.25, 1.0])], Double.self)
        var state = badm.makeEngineState(for: params, batchCount: 5)
        guard case .invalidArgument? = assertOptimizerError(try badm.pass(&state, parameters: params, source: source(LeastSquares()))) else { return XCTFail() }
    }

    func testStateExportImport() throws {
        let badm = try BADM<Double>(rho: 2, sigma: 3, subBatchCount: 3, bookkeeping: .perBatchAndSubBatch)
        let params = makeParameters([("w", [0.5, -0.25, 1.0])], Double.self)
        var state = badm.makeEngineState(for: params, batchCount: 2)
        try badm.pass(&state, parameters: params, source: source(LeastSquares()))
        let export = state.exported()
        XCTAssertNotNil(export.tensors["dual.b1.n2.w"])
        XCTAssertEqual(try badm.importEngineState(export, for: params, batchCount: 2), state)
        var missing = export
        missing.tensors["second_moment.b0.n1.w"] = nil
        XCTAssertEqual(assertOptimizerError(try badm.importEngineState(missing, for: params, batchCount: 2)),
                       .missingStateTensor(name: "second_moment.b0.n1.w"))
    }

    /// An MLP on three Gaussian blobs: five BADM passes lower the full-data loss clearly, with
    /// parallel sub-batch gradients from `ModelGradientSource`.
    func testBADMTrainsAClassifier() throws {
        var rng = RandomState(seed: 5)
        let centers = [[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]]
        var xs = [Double](), labels = [Int]()
        for i in 0..<240 {
            let c = i % 3
            xs += [centers[c][0] + 0.6 * rng.normal(), centers[c][1] + 0.6 * rng.normal()]
            labels.append(c)
        }
        let x = Tensor(shape: [240, 2], scalars: xs)
        let model = try MLP<Double>(sizes: [2, 16, 3], rng: &rng)
        let perm = rng.permutation(240)
        let batches = (0..<8).map { Array(perm[($0 * 30)..<(($0 + 1) * 30)]) }
        let data = ModelGradientSource(model: model, inputs: x, labels: labels, batches: batches) { m, x, ctx in try m(x, context: ctx) }
        func fullLoss() throws -> Double { try softmaxCrossEntropy(logits: model(Variable(constant: x)), labels: labels).value.scalar }
        let before = try fullLoss()
        let badm = try BADM<Double>(rho: 10, sigma: 40, subBatchCount: 3)
        var state = badm.makeEngineState(for: model.namedParameters())
        for _ in 0..<5 { try badm.pass(&state, parameters: model.namedParameters(), source: data) }
        let after = try fullLoss()
        XCTAssertLessThan(after, 0.5 * before, "loss \(before) → \(after)")
        XCTAssertGreaterThan(try accuracy(logits: model(Variable(constant: x)), labels: labels), 0.9)
        XCTAssertTrue(model.parameters.allSatisfy { $0.grad == nil }, "BADM must not touch Parameter.grad")
    }
}
