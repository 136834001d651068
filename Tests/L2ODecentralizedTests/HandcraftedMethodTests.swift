import XCTest
@testable import L2ODecentralized
import L2OCore

/// A small LASSO(n, d, N, λ) instance built inline (independent of the optimizee module).
struct SmallLasso {
    let n: Int, d: Int, N: Int, lambda: Double
    let a: Tensor<Double>  // [n, N, d]
    let b: Tensor<Double>  // [n, N]

    init(n: Int = 4, d: Int = 10, N: Int = 5, lambda: Double = 0.1, seed: UInt64 = 1) {
        self.n = n; self.d = d; self.N = N; self.lambda = lambda
        var rng = RandomState(seed: seed)
        a = Tensor.normal([n, N, d], rng: &rng)
        var xs = Tensor<Double>.normal([d], rng: &rng)
        let cut = xs.scalars.map { Swift.abs($0) }.sorted()[(3 * d) / 4]
        xs = xs.map { Swift.abs($0) < cut ? 0 : $0 }
        let ax = Tensor.matvec(a.reshaped([n * N, d]), xs)
        b = (ax + Tensor<Double>.normal([n * N], rng: &rng) * 0.1).reshaped([n, N])
    }

    var oracles: NodeOracles<Double> {
        let a = a, b = b, N = N
        return NodeOracles(nodeCount: n, dimension: d, lambda: lambda,
                           gradients: { LeastSquares.gradient(a: a, x: $0, b: b, scale: 1 / Double(N)) })
    }

    /// F(x) = ‖Ax − b‖²/(2nN) + λ‖x‖₁.
    func objective(_ x: Tensor<Double>) -> Double {
        let r = Tensor.matvec(a.reshaped([n * N, d]), x) - b.reshaped([n * N])
        return r.squaredNorm() / Double(2 * n * N) + lambda * x.norm1()
    }

    /// F* by centralized proximal gradient with a safe step, to machine precision.
    func optimum() -> (x: Tensor<Double>, value: Double) {
        let full = a.reshaped([n * N, d])
        let L = (try! SymmetricEigen.decompose(matmul(full, full, transposeA: true)).values.last!) / Double(n * N)
        var x = Tensor<Double>.zeros([d])
        for _ in 0..<20000 {
            let g = Tensor.matvec(full, Tensor.matvec(full, x) - b.reshaped([n * N]), transpose: true) / Double(n * N)
            x = softThreshold(x - g / L, lambda / L)
        }
        return (x, objective(x))
    }
}

final class HandcraftedMethodTests: XCTestCase {
    let problem = SmallLasso()

    func ring() throws -> MixingMatrix<Double> { try MixingMatrix(topology: try .ring(4), rule: .uniform) }

    /// Dense-matrix references of the first iterates, written independently of the methods.
    func referenceIterates(_ method: String, gamma: Double, steps: Int, w: Tensor<Double>) -> [Tensor<Double>] {
        let o = problem.oracles
        let g = o.gradients
        func prox(_ v: Tensor<Double>, _ t: Double) -> Tensor<Double> { softThreshold(v, t * problem.lambda) }
        let n = problem.n, d = problem.d
        let I = Tensor<Double>.eye(n)
        let wbar = (I + w) * 0.5
        var out = [Tensor<Double>]()
        let zero = Tensor<Double>.zeros([n, d])
        switch method {
        case "prox-dgd":
            var x = zero
            for _ in 0..<steps { x = prox(matmul(w, x) - g(x) * gamma, gamma); out.append(x) }
        case "pg-extra":
            var x = zero, xp = zero, zt = zero
            for k in 0..<steps {
                let z = matmul(w, x) - g(x) * gamma
                zt = k == 0 ? z : z + zt - matmul(wbar, xp) + g(xp) * gamma
                xp = x
                x = prox(zt, gamma)
                out.append(x)
            }
        case "prox-ed":
            var x = zero, zOld = zero, yt = zero
            for _ in 0..<steps {
                let z = x - g(x) * gamma
                yt = matmul(wbar, yt + z - zOld)
                zOld = z
                x = prox(yt, gamma)
                out.append(x)
            }
        case "prox-atc":
            var x = zero, p = zero, psiOld = zero
            for _ in 0..<steps {
                let psi = p - g(p) * gamma
                x = matmul(w, x * 2 - matmul(w, x - psi + psiOld))
                psiOld = psi
                p = prox(x, gamma)
                out.append(p)
            }
        case "dapg":
            var x = zero, y = zero, s = g(zero)
            for _ in 0..<steps {
                let xn = matmul(w, prox(y - s * (gamma / 2), gamma / 2))
                let yn = matmul(w, xn + (xn - x) * 0.6)
                s = matmul(w, s + g(yn) - g(y))
                x = xn; y = yn
                out.append(x)
            }
        case "odapg":
            var x = zero, y = zero, z = zero, s = g(zero)
            for _ in 0..<steps {
                let xn = z * 0.2 + y * 0.8
                s = matmul(w, s + g(xn) - g(x))
                z = matmul(w, prox(z - s * (0.85 * gamma), 0.85 * gamma))
                y = matmul(w, z * 0.2 + y * 0.8)
                x = xn
                out.append(y)
            }
        default: XCTFail("unknown \(method)")
        }
        return out
    }

    func run<M: DecentralizedMethod>(_ m: M, steps: Int, w: MixingMatrix<Double>) -> [Tensor<Double>] where M.Scalar == Double {
        var s = m.makeState(problem.oracles, mixing: w)
        var out = [Tensor<Double>]()
        for _ in 0..<steps { m.step(&s, problem.oracles, mixing: w); out.append(m.iterate(s)) }
        return out
    }

    func testFirstIteratesMatchDenseReference() throws {
        let w = try MixingMatrix<Double>(topology: try .star(4), rule: .metropolisHastings)  // irregular weights
        let gamma = 0.05
        let cases: [(String, [Tensor<Double>])] = [
            ("prox-dgd", run(ProxDGD(stepSize: gamma), steps: 6, w: w)),
            ("pg-extra", run(PGExtra(stepSize: gamma), steps: 6, w: w)),
            ("prox-ed", run(ProxED(stepSize: gamma), steps: 6, w: w)),
            ("prox-atc", run(ProxATC(stepSize: gamma), steps: 6, w: w)),
            ("dapg", run(DAPG(stepSize: gamma), steps: 6, w: w)),
            ("odapg", run(ODAPG(stepSize: gamma), steps: 6, w: w)),
        ]
        for (name, got) in cases {
            let ref = referenceIterates(name, gamma: gamma, steps: 6, w: w.dense)
            for (k, (a, b)) in zip(got, ref).enumerated() {
                // Bound (u = 2⁻⁵³): per iteration the gradients (d + N = 15 terms, times γ = 0.05;
                // γ|A|ᵀ(|A||x| + |b|)/N ≈ 0.3|x| + 0.1 here) and the mixing (robust gossip vs dense
                // dgemm: ≤ 3·3 + 1 + 4 roundings on terms ≤ 3|x|) differ by ≲ 2·15·u·(0.3|x| + 0.1)
                // + 2·14·u·3|x| ≈ 1e-14·max(1, |x|); with gain ≤ 1 per iteration (as in MiLoDoTests'
                // packed-step bound), 6 iterations ≈ 6e-14·max(1, |x|), below this tolerance.
                XCTAssertLessThan(a.maxAbsDifference(b), 1e-13 * Swift.max(1, b.normInf()), "\(name) iterate \(k + 1)")
            }
            XCTAssertGreaterThan(got.last!.normInf(), 0, "\(name) moved")
        }
    }

    func relativeGap<M: DecentralizedMethod>(_ m: M, iterations: Int) throws -> Double where M.Scalar == Double {
        let w = try ring()
        var s = m.makeState(problem.oracles, mixing: w)
        for _ in 0..<iterations { m.step(&s, problem.oracles, mixing: w) }
        let xbar = m.iterate(s).mean(axis: 0)
        let star = problem.optimum().value
        return (problem.objective(xbar) - star) / Swift.abs(star)
    }

    func testExactMethodsConvergeToTheOptimum() throws {
        XCTAssertLessThan(try relativeGap(ProxED(stepSize: 0.1), iterations: 3000), 1e-12)
        XCTAssertLessThan(try relativeGap(PGExtra(stepSize: 0.1), iterations: 3000), 1e-12)
        XCTAssertLessThan(try relativeGap(ProxATC(stepSize: 0.1), iterations: 3000), 1e-12)
    }

    func testProxDGDStallsAtItsBias() throws {
        let g1 = try relativeGap(ProxDGD(stepSize: 0.1), iterations: 2000)
        let g2 = try relativeGap(ProxDGD(stepSize: 0.1), iterations: 4000)
        XCTAssertGreaterThan(g2, 1e-6, "a constant-step Prox-DGD should not reach the optimum")
        XCTAssertEqual(g1, g2, accuracy: 1e-3 * g2, "the gap should have settled at the bias")
        // A smaller step shrinks the bias.
        XCTAssertLessThan(try relativeGap(ProxDGD(stepSize: 0.02), iterations: 8000), g2)
    }

    func testConsensusIsReachedByExactMethods() throws {
        let w = try ring()
        let m = ProxED<Double>(stepSize: 0.1)
        var s = m.makeState(problem.oracles, mixing: w)
        for _ in 0..<3000 { m.step(&s, problem.oracles, mixing: w) }
        let x = m.iterate(s)
        let xbar = x.mean(axis: 0, keepingDims: true)
        XCTAssertLessThan((x - xbar).squaredNorm() / Double(problem.n), 1e-24)
    }
}

final class DecentralizedADMMTests: XCTestCase {
    func testFirstIteratesMatchDenseReferenceAndConverge() throws {
        let problem = SmallLasso()
        let topo = try Topology.star(4)
        let w = try MixingMatrix<Double>(topology: topo, rule: .metropolisHastings)
        let gamma = 0.05
        let m = DecentralizedADMM<Double>(stepSize: gamma)
        // Dense reference with the unit-weight Laplacian matrix.
        var lap = Tensor<Double>.zeros([4, 4])
        for e in topo.edges { lap[e.i, e.j] = -1; lap[e.j, e.i] = -1; lap[e.i, e.i] += 1; lap[e.j, e.j] += 1 }
        let c = (1.0 / (4 * 3)) / gamma, rho = 1 / gamma
        var x = Tensor<Double>.zeros([4, problem.d]), alpha = x
        var s = m.makeState(problem.oracles, mixing: w)
        for k in 0..<5 {
            let g = problem.oracles.gradients(x)
            var xn = x
            for i in 0..<4 {
                let deg = Double(topo.degree(i)), a = 2 * c * deg + rho
                let xi = x.rows(i..<(i + 1)), li = matmul(lap, x).rows(i..<(i + 1))
                let v = (xi * (2 * deg * c + rho) - li * c - g.rows(i..<(i + 1)) - alpha.rows(i..<(i + 1))) / a
                xn.scalars.replaceSubrange((i * problem.d)..<((i + 1) * problem.d), with: softThreshold(v, problem.lambda / a).scalars)
            }
            alpha = alpha + matmul(lap, xn) * c
            x = xn
            m.step(&s, problem.oracles, mixing: w)
            XCTAssertLessThan(s.x.maxAbsDifference(x), 1e-13, "iterate \(k + 1)")
        }
        // Convergence to the optimum on a ring.
        let ring = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        let m2 = DecentralizedADMM<Double>(stepSize: 0.1)
        var s2 = m2.makeState(problem.oracles, mixing: ring)
        for _ in 0..<6000 { m2.step(&s2, problem.oracles, mixing: ring) }
        let star = problem.optimum().value
        XCTAssertLessThan((problem.objective(s2.x.mean(axis: 0)) - star) / star, 1e-12)
    }
}

final class MethodStateTests: XCTestCase {
    func check<M: DecentralizedMethod>(_ m: M, _ problem: SmallLasso, _ w: MixingMatrix<Double>) throws where M.Scalar == Double {
        var straight = m.makeState(problem.oracles, mixing: w)
        for _ in 0..<20 { m.step(&straight, problem.oracles, mixing: w) }
        var first = m.makeState(problem.oracles, mixing: w)
        for _ in 0..<9 { m.step(&first, problem.oracles, mixing: w) }
        let saved = Dictionary(uniqueKeysWithValues: m.stateTensors(first).map { ($0.name, $0.tensor) })
        var resumed = try m.restoreState(saved, iteration: m.iterationCount(first), problem.oracles)
        for _ in 0..<11 { m.step(&resumed, problem.oracles, mixing: w) }
        XCTAssertEqual(m.iterate(resumed), m.iterate(straight), "\(m.name) resumed run differs")
        XCTAssertEqual(m.iterationCount(resumed), 20)
        var broken = saved
        broken[saved.keys.sorted()[0]] = Tensor.zeros([1, 1])
        XCTAssertThrowsError(try m.restoreState(broken, iteration: 9, problem.oracles))
        broken.removeValue(forKey: saved.keys.sorted()[0])
        XCTAssertThrowsError(try m.restoreState(broken, iteration: 9, problem.oracles))
    }

    func testEveryMethodResumesBitForBit() throws {
        let problem = SmallLasso()
        let w = try MixingMatrix<Double>(topology: try .ring(4), rule: .uniform)
        try check(ProxDGD(stepSize: 0.05), problem, w)
        try check(PGExtra(stepSize: 0.05), problem, w)
        try check(ProxED(stepSize: 0.05), problem, w)
        try check(ProxATC(stepSize: 0.05), problem, w)
        try check(DAPG(stepSize: 0.05), problem, w)
        try check(ODAPG(stepSize: 0.05), problem, w)
        try check(DecentralizedADMM(stepSize: 0.05), problem, w)
    }
}

final class FloatMethodTests: XCTestCase {
    /// The same methods in Float reach the optimum to Float accuracy (robust gossip keeps the
    /// average exact enough that nothing stalls above ~1e-6).
    func testFloatRunsReachFloatAccuracy() throws {
        let problem = SmallLasso()
        let a = problem.a.cast(to: Float.self), b = problem.b.cast(to: Float.self)
        let N = problem.N
        let oracles = NodeOracles<Float>(nodeCount: problem.n, dimension: problem.d, lambda: Float(problem.lambda),
                                         gradients: { LeastSquares.gradient(a: a, x: $0, b: b, scale: 1 / Float(N)) })
        let w = try MixingMatrix<Float>(topology: try .ring(4), rule: .uniform)
        let star = problem.optimum().value
        func gap<M: DecentralizedMethod>(_ m: M) -> Double where M.Scalar == Float {
            var s = m.makeState(oracles, mixing: w)
            for _ in 0..<3000 { m.step(&s, oracles, mixing: w) }
            return (problem.objective(m.iterate(s).mean(axis: 0).cast(to: Double.self)) - star) / star
        }
        XCTAssertLessThan(gap(ProxED(stepSize: 0.1)), 1e-5)
        XCTAssertLessThan(gap(PGExtra(stepSize: 0.1)), 1e-5)
        XCTAssertLessThan(gap(ProxATC(stepSize: 0.1)), 1e-5)
    }
}
