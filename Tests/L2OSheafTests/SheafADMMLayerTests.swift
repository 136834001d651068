import XCTest
import L2OCore
import L2ONN
import L2OOptimizers
@testable import L2OSheaf

final class SheafADMMLayerTests: XCTestCase {
    let dv = 3, de = 2, B = 2

    func makeLayer(_ consensus: SheafADMMConfig.Consensus, inner: Int, rho: Double = 1, gamma: Double = 0.7, alpha: Double = 1,
                   sharing: MapSharing = .perSlot, seed: UInt64 = 11) throws -> (SheafADMMLayer<Double>, SheafGraph) {
        let g = try smallGraph()
        var c = SheafADMMConfig(vertexStalk: dv, edgeStalk: de)
        c.consensus = consensus
        c.innerSteps = inner
        c.rho = rho
        c.gamma = gamma
        c.overRelaxation = alpha
        c.sharing = sharing
        c.hardEpsilon = 1e-9
        var rng = RandomState(seed: seed)
        return (try SheafADMMLayer<Double>(config: c, slotCount: g.slotCount, rng: &rng), g)
    }

    func objective(_ g: SheafGraph, l1: Double? = nil, box: Double? = nil) -> LocalObjective<Double> {
        let D = Tensor<Double>.uniform([B, g.agentCount, dv], seed: 21) + 0.5
        let q = Tensor<Double>.normal([B, g.agentCount, dv], seed: 22)
        return LocalObjective(curvature: Variable(constant: D), linear: Variable(constant: q),
                              l1: l1.map { Variable(constant: Tensor($0)) }, lower: box.map { -$0 }, upper: box)
    }

    /// The dense Laplacian `δᵀδ` of problem `b` (maps shared by the batch here).
    func denseLaplacian(_ layer: SheafADMMLayer<Double>, _ g: SheafGraph) throws -> Tensor<Double> {
        let F = try layer.maps.maps(for: g, context: ForwardContext<Double>(tape: nil))
        let n = g.agentCount * dv
        var columns = [Tensor<Double>]()
        for k in 0..<n {
            var e = Tensor<Double>.zeros([1, g.agentCount, dv])
            e.withUnsafeMutableBufferPointer { $0[k] = 1 }
            columns.append(try sheafLaplacian(Variable(constant: e), maps: F, graph: g).value.reshaped([n, 1]))
        }
        return Tensor.concat(columns, axis: 1)
    }

    /// Solves `M x = r` for symmetric positive definite M by its eigen-decomposition.
    func solve(_ m: Tensor<Double>, _ r: Tensor<Double>) throws -> Tensor<Double> {
        let (values, vectors) = try SymmetricEigen.decompose(m, vectors: true, symmetryTolerance: 1e-9)
        let Q = vectors!
        let c = matmul(Q, r.reshaped([-1, 1]), transposeA: true).scalars.enumerated().map { $0.element / values[$0.offset] }
        return matmul(Q, Tensor(shape: [c.count, 1], scalars: c)).reshaped([-1])
    }

    /// Soft consensus on a pure quadratic: ADMM's fixed point solves `(diag D + γL) x = −q`.
    func testSoftConsensusConvergesToTheRegularizedOptimum() throws {
        for (consensus, inner) in [(SheafADMMConfig.Consensus.soft, 20), (.nesterov, 400)] {
            let (layer, g) = try makeLayer(consensus, inner: inner)
            let obj = objective(g)
            let out = try layer(obj, initial: Variable(constant: .zeros([B, g.agentCount, dv])), graph: g, iterations: 200)
            let L = try denseLaplacian(layer, g)
            for b in 0..<B {
                let D = obj.curvature.value.rows(b..<(b + 1)).reshaped([-1]).scalars
                var M = L * 0.7
                M.withUnsafeMutableBufferPointer { p in for k in 0..<D.count { p[k * D.count + k] += D[k] } }
                let want = try solve(M, obj.linear.value.rows(b..<(b + 1)).reshaped([-1]) * -1)
                let got = out.iterates.last!.value.rows(b..<(b + 1)).reshaped([-1])
                XCTAssertLessThan(got.maxAbsDifference(want), 1e-8 * max(1, want.normInf()), "\(consensus), problem \(b)")
            }
            // The primal residual has fallen to nothing, and every iteration left diagnostics.
            XCTAssertEqual(out.diagnostics.primal.count, 200)
            XCTAssertLessThan(out.diagnostics.primal.last!.max(), 1e-8)
            XCTAssertGreaterThan(out.diagnostics.primal.first!.max(), 1e-3)
        }
    }

    /// Hard consensus on a pure quadratic: the iterates approach the minimizer over the global
    /// sections, `x = N (NᵀDN)⁻¹ Nᵀ(−q)` with N a basis of ker δ (= ker L).
    func testHardConsensusConvergesToTheConstrainedOptimum() throws {
        // One global map: constant sections exist (dim ker δ ≥ d_v − d_e·… > 0).
        let (layer, g) = try makeLayer(.hard, inner: 30, rho: 1, sharing: .global)
        let obj = objective(g)
        let out = try layer(obj, initial: Variable(constant: .zeros([B, g.agentCount, dv])), graph: g, iterations: 400)
        let L = try denseLaplacian(layer, g)
        let (values, vectors) = try SymmetricEigen.decompose(L, vectors: true, symmetryTolerance: 1e-9)
        let kernel = values.indices.filter { values[$0] < 1e-9 }
        XCTAssertGreaterThan(kernel.count, 0)
        let n = L.shape[0]
        let N = Tensor<Double>.concat(kernel.map { k in vectors!.columns(k..<(k + 1)) }, axis: 1)
        for b in 0..<B {
            let D = obj.curvature.value.rows(b..<(b + 1)).reshaped([-1]).scalars
            var DN = N
            DN.withUnsafeMutableBufferPointer { p in for i in 0..<n { for j in 0..<kernel.count { p[i * kernel.count + j] *= D[i] } } }
            let reduced = matmul(N, DN, transposeA: true)
            let rhs = matmul(N, obj.linear.value.rows(b..<(b + 1)).reshaped([-1, 1]), transposeA: true).reshaped([-1]) * -1
            let c = try solve(reduced, rhs)
            let want = matmul(N, c.reshaped([-1, 1])).reshaped([-1])
            let got = out.consensus.value.rows(b..<(b + 1)).reshaped([-1])
            XCTAssertLessThan(got.maxAbsDifference(want), 1e-6 * max(1, want.normInf()), "problem \(b)")
        }
    }

    /// With ℓ1 and a box, the converged iterate matches proximal gradient on the whole problem
    /// `Σ f_i(x_i) + (γ/2) xᵀLx` (run to convergence on plain values).
    func testL1AndBoxMatchProximalGradient() throws {
        let (layer, g) = try makeLayer(.soft, inner: 20, alpha: 1.5)
        let obj = objective(g, l1: 0.3, box: 0.8)
        let out = try layer(obj, initial: Variable(constant: .zeros([B, g.agentCount, dv])), graph: g, iterations: 300)
        let L = try denseLaplacian(layer, g)
        let n = L.shape[0]
        let bound = L.normInf() * 0.7 + 1.5 + 1  // ≥ λ_max(D + γL)
        for b in 0..<B {
            let D = obj.curvature.value.rows(b..<(b + 1)).reshaped([-1])
            let q = obj.linear.value.rows(b..<(b + 1)).reshaped([-1])
            var x = Tensor<Double>.zeros([n])
            let t = 1 / bound
            for _ in 0..<20000 {
                let grad = D * x + q + matmul(L, x.reshaped([-1, 1])).reshaped([-1]) * 0.7
                x = clamp(softThreshold(x - grad * t, 0.3 * t), min: -0.8, max: 0.8)
            }
            let got = out.iterates.last!.value.rows(b..<(b + 1)).reshaped([-1])
            XCTAssertLessThan(got.maxAbsDifference(x), 1e-7, "problem \(b)")
            XCTAssertLessThanOrEqual(got.normInf(), 0.8)
            XCTAssertTrue(got.scalars.contains(0), "the ℓ1 term makes some coordinates exactly zero")
        }
    }

    /// The layer's gradients (through every ADMM iteration and every inner solver step) in its
    /// inputs and parameters match central differences, for each consensus mode, with ℓ1, box,
    /// over-relaxation and a low-rank map update.
    func testLayerGradientsMatchFiniteDifferences() throws {
        for consensus in SheafADMMConfig.Consensus.allCases {
            let (layer, g) = try makeLayer(consensus, inner: 3, alpha: 1.3)
            let A = g.agentCount, r = 2
            let D = Tensor<Double>.uniform([B, A, dv], seed: 31) + 0.5, q = Tensor<Double>.normal([B, A, dv], seed: 32)
            let x0 = Tensor<Double>.normal([B, A, dv], seed: 33) * 0.5
            let a = Tensor<Double>.normal([B, A, de, r], seed: 34) * 0.3, bb = Tensor<Double>.normal([B, A, dv, r], seed: 35) * 0.3
            let inputs = [D, q, x0, layer.maps.base.value, layer.rhoRaw.value, layer.gammaRaw.value, a, bb]
            let check = gradientCheck(inputs, tolerance: 1e-6) { v in
                let ctx = try! ForwardContext(tape: v[0].tape, substitutes: [(layer.maps.base, v[3]), (layer.rhoRaw, v[4]), (layer.gammaRaw, v[5])])
                let obj = LocalObjective(curvature: v[0], linear: v[1], l1: Variable(constant: Tensor(0.05)), lower: -2, upper: 2)
                let out = try! layer(obj, initial: v[2], graph: g, iterations: 3, lowRank: (v[6], v[7]), context: ctx)
                // A loss over the last two iterates, as a task's loss averages the last W.
                return out.iterates[1] + out.iterates[2] * 0.5
            }
            XCTAssertTrue(check.passed, "\(consensus): \(check)")
        }
    }

    /// Per-agent ρ from an encoder and residual balancing: still the same fixed point.
    func testPerAgentRhoAndResidualBalancingKeepTheFixedPoint() throws {
        let (plain, g) = try makeLayer(.soft, inner: 20)
        var c = plain.config
        c.residualBalancing = true
        var rng = RandomState(seed: 11)
        let balanced = try SheafADMMLayer<Double>(config: c, slotCount: g.slotCount, rng: &rng)
        var obj = objective(g)
        let x0 = Variable(constant: Tensor<Double>.zeros([B, g.agentCount, dv]))
        let want = try plain(obj, initial: x0, graph: g, iterations: 300).iterates.last!.value
        let got = try balanced(obj, initial: x0, graph: g, iterations: 300)
        XCTAssertLessThan(got.iterates.last!.value.maxAbsDifference(want), 1e-8)
        XCTAssertTrue(Set(got.diagnostics.rho).count > 1 || got.diagnostics.rho.allSatisfy { abs($0 - 1) < 1e-12 })
        obj.rho = Variable(constant: Tensor<Double>.uniform([B, g.agentCount, 1], seed: 41) + 0.5)
        let perAgent = try plain(obj, initial: x0, graph: g, iterations: 300)
        XCTAssertLessThan(perAgent.iterates.last!.value.maxAbsDifference(want), 1e-8)
    }

    /// The dual residual uses each agent's own ρ, also for a batch of one problem.
    func testDualResidualUsesEachAgentsRho() throws {
        let (layer, g) = try makeLayer(.soft, inner: 3)
        let A = g.agentCount
        let rho = Tensor<Double>(shape: [1, A, 1], scalars: (0..<A).map { 1 + Double($0) })
        let obj = LocalObjective(curvature: Variable(constant: Tensor<Double>.ones([1, A, dv])),
                                 linear: Variable(constant: Tensor<Double>.normal([1, A, dv], seed: 3)), rho: Variable(constant: rho))
        let x0 = Variable(constant: Tensor<Double>.normal([1, A, dv], seed: 4))
        let out = try layer(obj, initial: x0, graph: g, iterations: 2)
        // Iteration 2's dual residual: ρ_a ‖z² − z¹‖ per agent, from the iterates themselves.
        let one = try layer(obj, initial: x0, graph: g, iterations: 1).consensus.value
        let moved = SheafADMMLayer<Double>.agentNorms(out.consensus.value - one)
        for a in 0..<A {
            XCTAssertEqual(out.diagnostics.dual[1][0, a], moved[0, a] * (1 + Double(a)), accuracy: 1e-12 * max(1, moved[0, a] * Double(A)))
        }
    }

    func testBadConfigurationsAndInputsAreRefused() throws {
        var rng = RandomState(seed: 1)
        XCTAssertThrowsError(try SheafADMMLayer<Double>(config: SheafADMMConfig(vertexStalk: 3, edgeStalk: 5), slotCount: 8, rng: &rng)) { e in
            XCTAssertTrue("\(e)".contains("d_e = 5 > d_v = 3"), "\(e)")
        }
        var c = SheafADMMConfig(vertexStalk: 3, edgeStalk: 2)
        c.innerSteps = 0
        XCTAssertThrowsError(try SheafADMMLayer<Double>(config: c, slotCount: 8, rng: &rng))
        let (layer, g) = try makeLayer(.soft, inner: 2)
        let obj = objective(g)
        XCTAssertThrowsError(try layer(obj, initial: Variable(constant: .zeros([B, 4, dv])), graph: g, iterations: 2)) { e in
            XCTAssertTrue("\(e)".contains("[*, 5, 3]"), "\(e)")
        }
        XCTAssertThrowsError(try layer(obj, initial: Variable(constant: .zeros([B, 5, dv])), graph: g, iterations: 0))
        var negative = obj
        negative.l1 = Variable(constant: Tensor(-0.1))
        XCTAssertThrowsError(try layer(negative, initial: Variable(constant: .zeros([B, 5, dv])), graph: g, iterations: 1)) { e in
            XCTAssertTrue("\(e)".contains("λ"), "\(e)")
        }
        var box = obj
        box.lower = 1
        box.upper = -1
        XCTAssertThrowsError(try layer(box, initial: Variable(constant: .zeros([B, 5, dv])), graph: g, iterations: 1))
        var nan = Tensor<Double>.zeros([B, 5, dv])
        nan.withUnsafeMutableBufferPointer { $0[4] = .nan }
        XCTAssertThrowsError(try layer(obj, initial: Variable(constant: nan), graph: g, iterations: 2)) { e in
            XCTAssertTrue("\(e)".contains("non-finite"), "\(e)")
        }
    }

    /// The layer inside a small model of one's own: an encoder (Linear) maps per-agent features
    /// to the local objective, the layer runs K = 4 iterations, a decoder (Linear) reads the last
    /// iterate; trained a few steps with two optimizers, the loss falls with each.
    func testALayerInsideAModelTrainsWithTwoOptimizers() throws {
        let g = try SheafGraph.gridPatches(height: 5, width: 5, patch: 3, stride: 1, connectivity: .four)
        let A = g.agentCount, features = 4
        let x = Tensor<Double>.normal([8 * A, features], seed: 51)
        let target = Tensor<Double>.normal([8 * A, 1], seed: 52) * 0.5
        for optimizerName in ["adam", "sgd"] {
            var rng = RandomState(seed: 53)
            let encoder = try Linear<Double>(features, 2 * dv, rng: &rng)
            let decoder = try Linear<Double>(dv, 1, rng: &rng)
            let layer = try SheafADMMLayer<Double>(config: SheafADMMConfig(vertexStalk: dv, edgeStalk: de), slotCount: g.slotCount, rng: &rng)
            let named = encoder.namedParameters(prefix: "encoder") + decoder.namedParameters(prefix: "decoder")
                + layer.namedParameters(prefix: "layer")
            let optimizer: any ParameterOptimizer<Double> = optimizerName == "adam" ? try Adam(learningRate: 0.02) : try SGD(learningRate: 0.05)
            var state = optimizer.makeState(for: named)
            func loss(_ tape: Tape<Double>?) throws -> Variable<Double> {
                let ctx = ForwardContext<Double>(tape: tape)
                let input = tape.map { $0.constant(x) } ?? Variable(constant: x)
                let enc = try encoder(input, context: ctx).reshaped([8, A, 2 * dv])
                let D = softplus(enc.reshaped([8 * A, 2 * dv]).columns(0..<dv)).reshaped([8, A, dv]) + 0.1
                let q = enc.reshaped([8 * A, 2 * dv]).columns(dv..<(2 * dv)).reshaped([8, A, dv])
                let out = try layer(LocalObjective(curvature: D, linear: q), initial: q * 0, graph: g, iterations: 4, context: ctx)
                let pred = try decoder(out.iterates.last!.reshaped([8 * A, dv]), context: ctx)
                return try mseLoss(pred, Variable(constant: target))
            }
            let before = try loss(nil).value.scalar
            for _ in 0..<30 {
                for (_, p) in named { p.zeroGrad() }
                let tape = Tape<Double>()
                let l = try loss(tape)
                tape.backward(l)
                try optimizer.step(&state, parameters: named)
            }
            let after = try loss(nil).value.scalar
            XCTAssertLessThan(after, 0.9 * before, "\(optimizerName): \(before) → \(after)")
            XCTAssertNotNil(layer.rhoRaw.grad, "the layer's own parameters are trained")
        }
    }
}
