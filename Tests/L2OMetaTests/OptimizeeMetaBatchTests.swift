import Foundation
import XCTest
import L2OCore
import L2OOptimizees
import L2ODecentralized
@testable import L2OMeta

/// The meta-batch built from any `Optimizee`: on LASSO against the closed forms (gradient,
/// Hessian-vector product, objective and its gradient), on logistic regression against the
/// problem's own oracles and finite differences, first order without any flow through `∇f`, and
/// MiLoDo meta-trained on logistic regression through the same trainer.
final class OptimizeeMetaBatchTests: XCTestCase {
    let n = 3, d = 5, N = 4, B = 2
    let eps = Double.ulpOfOne

    func lassoProblems(lambda: Double = 0.1) throws -> [LASSO<Double>] {
        try (0..<B).map { k in
            try LASSO(A: .normal([n, N, d], seed: UInt64(10 + k)), b: .normal([n, N], seed: UInt64(20 + k)), lambda: lambda)
        }
    }

    /// `A_i x` of problem `p` by hand, with `Σ|A||x|` for the rounding bound.
    func product(_ p: LASSO<Double>, _ i: Int, _ x: [Double]) -> (value: [Double], magnitude: [Double]) {
        var r = [Double](repeating: 0, count: N), m = [Double](repeating: 0, count: N)
        for k in 0..<N {
            for j in 0..<d {
                let a = p.A.scalars[(i * N + k) * d + j]
                r[k] += a * x[j]
                m[k] += abs(a * x[j])
            }
        }
        return (r, m)
    }

    /// `A_iᵀ v / N` by hand, with the magnitude `Σ|A||v|/N`.
    func transposed(_ p: LASSO<Double>, _ i: Int, _ v: [Double], _ vm: [Double]) -> (value: [Double], magnitude: [Double]) {
        var g = [Double](repeating: 0, count: d), m = [Double](repeating: 0, count: d)
        for j in 0..<d {
            for k in 0..<N {
                let a = p.A.scalars[(i * N + k) * d + j]
                g[j] += a * v[k] / Double(N)
                m[j] += abs(a) * vm[k] / Double(N)
            }
        }
        return (g, m)
    }

    func rows(_ t: Tensor<Double>, _ b: Int) -> [Double] { Array(t.scalars[(b * d)..<((b + 1) * d)]) }

    /// `Σ_i ⟨G_i, c_i⟩`: its gradient with respect to `x_i` is `∇²f_i(x_i) c_i` row by row.
    func innerProducts(_ G: [Variable<Double>], _ cs: [Tensor<Double>]) -> Variable<Double> {
        (1..<G.count).reduce((G[0] * Variable(constant: cs[0])).sum()) { $0 + (G[$1] * Variable(constant: cs[$1])).sum() }
    }

    func testLassoGradientsAndTheirHessianVectorBackwardAreTheClosedForms() throws {
        let problems = try lassoProblems()
        let batch = try OptimizeeMetaBatch(problems)
        XCTAssertEqual([batch.nodes, batch.dimension, batch.batch], [n, d, B])
        XCTAssertEqual(batch.lambda, 0.1)
        let tape = Tape<Double>()
        let xs = (0..<n).map { tape.variable(.normal([B, d], seed: UInt64(30 + $0))) }
        let cs = (0..<n).map { Tensor<Double>.normal([B, d], seed: UInt64(40 + $0)) }
        let G = batch.gradients(xs)
        tape.backward(innerProducts(G, cs))
        // Each entry is a dot product of N (then d) terms: rounding ≤ 2(N + d + 2)·u·(Σ of magnitudes).
        let factor = Double(2 * (N + d + 2)) * eps
        for i in 0..<n {
            let hx = tape.gradient(of: xs[i])
            for b in 0..<B {
                let p = problems[b]
                let (ax, axm) = product(p, i, rows(xs[i].value, b))
                let r = (0..<N).map { ax[$0] - p.b.scalars[i * N + $0] }
                let rm = (0..<N).map { axm[$0] + abs(p.b.scalars[i * N + $0]) }
                let (g, gm) = transposed(p, i, r, rm)
                // Backward of ⟨c, ∇f_i(x)⟩ is A_iᵀA_i c / N.
                let (ac, acm) = product(p, i, rows(cs[i], b))
                let (h, hm) = transposed(p, i, ac, acm)
                for j in 0..<d {
                    XCTAssertEqual(G[i].value.scalars[b * d + j], g[j], accuracy: factor * gm[j], "∇f_\(i) of problem \(b)")
                    XCTAssertEqual(hx.scalars[b * d + j], h[j], accuracy: factor * hm[j], "HVP of node \(i), problem \(b)")
                }
            }
        }
    }

    func testLassoObjectivesAndTheirGradientAreTheClosedForms() throws {
        let problems = try lassoProblems(lambda: 0.3)
        let batch = try OptimizeeMetaBatch(problems)
        let tape = Tape<Double>()
        let xs = (0..<n).map { tape.variable(.normal([B, d], seed: UInt64(50 + $0))) }
        let weights = Tensor<Double>([0.7, -1.3])
        let F = batch.objectives(xs)
        XCTAssertEqual(F.shape, [B])
        tape.backward((F * Variable(constant: weights)).sum())
        let factor = Double(4 * (n * N + d + 4)) * eps
        for b in 0..<B {
            let p = problems[b]
            let xbar = (0..<d).map { j in (0..<n).map { xs[$0].value.scalars[b * d + j] }.reduce(0, +) / Double(n) }
            var f = 0.0, fm = 0.0
            var grad = [Double](repeating: 0, count: d), gradm = [Double](repeating: 0, count: d)
            for i in 0..<n {
                let (ax, axm) = product(p, i, xbar)
                let r = (0..<N).map { ax[$0] - p.b.scalars[i * N + $0] }
                let rm = (0..<N).map { axm[$0] + abs(p.b.scalars[i * N + $0]) }
                for k in 0..<N { f += r[k] * r[k] / Double(2 * n * N); fm += rm[k] * rm[k] / Double(2 * n * N) }
                let (g, gm) = transposed(p, i, r, rm)
                for j in 0..<d { grad[j] += g[j] / Double(n); gradm[j] += gm[j] / Double(n) }
            }
            let l1 = xbar.map(abs).reduce(0, +)
            XCTAssertEqual(F.value.scalars[b], f + 0.3 * l1, accuracy: factor * (fm + 0.3 * l1), "F(x̄) of problem \(b)")
            // dL/dx_i = w_b · (1/n)(∇f(x̄) + λ sign(x̄)) for every node.
            for i in 0..<n {
                let gx = tape.gradient(of: xs[i])
                for j in 0..<d {
                    let expected = weights.scalars[b] * (grad[j] + 0.3 * (xbar[j] > 0 ? 1 : -1)) / Double(n)
                    XCTAssertEqual(gx.scalars[b * d + j], expected, accuracy: factor * abs(weights.scalars[b]) * (gradm[j] + 0.3) / Double(n))
                }
            }
        }
        // Consensus errors: zero when the nodes agree.
        let same = Tensor<Double>.normal([B, d], seed: 1)
        XCTAssertEqual(batch.consensusErrors((0..<n).map { _ in Variable(constant: same) }).value.normInf(), 0, accuracy: 8 * eps * same.normInf() * same.normInf())
    }

    func testFirstOrderBatchesPassNothingThroughTheGradient() throws {
        let batch = try OptimizeeMetaBatch(try lassoProblems(), secondOrder: false)
        let tape = Tape<Double>()
        let xs = (0..<n).map { tape.variable(.normal([B, d], seed: UInt64(60 + $0))) }
        let G = batch.gradients(xs)
        // L = Σ_i sum(∇f_i(x_i)) + sum(x_i): with gradients as constants, dL/dx_i is exactly 1.
        let loss = (0..<n).map { G[$0].sum() + xs[$0].sum() }.dropFirst().reduce(G[0].sum() + xs[0].sum()) { $0 + $1 }
        tape.backward(loss)
        for x in xs { XCTAssertEqual(tape.gradient(of: x), Tensor(shape: [B, d], scalars: [Double](repeating: 1, count: B * d))) }
        // The values are the second-order batch's.
        let second = try OptimizeeMetaBatch(try lassoProblems()).gradients(xs.map { Variable(constant: $0.value) })
        for i in 0..<n { XCTAssertEqual(G[i].value, second[i].value) }
    }

    func testMismatchedProblemsAreRefused() throws {
        let a = try LASSO<Double>(A: .normal([3, 4, 5], seed: 1), b: .normal([3, 4], seed: 2), lambda: 0.1)
        let b = try LASSO<Double>(A: .normal([3, 4, 6], seed: 1), b: .normal([3, 4], seed: 2), lambda: 0.1)
        let c = try LASSO<Double>(A: .normal([3, 4, 5], seed: 1), b: .normal([3, 4], seed: 2), lambda: 0.2)
        XCTAssertThrowsError(try OptimizeeMetaBatch([a, b]))
        XCTAssertThrowsError(try OptimizeeMetaBatch([a, c]))
        XCTAssertThrowsError(try OptimizeeMetaBatch([LASSO<Double>]()))
        // Different sample counts per node are fine: only shards, dimension and λ are shared.
        XCTAssertNoThrow(try OptimizeeMetaBatch([a, try LASSO<Double>(A: .normal([3, 7, 5], seed: 1), b: .normal([3, 7], seed: 2), lambda: 0.1)]))
    }

    /// Logistic regression: gradients are the problem's own per-shard oracle; the backward is
    /// its Hessian-vector product, checked against central differences of that oracle.
    func testLogisticBatchesUseTheProblemsOraclesAndTheirCurvature() throws {
        let family = try LogisticFamily<Double>(nodes: n, dimension: d, samplesPerNode: N, lambda: 0.05, seed: 3)
        let problems = try family.instances(.train, count: B)
        let batch = try OptimizeeMetaBatch(problems)
        let tape = Tape<Double>()
        let xs = (0..<n).map { tape.variable(.normal([B, d], seed: UInt64(70 + $0))) }
        let cs = (0..<n).map { Tensor<Double>.normal([B, d], seed: UInt64(80 + $0)) }
        let G = batch.gradients(xs)
        tape.backward(innerProducts(G, cs))
        let h = 1e-4
        for i in 0..<n {
            let hx = tape.gradient(of: xs[i])
            for b in 0..<B {
                let p = problems[b]
                let x = Tensor(shape: [d], scalars: rows(xs[i].value, b)), c = Tensor(shape: [d], scalars: rows(cs[i], b))
                let g = p.gradient(shard: i, at: x)
                XCTAssertEqual(rows(G[i].value, b), g.scalars, "node \(i), problem \(b): the problem's own gradient")
                // (∇f(x + hc) − ∇f(x − hc))/2h = ∇²f(x)c + E: the truncation |E_j| ≤ h²/6 · (1/N)Σ_k
                // |σ''|max (a_k·c)² |a_kj| with |σ''| ≤ 1/(6√3); rounding ≤ 2·16·d·u·‖∇f‖-scale / 2h.
                let fd = (p.gradient(shard: i, at: x + c * h) - p.gradient(shard: i, at: x - c * h)) * (1 / (2 * h))
                let a = (0..<N).map { k in (0..<d).map { p.A.scalars[(i * N + k) * d + $0] } }
                for j in 0..<d {
                    var truncation = 0.0, scale = 0.0
                    for k in 0..<N {
                        let ac = zip(a[k], c.scalars).map(*).reduce(0, +)
                        truncation += h * h / 6 * (1 / (6 * 3.0.squareRoot())) * ac * ac * abs(a[k][j]) / Double(N)
                        scale += abs(a[k][j]) * (1 + a[k].map(abs).reduce(0, +) * x.normInf()) / Double(N)
                    }
                    let rounding = Double(32 * d) * eps * scale / (2 * h)
                    XCTAssertEqual(hx.scalars[b * d + j], fd.scalars[j], accuracy: truncation + rounding, "HVP node \(i), problem \(b), j = \(j)")
                }
            }
        }
    }

    /// MiLoDo meta-trains on logistic regression through the same trainer, first or second order.
    func testMiLoDoMetaTrainsOnLogisticRegression() throws {
        let family = try LogisticFamily<Float>(nodes: 3, dimension: 6, samplesPerNode: 5, lambda: 0.02, seed: 4)
        let training = try family.instances(.train, count: 4)
        let topo = try Topology.ring(3)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        var settings = MetaTrainingSettings()
        settings.batchSize = 2
        let curriculum = Curriculum(name: "logistic", stages: [.init(metaLearningRate: 1e-2, truncation: 2, horizon: 4, epochs: 2)])
        func train(secondOrder: Bool) throws -> (before: [Float], after: [Float], steps: Int) {
            var rng = RandomState(seed: 6)
            let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 4, rng: &rng)
            model.specialInitialize(gamma0: 0.05, mixing: w, rng: &rng)
            let flat = { model.namedParameters().sorted { $0.name < $1.name }.flatMap { $0.parameter.value.scalars } }
            let before = flat()
            let trainer = try MetaTrainer(model: model, mixing: w, training: training, curriculum: curriculum, settings: settings, secondOrder: secondOrder)
            try trainer.run()
            return (before, flat(), trainer.position.steps)
        }
        let first = try train(secondOrder: false), second = try train(secondOrder: true)
        for run in [first, second] {
            XCTAssertEqual(run.steps, 2 * 2 * 2, "2 epochs × 2 batches × 2 windows")
            XCTAssertTrue(run.after.allSatisfy(\.isFinite))
            XCTAssertNotEqual(run.after, run.before, "θ moved")
        }
        XCTAssertEqual(first.before, second.before)
        XCTAssertNotEqual(first.after, second.after, "the curvature term changes the meta-gradient")
    }
}
