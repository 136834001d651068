import Foundation
import XCTest
import L2OCore
import L2OData
import L2ONN
import L2OOptimizers
@testable import L2OOptimizees

/// Heat diffusion, Kuramoto and Hopf–Kuramoto: oracles against finite differences (Double), the
/// tape op, closed forms, the families and suites, and a descent run with the existing optimizers.
final class GraphEnergyTests: XCTestCase {
    /// A small connected random graph with varied degrees.
    func smallGraph(seed: UInt64 = 3) -> Graph {
        var rng = RandomState(seed: seed)
        return try! Graph.erdosRenyi(nodes: 9, p: 0.45, connected: true, rng: &rng)
    }

    func heat(_ g: Graph, features: Int = 2, lambda: Double = 0.7) -> HeatDiffusion<Double> {
        let n = g.nodeCount
        return try! HeatDiffusion(graph: g, features: features, lambda: lambda, hotTemperature: 1.5, coldTemperature: -0.5,
                                  hotNodes: [0, 4], coldNodes: [n - 1], initialPoint: .normal([n * features], seed: 1))
    }

    /// Gradient and HVP against central differences, at random points (Double).
    func checkOracles<P: Optimizee>(_ p: P, scale: Double = 1, file: StaticString = #filePath, line: UInt = #line) where P.Scalar == Double {
        for k in 0..<3 as Range<UInt64> {
            let x = Tensor<Double>.normal([p.dimension], std: scale, seed: 100 + k)
            let v = Tensor<Double>.normal([p.dimension], seed: 200 + k)
            let g = p.gradient(shard: 0, at: x)
            XCTAssertGreaterThan(g.norm(), 0, file: file, line: line)
            XCTAssertLessThan(relativeError(g, numericGradient(x) { p.smoothValue(shard: 0, at: $0) }), fdTolerance, "gradient", file: file, line: line)
            let hv = p.hessianVectorProduct(shard: 0, at: x, direction: v)
            XCTAssertGreaterThan(hv.norm(), 0, file: file, line: line)
            XCTAssertLessThan(relativeError(hv, numericDirectional(x, v) { p.gradient(shard: 0, at: $0) }), fdTolerance, "HVP", file: file, line: line)
            XCTAssertEqual(p.value(x), p.smoothValue(shard: 0, at: x), file: file, line: line)
        }
        // The tape op's backward is the HVP.
        let x = Tensor<Double>.normal([p.dimension], std: scale, seed: 300)
        let tape = gradientCheck([x], epsilon: fdStep, tolerance: fdTolerance) { v in p.gradient(shard: 0, at: v[0]) }
        XCTAssertTrue(tape.passed, "gradient tape op \(tape)", file: file, line: line)
        let step = gradientCheck([x], epsilon: fdStep, tolerance: fdTolerance) { v in p.value(v[0] - p.gradient(shard: 0, at: v[0]) * 0.01) }
        XCTAssertTrue(step.passed, "E(x − γ∇E(x)) \(step)", file: file, line: line)
    }

    func testHeatOracles() { checkOracles(heat(smallGraph())) }
    func testKuramotoOracles() { checkOracles(try! Kuramoto(graph: smallGraph(), initialPoint: .zeros([9])), scale: 2) }
    func testHopfKuramotoOracles() {
        checkOracles(try! HopfKuramoto(graph: smallGraph(), s1: -0.8, s2: 0.35, initialPoint: .zeros([9])), scale: 2)
        checkOracles(try! HopfKuramoto(graph: smallGraph(seed: 4), s1: 0.3, s2: -1.2, initialPoint: .zeros([9])), scale: 2)
    }

    func testHeatClosedForms() throws {
        let g = try Graph.lattice2D(rows: 5, cols: 6)
        let n = g.nodeCount
        let free = try HeatDiffusion<Double>(graph: g, features: 3, lambda: 0, hotTemperature: 1, coldTemperature: 0,
                                             hotNodes: [0], coldNodes: [1], initialPoint: .zeros([n * 3]))
        // Without baths any constant state is a minimizer: E = 0, ∇E = 0.
        let constant = Tensor<Double>(repeating: 0.37, shape: [n * 3])
        XCTAssertEqual(free.value(constant), 0)
        XCTAssertEqual(free.gradient(shard: 0, at: constant).normInf(), 0)
        // ∇E = 2 L w (rows of w are nodes) and E = ½ Σ_ij A_ij ‖w_i − w_j‖² = ½ tr(wᵀ (2L) w) / 1.
        let w = Tensor<Double>.normal([n * 3], seed: 9)
        let L = g.laplacian(Double.self)
        let Lw = L.matmul(w.reshaped([n, 3])).reshaped([n * 3])
        XCTAssertLessThan(free.gradient(shard: 0, at: w).maxAbsDifference(Lw * 2), 1e-12)
        XCTAssertEqual(free.value(w), w.dot(Lw), accuracy: 1e-12 * Swift.max(1, free.value(w)))
        var ordered = 0.0
        let A = g.adjacency(Double.self).toDense()
        for i in 0..<n { for j in 0..<n { for c in 0..<3 { ordered += 0.5 * A[i, j] * pow(w[i * 3 + c] - w[j * 3 + c], 2) } } }
        XCTAssertEqual(free.value(w), ordered, accuracy: 1e-12 * ordered, "Σ_ij over ordered pairs with the ½")
        // HVP without baths is 2 L v, independent of w.
        XCTAssertLessThan(free.hessianVectorProduct(shard: 0, at: constant, direction: w).maxAbsDifference(Lw * 2), 1e-12)
        // Baths: at a state equal to each bath temperature there and constant elsewhere… the quartic
        // terms vanish and only the Dirichlet part remains; a single hot node off by δ adds λδ⁴.
        let p = try HeatDiffusion<Double>(graph: g, features: 1, lambda: 2, hotTemperature: 1, coldTemperature: -1,
                                          hotNodes: [0], coldNodes: [n - 1], initialPoint: .zeros([n]))
        var x = Tensor<Double>.zeros([n])
        x.scalars[0] = 1.25
        x.scalars[n - 1] = -1
        XCTAssertEqual(p.value(x), p.dirichletEnergy(x) + 2 * pow(0.25, 4), accuracy: 1e-14)
        XCTAssertEqual(p.dirichletEnergy(x), 2 * 1.25 * 1.25 + 2 * 1, accuracy: 1e-14, "corner nodes have 2 neighbours")
    }

    func testKuramotoClosedForms() throws {
        let g = try Graph.lattice2D(rows: 4, cols: 7, periodic: true)
        let k = try Kuramoto<Double>(graph: g, initialPoint: .zeros([g.nodeCount]))
        let sync = Tensor<Double>(repeating: 2.1, shape: [g.nodeCount])
        // Synchronized: E = −Σ_ij A_ij = −2m, ∇E = 0, ρ = 1; the reference optimum says the same.
        XCTAssertEqual(k.value(sync), -2 * Double(g.edgeCount), accuracy: 1e-12)
        XCTAssertLessThan(k.gradient(shard: 0, at: sync).normInf(), 1e-14)
        // ρ = |Σ e^{iθ}|/n: n − 1 additions of terms ≤ 1 (γ_{n−1}·n), cos and sin within an ulp
        // (glibc's FMA variants may round differently on other CPUs), squares, root, division.
        let u = Double.ulpOfOne / 2, nodes = Double(g.nodeCount)
        XCTAssertEqual(k.orderParameter(sync), 1, accuracy: (nodes + 5) * u)
        XCTAssertEqual(k.referenceOptimum?.value, -2 * Double(g.edgeCount))
        XCTAssertEqual(k.value(k.referenceOptimum!.x), -2 * Double(g.edgeCount))
        // Random phases are above it.
        XCTAssertGreaterThan(k.value(.uniform([g.nodeCount], low: 0, high: 6.28, seed: 2)), -2 * Double(g.edgeCount))
        // A twisted state w_j = 2πqj/n on a ring is an equilibrium with E = −2n cos(2πq/n), and
        // evenly spread phases have ρ = 0.
        let n = 12
        let ring = try Kuramoto<Double>(graph: try Graph.ring(n), initialPoint: .zeros([n]))
        let twisted = Tensor<Double>((0..<n).map { 2 * Double.pi * 2 * Double($0) / Double(n) })
        XCTAssertEqual(ring.value(twisted), -2 * Double(n) * cos(2 * Double.pi * 2 / Double(n)), accuracy: 1e-12)
        XCTAssertLessThan(ring.gradient(shard: 0, at: twisted).normInf(), 1e-13)
        // Σⱼ cos θⱼ and Σⱼ sin θⱼ vanish exactly for the exact phases; the rounded θⱼ (error ≤ 2u|θⱼ|),
        // cos/sin (≤ 2u each) and n − 1 additions (γ_{n−1}·n) leave each sum within the bound below.
        let sumError = 2 * u * twisted.norm1() + 2 * u * Double(n) + Double((n - 1) * n) * u
        XCTAssertEqual(ring.orderParameter(twisted), 0, accuracy: 2.0.squareRoot() * sumError / Double(n))
        // ρ of two clusters at 0 and π/2 of equal size is |1 + i|/2 = 1/√2.
        XCTAssertEqual(kuramotoOrderParameter(Tensor<Double>([0, 0, .pi / 2, .pi / 2])), 0.5.squareRoot(), accuracy: 1e-15)
    }

    /// [NeuralReparam] eq. (7) term by term with dense sums over ordered pairs and triples (sine term included).
    func bruteForceHopfKuramoto(_ g: Graph, s1: Double, s2: Double, _ w: Tensor<Double>) -> (total: Double, sine: Double) {
        let A = g.adjacency(Double.self).toDense()
        let n = g.nodeCount
        func delta(_ i: Int, _ j: Int) -> Double { w[i] - w[j] }
        var pairs = 0.0, sine = 0.0, triples = 0.0
        for i in 0..<n {
            for j in 0..<n {
                pairs += A[j, i] * (sin(delta(i, j)) + s1 * cos(delta(i, j)))
                sine += A[j, i] * sin(delta(i, j))
                for k in 0..<n where A[i, j] * A[j, k] != 0 {
                    triples += cos(delta(j, i) + delta(j, k)) + cos(delta(j, i) - delta(j, k))
                }
            }
        }
        return (pairs + s2 / 2 * triples, sine)
    }

    func testHopfKuramotoMatchesTheSpecFormulaAndReducesToKuramoto() throws {
        let g = smallGraph()
        let w = Tensor<Double>.uniform([9], low: 0, high: 2 * .pi, seed: 8)
        for (s1, s2) in [(-1.0, 0.3), (0.5, -0.7), (2.0, 1.5)] {
            let hk = try HopfKuramoto<Double>(graph: g, s1: s1, s2: s2, initialPoint: .zeros([9]))
            let brute = bruteForceHopfKuramoto(g, s1: s1, s2: s2, w)
            XCTAssertEqual(hk.value(w), brute.total, accuracy: 1e-12 * Swift.max(1, abs(brute.total)))
            // The 2m nonzero terms cancel in exact pairs (sin is odd, fl(a − b) = −fl(b − a)); only the
            // summation rounds: at most γ_{2m}·Σ|terms| ≤ 2m·u·2m.
            let terms = Double(2 * g.edgeCount)
            XCTAssertEqual(brute.sine, 0, accuracy: terms * terms * Double.ulpOfOne / 2, "Σ_ij A_ji sin Δ_ij vanishes for symmetric A")
        }
        let hk = try HopfKuramoto<Double>(graph: g, s1: -1, s2: 0, initialPoint: .zeros([9]))
        let k = try Kuramoto<Double>(graph: g, initialPoint: .zeros([9]))
        let v = Tensor<Double>.normal([9], seed: 4)
        // Two sums of 2m terms (|sin Δ + s₁ cos Δ| ≤ 2 and |cos Δ| ≤ 1) in different orders and
        // forms: within γ_{2m}·(4m + 2m) plus an ulp per cos/sin term (u = 2⁻⁵³).
        let m = Double(g.edgeCount), u = Double.ulpOfOne / 2
        XCTAssertEqual(hk.value(w), k.value(w), accuracy: 2 * m * u * 6 * m + 3 * 2 * m * 2 * u)
        XCTAssertLessThan(hk.gradient(shard: 0, at: w).maxAbsDifference(k.gradient(shard: 0, at: w)), 1e-13)
        XCTAssertLessThan(hk.hessianVectorProduct(shard: 0, at: w, direction: v).maxAbsDifference(k.hessianVectorProduct(shard: 0, at: w, direction: v)), 1e-13)
    }

    func testHopfKuramotoOrderedPhaseOptimum() throws {
        let g = try Graph.lattice2D(rows: 6, cols: 6)
        let ordered = try HopfKuramoto<Double>(graph: g, s1: -1, s2: 0.1, initialPoint: .zeros([36]))
        let opt = try XCTUnwrap(ordered.referenceOptimum)
        let expected = g.degrees.reduce(0.0) { $0 - Double($1) + 0.1 * Double($1 * $1) }
        XCTAssertEqual(opt.value, expected, accuracy: 1e-12)
        XCTAssertEqual(ordered.value(opt.x), expected, accuracy: 1e-12)
        XCTAssertLessThan(ordered.gradient(shard: 0, at: opt.x).normInf(), 1e-14)
        for k in 0..<20 as Range<UInt64> {
            XCTAssertGreaterThan(ordered.value(opt.x + Tensor<Double>.normal([36], std: 0.3, seed: k)), expected)
        }
        XCTAssertNil(try HopfKuramoto<Double>(graph: g, s1: -1, s2: 0.5, initialPoint: .zeros([36])).referenceOptimum)
    }

    func testFloatInstancesAgreeWithDouble() throws {
        let family = try HeatDiffusionFamily<Double>(graph: .triangular(rows: 8, cols: 9), seed: 5)
        let p = try family.instance(.train, index: 0), q = try HeatDiffusionFamily<Float>(graph: .triangular(rows: 8, cols: 9), seed: 5).instance(.train, index: 0)
        XCTAssertEqual(q.initialPoint, p.initialPoint.cast(to: Float.self))
        XCTAssertEqual(p.cast(to: Float.self).hotNodes, q.hotNodes)
        let x = p.initialPoint
        // Error bound (u = 2⁻²⁴): the Float energy sums edges·features + baths positive terms (γ of
        // that count, relative), and x rounded to Float moves it by ≤ u·Σᵢ|∂E/∂xᵢ||xᵢ| (first order).
        let u = Double(Float.ulpOfOne) / 2
        let inputRounding = u * (abs(p.gradient(shard: 0, at: x)) * abs(x)).sum()
        let terms = Double(p.graph.edges.count * p.features + p.dimension + 4)
        XCTAssertEqual(Double(q.value(x.cast())), p.value(x), accuracy: terms * u * abs(p.value(x)) + inputRounding)
        XCTAssertLessThan(relativeError(q.gradient(shard: 0, at: x.cast()).cast(), p.gradient(shard: 0, at: x)), 1e-5)
        let k = try KuramotoFamily<Double>(graph: .ring(nodes: 30), seed: 1).instance(.test, index: 2)
        let kf = k.cast(to: Float.self)
        // −2 Σ_edges cos Δ in Float: m terms ≤ 1 summed (γ_m·m), cosf within 2u, and the phases
        // rounded to Float (first order, u·Σᵢ|∂E/∂wᵢ||wᵢ|).
        let m = Double(k.graph.edges.count), w0 = k.initialPoint
        let kTol = 2 * (m * u * m + m * 2 * u) + u * (abs(k.gradient(shard: 0, at: w0)) * abs(w0)).sum()
        XCTAssertEqual(Double(kf.value(kf.initialPoint)), k.value(k.initialPoint), accuracy: kTol)
        XCTAssertLessThan(relativeError(kf.hessianVectorProduct(shard: 0, at: kf.initialPoint, direction: kf.initialPoint).cast(),
                                        k.hessianVectorProduct(shard: 0, at: k.initialPoint, direction: k.initialPoint)), 1e-4)
    }

    func testFamiliesFollowTheirRecipe() throws {
        let family = try HeatDiffusionFamily<Double>(graph: .lattice2D(rows: 20, cols: 15, periodic: false),
                                                     parameters: HeatBathParameters(features: 2), seed: 77)
        let p = try family.instance(.train, index: 3)
        XCTAssertEqual(p.graph.nodeCount, 300)
        XCTAssertEqual(p.hotNodes.count, 30)
        XCTAssertEqual(p.coldNodes.count, 30)
        XCTAssertTrue(Set(p.hotNodes).isDisjoint(with: p.coldNodes))
        XCTAssertEqual(p.dimension, 600)
        XCTAssertTrue(p.initialPoint.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(family.name, "Heat(lattice2d(20x15),λ=1,d=2)")
        // Same seed, same instance; other index or split, other baths and start.
        let again = try family.instance(.train, index: 3)
        XCTAssertEqual(again.hotNodes, p.hotNodes)
        XCTAssertEqual(again.initialPoint, p.initialPoint)
        XCTAssertNotEqual(try family.instance(.test, index: 3).hotNodes, p.hotNodes)
        // The draw order of the recipe: permutation, then the uniform start.
        var rng = RandomState(seed: InstanceSeed.derive(familySeed: 77, split: .train, index: 3))
        let order = rng.permutation(300)
        XCTAssertEqual(p.hotNodes, order[0..<30].sorted())
        XCTAssertEqual(p.coldNodes, order[30..<60].sorted())
        XCTAssertEqual(p.initialPoint, Tensor<Double>.uniform([600], rng: &rng))
        // Random recipes draw a new graph per instance; Kuramoto phases lie in [0, 2π).
        let sbm = try KuramotoFamily<Double>(graph: .stochasticBlockModel(nodes: 200, blocks: 10, pIn: 0.3, pOut: 0.01), seed: 4)
        let a = try sbm.instance(.train, index: 0), b = try sbm.instance(.train, index: 1)
        XCTAssertNotEqual(a.graph.edges, b.graph.edges)
        XCTAssertTrue(a.initialPoint.scalars.allSatisfy { $0 >= 0 && $0 < 2 * .pi })
        XCTAssertEqual(try sbm.instance(.train, index: 0).graph, a.graph)
        // Bad parameters are typed errors.
        XCTAssertThrowsError(try HeatDiffusionFamily<Double>(graph: .ring(nodes: 10), parameters: HeatBathParameters(hotFraction: 0.6, coldFraction: 0.5), seed: 1))
        XCTAssertThrowsError(try HeatDiffusionFamily<Double>(graph: .ring(nodes: 10), parameters: HeatBathParameters(lambda: -1), seed: 1))
        XCTAssertThrowsError(try KuramotoFamily<Double>(graph: .erdosRenyi(nodes: 100, p: 0.01, connected: true), seed: 1)) {
            XCTAssertTrue("\($0)".contains("ln n + 1"), "\($0)")
        }
        XCTAssertThrowsError(try KuramotoFamily<Double>(graph: .lattice2D(rows: 0, cols: 3, periodic: false), seed: 1))
        XCTAssertThrowsError(try HopfKuramotoFamily<Double>(graph: .ring(nodes: 5), s1: .nan, s2: 0, seed: 1))
        XCTAssertThrowsError(try KuramotoFamily<Double>(graph: .mesh(path: "/nonexistent.off"), seed: 1)) {
            XCTAssertTrue("\($0)".contains("make data"), "\($0)")
        }
        let oneNode = try Graph(name: "single", nodeCount: 1, edges: [])
        XCTAssertThrowsError(try Kuramoto<Double>(graph: oneNode, initialPoint: .zeros([1])))
        XCTAssertThrowsError(try Kuramoto<Double>(graph: try Graph.ring(4), initialPoint: .zeros([5])))
        XCTAssertThrowsError(try HeatDiffusion<Double>(graph: try Graph.ring(4), lambda: 1, hotTemperature: 1, coldTemperature: 0,
                                                       hotNodes: [1], coldNodes: [1], initialPoint: .zeros([4])))
    }

    func testDescentDecreasesTheHeatEnergy() throws {
        let p = try HeatDiffusionFamily<Double>(graph: .lattice2D(rows: 10, cols: 10, periodic: false), seed: 12).instance(.train, index: 0)
        // Plain gradient descent: ‖∇²E‖ ≤ 2·λ_max(L) + 12λ·max(w − τ)² ≤ 16 + 12 on [0, 1], so a step
        // of 0.03 < 2/28 decreases E at every iteration.
        for optimizer in [try SGD<Double>(learningRate: 0.03) as any ParameterOptimizer<Double>, try Adam<Double>(learningRate: 0.02)] {
            let w = Parameter(p.initialPoint)
            let params: NamedParameters<Double> = [(name: "w", parameter: w)]
            var state = optimizer.makeState(for: params)
            var energies = [p.value(w.value)]
            for t in 0..<200 {
                w.grad = p.gradient(shard: 0, at: w.value)
                let report = try optimizer.step(&state, parameters: params, context: StepContext(iteration: t, loss: energies.last))
                XCTAssertTrue(report.applied)
                energies.append(p.value(w.value))
            }
            XCTAssertLessThan(energies.last!, 0.3 * energies[0], "\(optimizer.name): \(energies[0]) → \(energies.last!)")
            if optimizer.name == "sgd" {
                XCTAssertTrue(zip(energies, energies.dropFirst()).allSatisfy { $1 <= $0 }, "gradient descent is monotone")
            }
        }
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testShippedGraphSuitesBuild() throws {
        let directory = Self.repositoryRoot.appendingPathComponent("Optimizees")
        var seen = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".json") {
            let suite = try ProblemSuite(json: Data(contentsOf: directory.appendingPathComponent(file)), source: file)
            for g in suite.groups where g.kind == .graphEnergy {
                seen.insert(g.familyKey)
                guard case .mesh(let path)? = g.graphEnergy?.graph else {
                    switch g.familyKey {
                    case "heat": XCTAssertGreaterThan(try g.heatFamily(Double.self).instance(.train, index: 0).value(.zeros([g.dimension])), 0)
                    case "kuramoto": XCTAssertNotNil(try g.kuramotoFamily(Double.self).instance(.test, index: 0).referenceOptimum)
                    default: XCTAssertEqual(try g.hopfKuramotoFamily(Double.self).instance(.train, index: 0).dimension, g.dimension)
                    }
                    continue
                }
                XCTAssertEqual(path, OFFMesh.bunnyPath(), "\(file) names the bunny where make data puts it")
            }
        }
        XCTAssertEqual(seen, ["heat", "kuramoto", "hopf-kuramoto"])
    }

    func testBunnyHeatInstance() throws {
        let path = OFFMesh.bunnyPath(dataDirectory: Self.repositoryRoot.appendingPathComponent("Data").path)
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) is missing; \(OFFMesh.bunnyHint)")
        let p = try HeatDiffusionFamily<Float>(graph: .mesh(path: path), seed: 3).instance(.train, index: 0)
        XCTAssertEqual(p.dimension, 37_706)
        XCTAssertEqual(p.hotNodes.count, 3771)
        let g = p.gradient(shard: 0, at: p.initialPoint)
        XCTAssertTrue(g.isFinite)
        XCTAssertLessThan(p.value(p.initialPoint - g * 0.01), p.value(p.initialPoint))
    }

    func testGraphSuiteParsingAndErrors() throws {
        func parse(_ groups: String) throws -> ProblemSuite {
            try ProblemSuite(json: Data(#"{"name": "s", "seed": 9, "groups": [\#(groups)]}"#.utf8), source: "test.json")
        }
        let s = try parse(#"""
            {"family": "heat", "graph": {"type": "lattice3d", "nx": 3, "ny": 4, "nz": 5, "periodic": true}, "lambda": 0.5, "features": 2, "splits": {"train": 2}},
            {"family": "kuramoto", "graph": {"type": "erdos-renyi", "nodes": 50, "p": 0.2, "connected": true}, "splits": {"test": 1}},
            {"family": "hopf-kuramoto", "graph": {"type": "tree", "branching": 3, "depth": 2}, "s1": -1, "s2": 0.2, "seed": 5, "splits": {"train": 1}},
            {"family": "heat", "graph": {"type": "mesh", "path": "Data/meshes/bunny00.off"}, "splits": {"train": 1}}
            """#)
        XCTAssertEqual(s.groups.map(\.name), ["Heat(lattice3d(3x4x5,periodic),λ=0.5,d=2)", "Kuramoto(erdos-renyi(50,p=0.2,connected))",
                                              "HopfKuramoto(tree(b=3,depth=2),s1=-1,s2=0.2)", "Heat(mesh(Data/meshes/bunny00.off),λ=1)"])
        XCTAssertEqual(s.groups.map(\.dimension), [120, 50, 13, 0])
        XCTAssertEqual(s.groups[2].seed, 5)
        XCTAssertEqual(s.groups[1].seed, InstanceSeed.group(suiteSeed: 9, group: 1))
        XCTAssertEqual(try s.groups[0].heatFamily(Double.self).instance(.train, index: 1).graph.edgeCount, 180)
        XCTAssertThrowsError(try s.groups[0].kuramotoFamily(Double.self))
        let cases: [(String, String)] = [
            (#"{"family": "heat", "graph": {"type": "hexagonal", "rows": 3}, "splits": {"train": 1}}"#, "unknown graph type"),
            (#"{"family": "heat", "graph": {"type": "ring", "nodes": 10, "radius": 2}, "splits": {"train": 1}}"#, "unknown key \"radius\""),
            (#"{"family": "heat", "graph": {"type": "ring"}, "splits": {"train": 1}}"#, "nodes: is missing"),
            (#"{"family": "heat", "graph": {"type": "lattice2d", "rows": 2, "cols": 2, "periodic": true}, "splits": {"train": 1}}"#, "must be ≥ 3"),
            (#"{"family": "heat", "graph": {"type": "sbm", "nodes": 100, "blocks": 10, "pIn": 1.5, "pOut": 0}, "splits": {"train": 1}}"#, "p_in 1.5"),
            (#"{"family": "heat", "graph": {"type": "ring", "nodes": 10}, "hotFraction": 0.7, "coldFraction": 0.5, "splits": {"train": 1}}"#, "exceed"),
            (#"{"family": "kuramoto", "graph": {"type": "ring", "nodes": 10}, "lambda": 1, "splits": {"train": 1}}"#, "unknown key \"lambda\""),
            (#"{"family": "hopf-kuramoto", "graph": {"type": "ring", "nodes": 10}, "s1": 1, "splits": {"train": 1}}"#, "s2: is missing"),
            (#"{"family": "kuramoto", "splits": {"train": 1}}"#, "graph: must be an object"),
            (#"{"family": "kuramoto", "graph": {"type": "mesh"}, "splits": {"train": 1}}"#, "OFF file"),
            (#"{"family": "kuramoto", "graph": {"type": "ring", "nodes": 10}, "splits": {}}"#, "at least one instance"),
        ]
        for (group, fragment) in cases {
            XCTAssertThrowsError(try parse(group), group) { XCTAssertTrue("\($0)".contains(fragment), "\($0) lacks \"\(fragment)\"") }
        }
    }
}
