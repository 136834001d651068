import XCTest
@testable import L2ODecentralized
import L2OCore

final class TopologyTests: XCTestCase {
    func testFamiliesHaveTheRightEdges() throws {
        let ring = try Topology.ring(6)
        XCTAssertEqual(ring.edges.count, 6)
        XCTAssertEqual(ring.neighbors[0], [1, 5])
        let grid = try Topology.grid(rows: 3, cols: 4)
        XCTAssertEqual(grid.edges.count, 3 * 3 + 2 * 4)  // horizontal + vertical
        XCTAssertEqual(grid.neighbors[5], [1, 4, 6, 9])
        XCTAssertEqual(try Topology.grid(12).edges.count, 17)  // 3 × 4
        let tree = try Topology.tree(7)
        XCTAssertEqual(tree.edges.count, 6)
        XCTAssertEqual(tree.neighbors[0], [1, 2])
        XCTAssertEqual(tree.neighbors[2], [0, 5, 6])
        let exp = try Topology.exponential(8)  // hops 1, 2, 4 → degree 2·2 + 1 = 5
        XCTAssertTrue(exp.neighbors.allSatisfy { $0.count == 5 })
        XCTAssertEqual(try Topology.complete(5).edges.count, 10)
        let star = try Topology.star(5)
        XCTAssertEqual(star.degree(0), 4)
        XCTAssertEqual(star.degree(3), 1)
    }

    func testErdosRenyiIsConnectedAndSeeded() throws {
        for seed in 0..<20 as Range<UInt64> {
            let g = try Topology.named("erdos-renyi", nodeCount: 12, seed: seed, p: 0.2)
            XCTAssertEqual(g.componentCount, 1)
            XCTAssertEqual(g, try Topology.named("erdos-renyi", nodeCount: 12, seed: seed, p: 0.2))
        }
        var rng = RandomState(seed: 1)
        XCTAssertThrowsError(try Topology.erdosRenyi(30, p: 0.001, rng: &rng, maxAttempts: 5)) { e in
            guard case TopologyError.disconnected = e else { return XCTFail("\(e)") }
        }
    }

    func testInvalidInputsGiveTypedErrors() {
        XCTAssertThrowsError(try Topology(name: "two parts", nodeCount: 4, edges: [(0, 1), (2, 3)])) { e in
            XCTAssertEqual(e as? TopologyError, .disconnected(topology: "two parts", components: 2))
            XCTAssertTrue("\(e)".contains("disconnected"))
        }
        XCTAssertThrowsError(try Topology(name: "loop", nodeCount: 3, edges: [(0, 0), (1, 2)]))
        XCTAssertThrowsError(try Topology(name: "range", nodeCount: 3, edges: [(0, 3)]))
        XCTAssertThrowsError(try Topology.ring(0))
        XCTAssertThrowsError(try Topology.named("hypercube", nodeCount: 8))
    }

    func testRingUniformIsOneThird() throws {
        let w = try MixingMatrix<Double>(topology: try .ring(5), rule: .uniform)
        for i in 0..<5 {
            XCTAssertEqual(w.weight(i, i), 1.0 / 3, accuracy: 1e-15)
            XCTAssertEqual(w.weight(i, (i + 1) % 5), 1.0 / 3, accuracy: 1e-15)
            XCTAssertEqual(w.weight(i, (i + 2) % 5), 0)
        }
        XCTAssertThrowsError(try MixingMatrix<Double>(topology: try .star(4), rule: .uniform))
    }

    func testMetropolisHastingsOnStar() throws {
        // Star with 4 leaves: w_0j = 1/(1 + max(4, 1)) = 1/5, leaves keep 4/5, the hub 1/5.
        let w = try MixingMatrix<Double>(topology: try .star(5), rule: .metropolisHastings)
        XCTAssertEqual(w.weight(0, 3), 0.2, accuracy: 1e-15)
        XCTAssertEqual(w.weight(3, 3), 0.8, accuracy: 1e-15)
        XCTAssertEqual(w.weight(0, 0), 0.2, accuracy: 1e-15)
    }

    func testEveryRuleOnEveryFamilyIsValidAndMixes() throws {
        for name in Topology.familyNames {
            let g = try Topology.named(name, nodeCount: 9, seed: 3)
            for rule in MixingRule.allCases where rule != .uniform || Set(g.neighbors.map(\.count)).count == 1 {
                let w = try MixingMatrix<Double>(topology: g, rule: rule)
                let gap = try w.spectralGap()
                XCTAssertGreaterThan(gap, 0, "\(name)/\(rule)")
                // Rows and columns sum to one; the average is preserved by the gossip operator.
                let x = Tensor<Double>.normal([9, 3], seed: 5)
                let y = w.gossip.apply(x)
                // Error bound (u = 2⁻⁵³): the robust form xᵢ − Σⱼ wᵢⱼ(xᵢ − xⱼ) rounds 3·deg + 1 times on
                // terms of size ≤ 3·max|x| (rows sum to 1); the dense product (OpenBLAS dgemm, whose
                // order depends on the CPU) is within γ₉·max|x|; the means add 9 terms each.
                let u = Double.ulpOfOne / 2, maxDegree = Double(g.neighbors.map(\.count).max()!)
                let tol = (3 * maxDegree + 1 + 9) * u * 3 * x.normInf()
                XCTAssertLessThan(y.mean(axis: 0).maxAbsDifference(x.mean(axis: 0)), tol + 2 * 10 * u * x.normInf(), "\(name)/\(rule)")
                XCTAssertLessThan(y.maxAbsDifference(matmul(w.dense, x)), tol, "\(name)/\(rule)")
            }
        }
    }

    func testLaplacianRuleIsPositiveSemidefinite() throws {
        let w = try MixingMatrix<Double>(topology: try .grid(rows: 3, cols: 3), rule: .laplacian)
        let ev = try w.eigenvalues()
        XCTAssertGreaterThanOrEqual(ev.first!, -1e-12)
        XCTAssertEqual(ev.last!, 1, accuracy: 1e-12)
    }

    func testUserMatricesAreValidated() throws {
        let g = try Topology.ring(4)
        var bad = Tensor<Double>.eye(4) * 0.5
        bad[0, 1] = 0.5; bad[1, 0] = 0.5  // rows 2, 3 sum to 0.5
        XCTAssertThrowsError(try MixingMatrix<Double>(topology: g, dense: bad)) { e in
            XCTAssertTrue("\(e)".contains("sums to"), "\(e)")
        }
        var offEdge = Tensor<Double>.eye(4) * 0.5
        offEdge[0, 2] = 0.5; offEdge[2, 0] = 0.5; offEdge[1, 3] = 0.5; offEdge[3, 1] = 0.5
        XCTAssertThrowsError(try MixingMatrix<Double>(topology: g, dense: offEdge)) { e in
            XCTAssertTrue("\(e)".contains("not an edge"), "\(e)")
        }
        var asym = try MixingMatrix<Double>(topology: g, rule: .metropolisHastings).dense
        asym[0, 1] += 0.1; asym[0, 0] -= 0.1
        XCTAssertThrowsError(try MixingMatrix<Double>(topology: g, dense: asym))
    }

    func testFloatGossipKeepsConsensusExactly() throws {
        let w = try MixingMatrix<Float>(topology: try .exponential(10), rule: .metropolisHastings)
        let c = Tensor<Float>(repeating: 0.3, shape: [10, 4])
        XCTAssertEqual(w.gossip.apply(c), c)
    }

    func testNodeCountsAboveTheLimitAreRefusedBeforeBuilding() {
        let n = Topology.maximumNodeCount + 1
        for name in ["ring", "complete", "erdos-renyi"] {
            XCTAssertThrowsError(try Topology.named(name, nodeCount: n)) { XCTAssertEqual($0 as? TopologyError, .tooManyNodes(topology: name, count: n)) }
        }
        XCTAssertThrowsError(try Topology(name: "custom", nodeCount: n, edges: [(0, 1)]))
        XCTAssertNoThrow(try Topology.named("ring", nodeCount: 64))
    }
}
