import XCTest
@testable import L2ODecentralized
import L2OCore
import L2ONN

/// ∇f_i(x) = A_iᵀ(A_i x − b_i)/N as a tape op whose backward is the Hessian-vector product
/// `A_iᵀ A_i u / N` (x: [B, d], one problem per row of the batch, shared data here).
func lassoGradientOp(_ x: Variable<Double>, a: Tensor<Double>, b: Tensor<Double>) -> Variable<Double> {
    let N = Double(a.shape[0])
    let r = matmul(x.value, a, transposeB: true) - b.reshaped([1, -1])  // [B, N]
    let g = matmul(r, a) / N
    return Variable.record(g, inputs: [x]) { u in [matmul(matmul(u, a, transposeB: true), a) / N] }
}

final class MiLoDoTests: XCTestCase {
    let problem = SmallLasso()

    func nodeData(_ i: Int) -> (Tensor<Double>, Tensor<Double>) {
        (problem.a.rows(i..<(i + 1)).reshaped([problem.N, problem.d]), problem.b.rows(i..<(i + 1)).reshaped([problem.N]))
    }

    func exactModel(_ w: MixingMatrix<Double>, gamma0: Double) throws -> MiLoDoModel<Double> {
        var rng = RandomState(seed: 3)
        let m = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        m.specialInitialize(gamma0: gamma0, mixing: w, outputStd: 0, rng: &rng)
        return m
    }

    /// Asserts that `model` runs Exact Diffusion's iterates at step `gamma` (to 1e-12) on the
    /// smooth part of the problem (λ = 0) for `iterations` iterations.
    func assertRunsExactDiffusion(_ model: MiLoDoModel<Double>, gamma: Double, mixing w: MixingMatrix<Double>, iterations: Int,
                                  file: StaticString = #filePath, line: UInt = #line) {
        let smooth = NodeOracles<Double>(nodeCount: problem.n, dimension: problem.d, lambda: 0, gradients: problem.oracles.gradients)
        let milodo = MiLoDoOptimizer(model: model), ed = ProxED<Double>(stepSize: gamma)
        var s1 = milodo.makeState(smooth, mixing: w), s2 = ed.makeState(smooth, mixing: w)
        for k in 0..<iterations {
            milodo.step(&s1, smooth, mixing: w)
            ed.step(&s2, smooth, mixing: w)
            XCTAssertLessThan(milodo.iterate(s1).maxAbsDifference(ed.iterate(s2)), 1e-12, "iterate \(k + 1)", file: file, line: line)
        }
    }

    func testHVPGradientOpPassesGradientCheck() {
        let (a, b) = nodeData(1)
        let r = gradientCheck([Tensor.normal([2, problem.d], seed: 4)]) { v in lassoGradientOp(v[0], a: a, b: b) }
        XCTAssertTrue(r.passed, "\(r)")
    }

    func testNamesArePerNodeAndPerModule() throws {
        var rng = RandomState(seed: 1)
        let m = try MiLoDoModel<Double>(topology: try .ring(4), rng: &rng)
        let names = m.parameterNames
        XCTAssertTrue(names.contains("nodes.3.M.lstm.weight_ih"))
        XCTAssertTrue(names.contains("nodes.0.S.output.bias"))
        XCTAssertTrue(names.contains("nodes.2.U.hidden.weight"))
        XCTAssertEqual(names.count, 4 * 3 * 7)  // 4 nodes × 3 nets × (3 LSTM + 2 + 2 linear)
    }

    func testZeroOutputWeightsAndNoRegularizerReproduceExactDiffusion() throws {
        let w = try MixingMatrix<Double>(topology: try .star(4), rule: .metropolisHastings)
        let gamma = 0.05
        assertRunsExactDiffusion(try exactModel(w, gamma0: gamma), gamma: gamma, mixing: w, iterations: 30)
    }

    func testWithL1TheFixedPointIsTheLassoOptimum() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let milodo = MiLoDoOptimizer(model: try exactModel(w, gamma0: 0.1))
        var s = milodo.makeState(problem.oracles, mixing: w)
        for _ in 0..<4000 { milodo.step(&s, problem.oracles, mixing: w) }
        let x = milodo.iterate(s)
        let star = problem.optimum()
        XCTAssertLessThan((problem.objective(x.mean(axis: 0)) - star.value) / star.value, 1e-12)
        XCTAssertLessThan(x.mean(axis: 0).maxAbsDifference(star.x), 1e-6)
        XCTAssertLessThan((x - x.mean(axis: 0, keepingDims: true)).normInf(), 1e-8)  // consensual
        // The prox sits before the mixing: the path differs from Prox-ED's even though the limit agrees.
        let ed = ProxED<Double>(stepSize: 0.1)
        var m1 = milodo.makeState(problem.oracles, mixing: w), e1 = ed.makeState(problem.oracles, mixing: w)
        for _ in 0..<5 { milodo.step(&m1, problem.oracles, mixing: w); ed.step(&e1, problem.oracles, mixing: w) }
        XCTAssertGreaterThan(milodo.iterate(m1).maxAbsDifference(ed.iterate(e1)), 1e-8)
    }

    /// Networks evaluated in Float inside a Double run: the coefficients carry Float rounding,
    /// the iterates do not, and the limit is still the LASSO optimum to Double accuracy.
    func testFloatNetworksInADoubleRunKeepTheLimit() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        var rng = RandomState(seed: 8)
        let model = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        model.specialInitialize(gamma0: 0.1, mixing: w, outputStd: 0.01, rng: &rng)
        let native = MiLoDoOptimizer(model: model)
        var a = native.makeState(problem.oracles, mixing: w)
        for _ in 0..<5 { native.step(&a, problem.oracles, mixing: w) }
        model.useFloatInference(true)
        let fast = MiLoDoOptimizer(model: model)
        var b = fast.makeState(problem.oracles, mixing: w)
        for _ in 0..<5 { fast.step(&b, problem.oracles, mixing: w) }
        let early = native.iterate(a).maxAbsDifference(fast.iterate(b))
        // Error bound, as in `testPackedInferenceStepMatchesTheTensorStep`: the Float networks'
        // coefficients carry a relative error of at most (dot terms + 1)·u (u = 2⁻²⁴; the +1 for the
        // weights and features rounded to Float, expf within an ulp), the Double ones next to none,
        // and the iterates are linear in the coefficients with gain ≤ 1 per iteration: 5 iterations
        // times that, times the size of x (counted twice, as in the model, for the two paths).
        let u = Double(Float.ulpOfOne) / 2, H = Double(model.hiddenSize)
        let dotTerms = (3 + H) + H + H
        XCTAssertLessThan(early, 2 * 5 * (dotTerms + 1) * u * native.iterate(a).normInf())
        XCTAssertGreaterThan(early, 0, "Float networks round the coefficients")
        for _ in 5..<4000 { fast.step(&b, problem.oracles, mixing: w) }
        let x = fast.iterate(b), star = problem.optimum()
        XCTAssertLessThan((problem.objective(x.mean(axis: 0)) - star.value) / star.value, 1e-12)
        XCTAssertLessThan((x - x.mean(axis: 0, keepingDims: true)).normInf(), 1e-8)
        model.useFloatInference(false)
        var c = native.makeState(problem.oracles, mixing: w)
        for _ in 0..<5 { native.step(&c, problem.oracles, mixing: w) }
        XCTAssertEqual(native.iterate(c).maxAbsDifference(native.iterate(a)), 0, "switching back restores the Double networks")
    }

    /// Small problems run the packed step's nodes on several threads, large ones split each
    /// network's blocks instead: the iterates and LSTM states are bit-identical to one thread's.
    func testPackedStepIsTheSameOnOneThreadAndOnSeveral() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        var rng = RandomState(seed: 8)
        let model = try MiLoDoModel<Double>(topology: w.topology, stepFeatures: .residual, rng: &rng)
        model.specialInitialize(gamma0: 0.1, mixing: w, outputStd: 0.3, rng: &rng)
        model.useBoundedOutputs(alpha: 0.5, stepAlpha: 0.9, gamma0: 0.1, mixing: w)
        model.useFloatInference(true)
        let milodo = MiLoDoOptimizer(model: model, seed: 3)
        func run(workers: Int) -> [(name: String, tensor: Tensor<Double>)] {
            let saved = Parallel.workers
            Parallel.workers = workers
            defer { Parallel.workers = saved }
            var s = milodo.makeState(problem.oracles, mixing: w)
            for _ in 0..<7 { milodo.step(&s, problem.oracles, mixing: w) }
            return milodo.stateTensors(s)
        }
        let one = run(workers: 1), several = run(workers: 3)
        XCTAssertEqual(one.map(\.name), several.map(\.name))
        for (a, b) in zip(one, several) { XCTAssertEqual(a.tensor, b.tensor, a.name) }
        XCTAssertGreaterThan(one[0].tensor.normInf(), 0)
    }

    /// The packed in-place step (`inferenceStep`, taken by tape-free runs with Float networks)
    /// against the tensor step with the same Float networks: paper and bounded outputs, both step
    /// feature sets, a batch of two problems with their own step scales, on a non-regular graph.
    /// Paper outputs agree to Float rounding of the block products; bounded outputs also take
    /// `tanh` in Float (absolute error below `kernelTanhErrorBound`, 1.04e-6).
    func testPackedInferenceStepMatchesTheTensorStep() throws {
        let w = try MixingMatrix<Double>(topology: try .star(4), rule: .metropolisHastings)
        // d = 700 and a batch of 2: 1,400 rows, 11 blocks of 128 (the last partial), split across cores.
        let n = 4, d = 700, N = 6, lambda = 0.05
        let data = (0..<n).map { i in (Tensor<Double>.normal([N, d], seed: 100 + UInt64(i)) * 0.4, Tensor<Double>.normal([N], seed: 200 + UInt64(i))) }
        func grads(_ xs: [Tensor<Double>]) -> [Tensor<Double>] {
            xs.enumerated().map { lassoGradientOp(Variable(constant: $0.element), a: data[$0.offset].0, b: data[$0.offset].1).value }
        }
        for bounded in [false, true] {
            for features in MiLoDoStepFeatures.allCases {
                var rng = RandomState(seed: 21)
                let model = try MiLoDoModel<Double>(topology: w.topology, stepFeatures: features, rng: &rng)
                if bounded { model.useBoundedOutputs(alpha: 0.5, stepAlpha: 0.8, gamma0: 0.05, mixing: w) }
                model.specialInitialize(gamma0: 0.05, mixing: w, outputStd: 0.3, rng: &rng)
                model.useFloatInference(true)
                var start = model.initialState(batch: 2, dimension: d, tape: nil, rng: &rng)
                start.scale = Tensor([0.7, 1.3]).reshaped([2, 1])
                var tensorState = start
                var packed = MiLoDoModel<Double>.InferenceState(start)
                let context = ForwardContext<Double>(tape: nil)
                for _ in 0..<6 {
                    tensorState = try model.step(tensorState, lambda: lambda, context: context) { xs in
                        grads(xs.map(\.value)).map { Variable(constant: $0) }
                    }
                    model.inferenceStep(&packed, lambda: lambda, gradients: grads)
                }
                // Error bound. Both paths evaluate the same Float networks but sum in different orders
                // (OpenBLAS sgemm, whose kernels depend on the CPU, vs the blocked C kernel). A
                // K-term Float dot product is within γ_K·Σ|wᵢvᵢ| ≈ K·u·Σ|wᵢvᵢ| of the exact value
                // (u = 2⁻²⁴); a network output passes through three of them: the gates (K = inputs
                // + hidden ≤ 3 + 20 = 23), the hidden layer (20) and the output layer (20). The
                // weights are O(1/√20) and LSTM states bounded by 1, so Σ|wᵢvᵢ| is of the size of
                // the outputs, and each path's coefficients carry a relative error of at most
                // (23 + 20 + 20)·u; bounded outputs add Float `tanh` (absolute error < 1.04e-6, relative
                // to coefficients of order 1). The iterates are linear in the coefficients with
                // gain ≤ 1 per iteration, so over 6 iterations the two paths differ by at most
                // 2 paths × 6 iterations × that relative error, times the size of x (or y).
                let u = Double(Float.ulpOfOne) / 2
                let hiddenSize = model.hiddenSize, iterations = 6.0
                let dotTerms = Double((3 + hiddenSize) + hiddenSize + hiddenSize)
                let tol = 2 * iterations * (dotTerms * u + (bounded ? 1.04e-6 : 0))
                // LSTM states: c accumulates the gate errors (K = 23 terms, weighted sums up to the
                // row sums of |[W; U]| + |b| times max(1, ‖inputs‖∞) ≤ the bound below) once per
                // iteration; h = o·tanh(c) is within the same bound.
                let gateBound = 2 * iterations * Double(3 + hiddenSize) * u * maxGateRowSum(model)
                let label = "bounded \(bounded), \(features)"
                let unpacked = packed.unpacked
                for i in 0..<n {
                    let x = tensorState.x[i].value, y = tensorState.y[i].value
                    XCTAssertGreaterThan(x.normInf(), 1e-3, "the run moved, \(label)")
                    XCTAssertLessThan(packed.x[i].maxAbsDifference(x), tol * x.normInf(), "x, node \(i), \(label)")
                    XCTAssertLessThan(packed.y[i].maxAbsDifference(y), tol * Swift.max(y.normInf(), 1e-3), "y, node \(i), \(label)")
                    for k in 0..<3 {
                        let c = tensorState.lstm[i][k].c.value
                        XCTAssertLessThan(unpacked.lstm[i][k].c.value.maxAbsDifference(c), gateBound * Swift.max(1, c.normInf()), "c, node \(i), \(label)")
                        XCTAssertLessThan(unpacked.lstm[i][k].h.value.maxAbsDifference(tensorState.lstm[i][k].h.value), gateBound * Swift.max(1, c.normInf()), "h, node \(i), \(label)")
                    }
                }
                // Duals still sum to zero over the nodes (the symmetrized p_ij,1).
                var ySum = packed.y[0]
                for i in 1..<n { ySum = ySum + packed.y[i] }
                XCTAssertLessThan(ySum.normInf(), 1e-12, label)
            }
        }
    }

    /// The largest Σⱼ|[W; U]ⱼₖ| + |bₖ| over the gate units k of every LSTM of `model`: a bound on
    /// the weighted sums behind a gate when inputs and states are at most 1 in magnitude.
    func maxGateRowSum(_ model: MiLoDoModel<Double>) -> Double {
        var best = 0.0
        for node in model.nodes {
            for net in [node.m, node.s, node.u] {
                let wa = abs(net.lstm.weightIH.value).sum(axis: 0), ua = abs(net.lstm.weightHH.value).sum(axis: 0)
                let total = wa + ua + abs(net.lstm.bias.value)
                best = Swift.max(best, total.max())
            }
        }
        return best
    }

    /// Tape-free runs with Float networks take the packed path; a copy of the optimizer state
    /// taken earlier is not changed by later steps (the packed LSTM states are copied on write),
    /// and asking for coefficients (which uses the tensor path) continues from the same state.
    func testPackedOptimizerStateIsAValue() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        var rng = RandomState(seed: 9)
        let model = try MiLoDoModel<Double>(topology: w.topology, stepFeatures: .residual, rng: &rng)
        model.useBoundedOutputs(alpha: 0.5, gamma0: 0.1, mixing: w)
        model.specialInitialize(gamma0: 0.1, mixing: w, outputStd: 0.2, rng: &rng)
        model.useFloatInference(true)
        let opt = MiLoDoOptimizer(model: model)
        var a = opt.makeState(problem.oracles, mixing: w)
        for _ in 0..<3 { opt.step(&a, problem.oracles, mixing: w) }
        XCTAssertNotNil(a.packed, "tape-free steps with Float networks use the packed state")
        var b = a
        let before = opt.stateTensors(b)
        for _ in 0..<3 { opt.step(&a, problem.oracles, mixing: w) }
        for ((name, t0), (_, t1)) in zip(before, opt.stateTensors(b)) { XCTAssertEqual(t0, t1, "\(name) of the copy") }
        XCTAssertGreaterThan(opt.iterate(a).maxAbsDifference(opt.iterate(b)), 0)
        for _ in 0..<3 { opt.step(&b, problem.oracles, mixing: w) }
        XCTAssertEqual(opt.iterate(a), opt.iterate(b), "the copy replays the same steps")
        // One step through the tensor path (asked for its coefficients) and one packed step.
        var c = b
        var seen = 0
        opt.step(&b, problem.oracles, mixing: w, observe: { _ in seen += 1 })
        opt.step(&c, problem.oracles, mixing: w)
        XCTAssertEqual(seen, 1)
        XCTAssertNil(b.packed)
        // Error bound, as in `testPackedInferenceStepMatchesTheTensorStep` for one iteration (the two
        // states are equal before it): 2 paths × (dot terms · u + the Float tanh of the bounded
        // outputs, ≤ 1.04e-6: see `kernelTanhErrorBound` in CoordinatewiseKernelTests) × |x|.
        let u = Double(Float.ulpOfOne) / 2, H = Double(model.hiddenSize)
        let dotTerms = (3 + H) + H + H, floatTanhError = 2 * (6 * u + (1.5 / 4096) * (1.5 / 4096)) + u
        XCTAssertLessThan(opt.iterate(b).maxAbsDifference(opt.iterate(c)), 2 * (dotTerms * u + floatTanhError) * opt.iterate(c).normInf())
        // A state restored from its tensors continues like the original.
        var d = try opt.restoreState(Dictionary(uniqueKeysWithValues: opt.stateTensors(c).map { ($0.name, $0.tensor) }),
                                     iteration: opt.iterationCount(c), problem.oracles)
        opt.step(&c, problem.oracles, mixing: w)
        opt.step(&d, problem.oracles, mixing: w)
        XCTAssertEqual(opt.iterate(c), opt.iterate(d))
    }

    /// The mean over 3 unrolled iterations of `F(x̄)/2` (batch of 2), on `tape` when given.
    func unrolledLoss(_ model: MiLoDoModel<Double>, tape: Tape<Double>?, stateSeed: UInt64) throws -> Variable<Double> {
        var rng = RandomState(seed: stateSeed)
        let context = ForwardContext<Double>(tape: tape)
        var state = model.initialState(batch: 2, dimension: problem.d, tape: tape, rng: &rng)
        let data = (0..<problem.n).map(nodeData)
        let fullA = problem.a.reshaped([problem.n * problem.N, problem.d]), fullB = problem.b.reshaped([problem.n * problem.N])
        var losses = [Variable<Double>]()
        for _ in 0..<3 {
            state = try model.step(state, lambda: problem.lambda, context: context) { xs in
                xs.enumerated().map { lassoGradientOp($0.element, a: data[$0.offset].0, b: data[$0.offset].1) }
            }
            // F(x̄) for each batch row, averaged over the batch.
            var xbar = state.x[0]
            for x in state.x.dropFirst() { xbar = xbar + x }
            xbar = xbar / Double(problem.n)
            let r = matmul(xbar, Variable(constant: fullA), transposeB: true) - Variable(constant: fullB.reshaped([1, -1]))
            let f = r.squaredNorm() / Double(2 * problem.n * problem.N) / 2 + abs(xbar).sum() * problem.lambda / 2
            losses.append(f)
        }
        var loss = losses[0]
        for l in losses.dropFirst() { loss = loss + l }
        return loss / Double(losses.count)
    }

    func testEveryParameterReceivesANonZeroMetaGradient() throws {
        for features in MiLoDoStepFeatures.allCases {
            let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
            var rng = RandomState(seed: 5)
            let model = try MiLoDoModel<Double>(topology: w.topology, stepFeatures: features, rng: &rng)
            model.specialInitialize(gamma0: 0.05, mixing: w, rng: &rng)
            let tape = Tape<Double>()
            tape.backward(try unrolledLoss(model, tape: tape, stateSeed: 6))
            for (name, p) in model.namedParameters() {
                let g = try XCTUnwrap(p.grad, "\(name) received no gradient (\(features))")
                XCTAssertGreaterThan(g.normInf(), 0, "\(name) has an all-zero meta-gradient (\(features))")
                XCTAssertTrue(g.isFinite, name)
            }
        }
    }

    /// The meta-gradient of the step network's input weights (whose third column reads the
    /// residual feature `|g + y|/λ`) agrees with central finite differences of the unrolled loss.
    func testResidualFeatureMetaGradientMatchesFiniteDifferences() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        var rng = RandomState(seed: 8)
        let model = try MiLoDoModel<Double>(topology: w.topology, hiddenSize: 4, stepFeatures: .residual, rng: &rng)
        model.useBoundedOutputs(alpha: 0.4, stepAlpha: 0.8, gamma0: 0.05, mixing: w)
        model.specialInitialize(gamma0: 0.05, mixing: w, outputStd: 0.5, rng: &rng)
        let weight = try XCTUnwrap(model.namedParameters().first { $0.name == "nodes.1.M.lstm.weight_ih" }?.parameter)
        XCTAssertEqual(weight.shape, [3, 16])  // [inputs, 4H]
        let tape = Tape<Double>()
        tape.backward(try unrolledLoss(model, tape: tape, stateSeed: 9))
        let analytic = try XCTUnwrap(weight.grad)
        XCTAssertGreaterThan(analytic.rows(2..<3).normInf(), 1e-8)  // the residual column matters
        func central(_ k: Int, _ h: Double) throws -> Double {
            let original = weight.value
            var plus = original, minus = original
            plus[2, k] += h
            minus[2, k] -= h
            weight.value = plus
            let fp = try unrolledLoss(model, tape: nil, stateSeed: 9).value.scalar
            weight.value = minus
            let fm = try unrolledLoss(model, tape: nil, stateSeed: 9).value.scalar
            weight.value = original
            return (fp - fm) / (2 * h)
        }
        // Error bound. Each evaluation of the loss f is within ε = K·u·|f| of its exact value
        // (u = 2⁻⁵³; summation orders depend on the CPU's OpenBLAS kernels), K = 3 iterations ×
        // (15 network + 15 gradient + 30 loss + 4 mixing terms), so a central difference D(h) has
        // rounding noise ≤ ε/h. Richardson's R(h) = (4D(h) − D(2h))/3 cancels the h² term of the
        // truncation error (noise ≤ 1.5ε/h); its h⁴ term is 1/15 of R(h) − R(2h) (noise ≤ 0.15ε/h
        // there). h = 1e-4 keeps the noise small; the backward pass rounds like K·u·|∂f|.
        let u = Double.ulpOfOne / 2, K = 3.0 * (15 + 15 + 30 + 4), h = 1e-4
        let eps = K * u * abs(try unrolledLoss(model, tape: nil, stateSeed: 9).value.scalar)
        for k in 0..<16 {
            let d1 = try central(k, h), d2 = try central(k, 2 * h), d4 = try central(k, 4 * h)
            let r1 = (4 * d1 - d2) / 3, r2 = (4 * d2 - d4) / 3
            let tol = abs(r1 - r2) / 15 + 1.65 * eps / h + K * u * abs(analytic[2, k])
            XCTAssertLessThan(abs(r1 - analytic[2, k]), tol, "column \(k)")
        }
    }

    func testResidualFeaturesWithAStepBoundStartAtExactDiffusionAndKeepTheirBounds() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let gamma = 0.05, alpha = 0.4, stepAlpha = 0.8
        var rng = RandomState(seed: 10)
        let exact = try MiLoDoModel<Double>(topology: w.topology, stepFeatures: .residual, rng: &rng)
        exact.useBoundedOutputs(alpha: alpha, stepAlpha: stepAlpha, gamma0: gamma, mixing: w)
        exact.specialInitialize(gamma0: gamma, mixing: w, outputStd: 0, rng: &rng)
        XCTAssertEqual(exact.stepAlpha, stepAlpha)
        assertRunsExactDiffusion(exact, gamma: gamma, mixing: w, iterations: 20)
        let wild = try MiLoDoModel<Double>(topology: w.topology, stepFeatures: .residual, rng: &rng)
        wild.useBoundedOutputs(alpha: alpha, stepAlpha: stepAlpha, gamma0: gamma, mixing: w)
        for node in wild.nodes { for net in [node.m, node.s, node.u] { net.output.weight.value = .normal(net.output.weight.shape, std: 5, rng: &rng) } }
        let opt = MiLoDoOptimizer(model: wild)
        var st = opt.makeState(problem.oracles, mixing: w)
        var p = (lo: Double.infinity, hi: -Double.infinity), p1 = p
        for _ in 0..<5 {
            opt.step(&st, problem.oracles, mixing: w) { c in
                for v in c.p.flatMap(\.scalars) { p = (min(p.lo, v), max(p.hi, v)) }
                for v in c.p1.flatMap({ $0.flatMap(\.scalars) }) { p1 = (min(p1.lo, v), max(p1.hi, v)) }
            }
        }
        let wij = 1.0 / 3
        XCTAssertGreaterThanOrEqual(p.lo, gamma * (1 - stepAlpha) - 1e-15)
        XCTAssertLessThanOrEqual(p.hi, gamma * (1 + stepAlpha) + 1e-15)
        XCTAssertGreaterThan(p.hi - p.lo, gamma * alpha * 2)  // wider than the other coefficients' bound
        XCTAssertGreaterThanOrEqual(p1.lo, wij / (2 * gamma) * (1 - alpha) - 1e-12)
        XCTAssertLessThanOrEqual(p1.hi, wij / (2 * gamma) * (1 + alpha) + 1e-12)
    }

    func testLocalCurvatureIsTheTopEigenvalueOfEachNodesHessian() {
        let p = problem
        let L = LocalCurvature.estimate(nodes: p.n, batch: 1, dimension: p.d, iterations: 300) { (xs: [Tensor<Double>]) in
            let g = p.oracles.gradients(Tensor.concat(xs, axis: 0))
            return (0..<p.n).map { g.rows($0..<($0 + 1)) }
        }
        // Reference: plain power iteration on A_iᵀA_i/N for every node, the largest of them.
        var expected = 0.0
        for i in 0..<p.n {
            let (a, _) = nodeData(i)
            let A = a.scalars, N = p.N, d = p.d
            var v = [Double](repeating: 1, count: d), lambda = 0.0
            for _ in 0..<2000 {
                var av = [Double](repeating: 0, count: N)
                for r in 0..<N { for k in 0..<d { av[r] += A[r * d + k] * v[k] } }
                var w = [Double](repeating: 0, count: d)
                for r in 0..<N { for k in 0..<d { w[k] += A[r * d + k] * av[r] / Double(N) } }
                lambda = w.map { $0 * $0 }.reduce(0, +).squareRoot()
                v = w.map { $0 / lambda }
            }
            expected = max(expected, lambda)
        }
        XCTAssertEqual(L.count, 1)
        XCTAssertEqual(L[0], expected, accuracy: 1e-6 * expected)
    }

    /// With step normalization, the rule at its special initialization runs the same iterates on
    /// `(cA, cb, c²λ)` as on `(A, b, λ)` (the same problem in other units); without it, it does not.
    func testStepNormalizationMakesTheRuleInvariantToTheProblemsScale() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let c = 2.5
        let base = problem, lambda = problem.lambda
        let a = base.a, b = base.b, N = base.N
        let original = base.oracles
        let scaled = NodeOracles<Double>(nodeCount: base.n, dimension: base.d, lambda: c * c * lambda,
                                         gradients: { LeastSquares.gradient(a: a * c, x: $0, b: b * c, scale: 1 / Double(N)) })
        for normalized in [true, false] {
            let model = try exactModel(w, gamma0: 0.1)
            model.stepScaleReference = normalized ? 7 : 0
            let opt = MiLoDoOptimizer(model: model)
            var s1 = opt.makeState(original, mixing: w), s2 = opt.makeState(scaled, mixing: w)
            if normalized {
                let s1v = try XCTUnwrap(s1.rule.scale).scalar, s2v = try XCTUnwrap(s2.rule.scale).scalar
                XCTAssertEqual(s1v / s2v, c * c, accuracy: 1e-9)
            } else {
                XCTAssertNil(s1.rule.scale)
            }
            var worst = 0.0
            for _ in 0..<30 {
                opt.step(&s1, original, mixing: w)
                opt.step(&s2, scaled, mixing: w)
                worst = max(worst, opt.iterate(s1).maxAbsDifference(opt.iterate(s2)))
            }
            if normalized { XCTAssertLessThan(worst, 1e-10) } else { XCTAssertGreaterThan(worst, 1e-3) }
        }
    }

    func testBoundedOutputsStartAtExactDiffusionAndStayWithinTheirBounds() throws {
        let w = try MixingMatrix<Double>(topology: try .star(4), rule: .metropolisHastings)
        let gamma = 0.05, alpha = 0.4
        // Zero output weights and zero biases: tanh(0) = 0, so the coefficients are ED's constants.
        var rng = RandomState(seed: 3)
        let exact = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        exact.useBoundedOutputs(alpha: alpha, gamma0: gamma, mixing: w)
        exact.specialInitialize(gamma0: gamma, mixing: w, outputStd: 0, rng: &rng)
        XCTAssertEqual(exact.outputs, .bounded(alpha: alpha))
        assertRunsExactDiffusion(exact, gamma: gamma, mixing: w, iterations: 20)
        // Large random output layers: every coefficient stays within 1 ± α of ED's constant.
        let wild = try MiLoDoModel<Double>(topology: w.topology, rng: &rng)
        wild.useBoundedOutputs(alpha: alpha, gamma0: gamma, mixing: w)
        for node in wild.nodes { for net in [node.m, node.s, node.u] { net.output.weight.value = .normal(net.output.weight.shape, std: 5, rng: &rng) } }
        var st = wild.initialState(batch: 2, dimension: problem.d, tape: nil, rng: &rng)
        let context = ForwardContext<Double>(tape: nil)
        var seen = 0
        var spread = (lo: Double.infinity, hi: -Double.infinity)
        for _ in 0..<5 {
            st = try wild.step(st, lambda: problem.lambda, context: context, observe: { c in
                seen += 1
                for i in 0..<self.problem.n {
                    for v in c.p[i].scalars {
                        XCTAssertGreaterThanOrEqual(v, gamma * (1 - alpha) - 1e-15)
                        XCTAssertLessThanOrEqual(v, gamma * (1 + alpha) + 1e-15)
                        spread = (min(spread.lo, v), max(spread.hi, v))
                    }
                    for (k, j) in w.topology.neighbors[i].enumerated() {
                        let wij = w.weight(i, j)
                        XCTAssertTrue(c.p1[i][k].scalars.allSatisfy { $0 >= wij / (2 * gamma) * (1 - alpha) - 1e-12 && $0 <= wij / (2 * gamma) * (1 + alpha) + 1e-12 })
                        XCTAssertTrue(c.p2[i][k].scalars.allSatisfy { $0 >= wij / 2 * (1 - alpha) - 1e-15 && $0 <= wij / 2 * (1 + alpha) + 1e-15 })
                    }
                }
            }) { xs in xs.enumerated().map { Variable(constant: lassoGradientOp(Variable(constant: $0.element.value), a: self.nodeData($0.offset).0, b: self.nodeData($0.offset).1).value) } }
        }
        XCTAssertEqual(seen, 5)
        XCTAssertGreaterThan(spread.hi - spread.lo, gamma * alpha)  // the bound is reached for, not a constant
    }
}
