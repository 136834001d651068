import Foundation
import XCTest
import L2OCore
@testable import L2OData

/// The graph type and every generator against its recipe: closed-form counts for the
/// deterministic families, statistical bounds for the random ones, determinism from the seed.
final class GraphTests: XCTestCase {
    /// Asserts that `body` throws a `GraphError` whose message is not empty.
    func assertGraphError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected a GraphError", file: file, line: line)
        } catch let error as GraphError {
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        } catch {
            XCTFail("expected a GraphError, got \(error)", file: file, line: line)
        }
    }

    /// Invariants every graph keeps: edges sorted with i < j and unique, neighbour lists sorted and
    /// symmetric, degrees summing to 2m.
    func checkInvariants(_ g: Graph, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(g.edges.allSatisfy { $0.i < $0.j }, file: file, line: line)
        XCTAssertTrue(zip(g.edges, g.edges.dropFirst()).allSatisfy { ($0.i, $0.j) < ($1.i, $1.j) }, "edges sorted and unique", file: file, line: line)
        XCTAssertEqual(g.degrees.reduce(0, +), 2 * g.edgeCount, file: file, line: line)
        for (i, list) in g.neighbors.enumerated() {
            XCTAssertEqual(list, list.sorted(), file: file, line: line)
            XCTAssertEqual(Set(list).count, list.count, file: file, line: line)
            for j in list where !g.neighbors[j].contains(i) { XCTFail("neighbour lists not symmetric at (\(i), \(j))", file: file, line: line) }
        }
    }

    func testEdgeListIsDeduplicatedAndValidated() throws {
        let g = try Graph(name: "t", nodeCount: 5, edges: [(3, 1), (1, 3), (0, 1), (1, 0), (4, 2), (0, 1)])
        XCTAssertEqual(g.edges, [Graph.Edge(0, 1), Graph.Edge(1, 3), Graph.Edge(2, 4)])
        XCTAssertEqual(g.neighbors, [[1], [0, 3], [4], [1], [2]])
        XCTAssertTrue(g.hasEdge(3, 1) && g.hasEdge(1, 3) && !g.hasEdge(0, 3) && !g.hasEdge(0, 9))
        XCTAssertEqual(g.componentCount, 2)
        XCTAssertEqual(g.componentLabels, [0, 0, 1, 0, 1])
        checkInvariants(g)
        assertGraphError(try Graph(name: "t", nodeCount: 3, edges: [(1, 1)]))
        assertGraphError(try Graph(name: "t", nodeCount: 3, edges: [(0, 3)]))
        assertGraphError(try Graph(name: "t", nodeCount: 3, edges: [(-1, 2)]))
        assertGraphError(try Graph(name: "t", nodeCount: 3, edges: [], positions: .zeros([2, 2])))
        assertGraphError(try Graph(name: "t", nodeCount: -1, edges: []))
    }

    func testAdjacencyAndLaplacianMatchDenseForms() throws {
        var rng = RandomState(seed: 5)
        let g = try Graph.erdosRenyi(nodes: 12, p: 0.3, rng: &rng)
        let A = g.adjacency(Double.self).toDense(), L = g.laplacian(Double.self).toDense()
        let n = g.nodeCount
        for i in 0..<n {
            for j in 0..<n {
                XCTAssertEqual(A[i, j], g.hasEdge(i, j) ? 1 : 0)
                XCTAssertEqual(L[i, j], i == j ? Double(g.degree(i)) : -A[i, j])
            }
        }
        XCTAssertEqual(g.adjacency(Float.self).nonzeroCount, 2 * g.edgeCount)
    }

    func testSquareLatticeCounts() throws {
        let g = try Graph.lattice2D(rows: 4, cols: 5)
        XCTAssertEqual(g.nodeCount, 20)
        XCTAssertEqual(g.edgeCount, 4 * 4 + 5 * 3)
        XCTAssertEqual(g.degrees.filter { $0 == 2 }.count, 4)
        XCTAssertEqual(g.degrees.filter { $0 == 4 }.count, 2 * 3)
        XCTAssertTrue(g.isConnected)
        XCTAssertEqual(g.positions?.shape, [20, 2])
        checkInvariants(g)
        let torus = try Graph.lattice2D(rows: 4, cols: 5, periodic: true)
        XCTAssertEqual(torus.edgeCount, 2 * 20)
        XCTAssertTrue(torus.degrees.allSatisfy { $0 == 4 })
        checkInvariants(torus)
        let big = try Graph.lattice2D(rows: 75, cols: 75)
        XCTAssertEqual(big.edgeCount, 2 * 75 * 74)
        assertGraphError(try Graph.lattice2D(rows: 2, cols: 5, periodic: true))
        assertGraphError(try Graph.lattice2D(rows: 0, cols: 5))
        assertGraphError(try Graph.lattice2D(rows: 1 << 20, cols: 1 << 20))
    }

    func testCubicLatticeCounts() throws {
        let g = try Graph.lattice3D(nx: 3, ny: 4, nz: 5)
        XCTAssertEqual(g.nodeCount, 60)
        XCTAssertEqual(g.edgeCount, 2 * 4 * 5 + 3 * 3 * 5 + 3 * 4 * 4)
        XCTAssertEqual(g.maxDegree, 6)
        XCTAssertEqual(g.degrees.filter { $0 == 3 }.count, 8, "the 8 corners")
        XCTAssertTrue(g.isConnected)
        checkInvariants(g)
        let torus = try Graph.lattice3D(nx: 3, ny: 4, nz: 5, periodic: true)
        XCTAssertEqual(torus.edgeCount, 3 * 60)
        XCTAssertTrue(torus.degrees.allSatisfy { $0 == 6 })
        assertGraphError(try Graph.lattice3D(nx: 3, ny: 4, nz: 2, periodic: true))
    }

    func testTriangularLatticeCountsAndUnitEdges() throws {
        let g = try Graph.triangularLattice(rows: 75, cols: 75)
        XCTAssertEqual(g.nodeCount, 5625)
        XCTAssertEqual(g.edgeCount, 75 * 74 + 75 * 74 + 74 * 74)
        XCTAssertEqual(g.maxDegree, 6)
        XCTAssertEqual(g.degrees.filter { $0 == 6 }.count, 73 * 73, "every interior node has 6 neighbours")
        XCTAssertTrue(g.isConnected)
        checkInvariants(g)
        let p = try XCTUnwrap(g.positions)
        for e in g.edges {
            let dx = p[e.i, 0] - p[e.j, 0], dy = p[e.i, 1] - p[e.j, 1]
            XCTAssertEqual((dx * dx + dy * dy).squareRoot(), 1, accuracy: 1e-12)
        }
    }

    func testRingAndTreeCounts() throws {
        let ring = try Graph.ring(7)
        XCTAssertEqual(ring.edgeCount, 7)
        XCTAssertTrue(ring.degrees.allSatisfy { $0 == 2 })
        XCTAssertTrue(ring.isConnected)
        assertGraphError(try Graph.ring(2))
        let tree = try Graph.balancedTree(branching: 3, depth: 4)
        XCTAssertEqual(tree.nodeCount, (243 - 1) / 2)
        XCTAssertEqual(tree.edgeCount, tree.nodeCount - 1)
        XCTAssertTrue(tree.isConnected)
        XCTAssertEqual(tree.degree(0), 3)
        XCTAssertEqual(tree.degrees.filter { $0 == 1 }.count, 81, "3⁴ leaves")
        XCTAssertEqual(tree.degrees.filter { $0 == 4 }.count, 1 + 3 + 9 + 27 - 1)
        checkInvariants(tree)
        XCTAssertEqual(try Graph.balancedTree(branching: 1, depth: 5).edgeCount, 5, "branching 1 is a path")
        XCTAssertEqual(try Graph.balancedTree(branching: 4, depth: 0).nodeCount, 1)
        XCTAssertEqual(try Graph.treeNodeCount(branching: 2, depth: 10), 2047)
        assertGraphError(try Graph.balancedTree(branching: 0, depth: 3))
        assertGraphError(try Graph.balancedTree(branching: Int.max, depth: 3))
    }

    func testBernoulliIndices() {
        var rng = RandomState(seed: 1)
        XCTAssertEqual(Graph.bernoulliIndices(count: 5, p: 1, rng: &rng), [0, 1, 2, 3, 4])
        XCTAssertEqual(Graph.bernoulliIndices(count: 5, p: 0, rng: &rng), [])
        let k = Graph.bernoulliIndices(count: 200_000, p: 0.02, rng: &rng)
        XCTAssertEqual(k, k.sorted())
        XCTAssertEqual(Set(k).count, k.count)
        XCTAssertTrue(k.allSatisfy { $0 >= 0 && $0 < 200_000 })
        // Binomial(200000, 0.02): mean 4000, sd ≈ 62.6; 5 sd.
        XCTAssertEqual(Double(k.count), 4000, accuracy: 5 * (200_000 * 0.02 * 0.98).squareRoot())
        // Each half of the range gets its share (no drift of the skips).
        XCTAssertEqual(Double(k.filter { $0 < 100_000 }.count), 2000, accuracy: 5 * (100_000 * 0.02 * 0.98).squareRoot())
    }

    func testErdosRenyiDensityDeterminismAndConnectedOption() throws {
        let (n, p) = (400, 0.05)
        var r1 = RandomState(seed: 11), r2 = RandomState(seed: 11), r3 = RandomState(seed: 12)
        let g = try Graph.erdosRenyi(nodes: n, p: p, rng: &r1)
        XCTAssertEqual(g, try Graph.erdosRenyi(nodes: n, p: p, rng: &r2))
        XCTAssertNotEqual(g.edges, try Graph.erdosRenyi(nodes: n, p: p, rng: &r3).edges)
        let pairs = Double(n * (n - 1) / 2)
        XCTAssertEqual(Double(g.edgeCount), pairs * p, accuracy: 5 * (pairs * p * (1 - p)).squareRoot())
        XCTAssertEqual(g.meanDegree, Double(n - 1) * p, accuracy: 0.2 * Double(n - 1) * p)
        checkInvariants(g)
        // Near the connectivity threshold ln(n)/n ≈ 0.026 a single draw is often disconnected;
        // the connected option resamples until it is not.
        for seed in 0..<5 as Range<UInt64> {
            var rng = RandomState(seed: seed)
            XCTAssertTrue(try Graph.erdosRenyi(nodes: 200, p: 0.03, connected: true, rng: &rng).isConnected)
        }
        var rng = RandomState(seed: 3)
        assertGraphError(try Graph.erdosRenyi(nodes: 50, p: 0.001, connected: true, rng: &rng, maxAttempts: 3))
        assertGraphError(try Graph.erdosRenyi(nodes: 5, p: 1.5, rng: &rng))
    }

    func testStochasticBlockModelDensities() throws {
        let (n, blocks, pIn, pOut) = (1000, 10, 0.1, 0.005)
        var rng = RandomState(seed: 21)
        let g = try Graph.stochasticBlockModel(nodes: n, blocks: blocks, pIn: pIn, pOut: pOut, rng: &rng)
        let ranges = Graph.blockRanges(nodes: n, blocks: blocks)
        XCTAssertEqual(ranges.map(\.count), [Int](repeating: 100, count: 10))
        XCTAssertEqual(Graph.blockRanges(nodes: 23, blocks: 4).map(\.count), [5, 6, 6, 6])
        let block = (0..<n).map { i in ranges.firstIndex { $0.contains(i) }! }
        let inside = g.edges.filter { block[$0.i] == block[$0.j] }.count
        let across = g.edgeCount - inside
        let pairsIn = Double(blocks * 100 * 99 / 2), pairsOut = Double(n * (n - 1) / 2) - pairsIn
        XCTAssertEqual(Double(inside), pairsIn * pIn, accuracy: 5 * (pairsIn * pIn * (1 - pIn)).squareRoot())
        XCTAssertEqual(Double(across), pairsOut * pOut, accuracy: 5 * (pairsOut * pOut * (1 - pOut)).squareRoot())
        XCTAssertTrue(g.isConnected)
        checkInvariants(g)
        var again = RandomState(seed: 21)
        XCTAssertEqual(g, try Graph.stochasticBlockModel(nodes: n, blocks: blocks, pIn: pIn, pOut: pOut, rng: &again))
        assertGraphError(try Graph.stochasticBlockModel(nodes: 5, blocks: 10, pIn: 0.1, pOut: 0.1, rng: &rng))
        assertGraphError(try Graph.stochasticBlockModel(nodes: 50, blocks: 10, pIn: -0.1, pOut: 0.1, rng: &rng))
    }

    func testRandomGeometricMatchesBruteForceAndEdgeProbability() throws {
        // The cell-grid search finds exactly the pairs within the radius.
        var rng = RandomState(seed: 31)
        let small = try Graph.randomGeometric(nodes: 300, radius: 0.12, rng: &rng)
        let p = try XCTUnwrap(small.positions).scalars
        var brute = [Graph.Edge]()
        for i in 0..<300 {
            for j in (i + 1)..<300 {
                let dx = p[2 * i] - p[2 * j], dy = p[2 * i + 1] - p[2 * j + 1]
                if dx * dx + dy * dy <= 0.12 * 0.12 { brute.append(Graph.Edge(i, j)) }
            }
        }
        XCTAssertEqual(small.edges, brute)
        XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0 < 1 })
        // Edge count against C(n,2)·(πr² − 8r³/3 + r⁴/2); the U-statistic's sd is ≈ 1.6% here.
        let (n, r) = (2000, 0.05)
        var rng2 = RandomState(seed: 32)
        let g = try Graph.randomGeometric(nodes: n, radius: r, rng: &rng2)
        let expected = Double(n * (n - 1) / 2) * (Double.pi * r * r - 8 * r * r * r / 3 + r * r * r * r / 2)
        XCTAssertEqual(Double(g.edgeCount), expected, accuracy: 0.08 * expected)
        checkInvariants(g)
        var rng3 = RandomState(seed: 32)
        XCTAssertEqual(g, try Graph.randomGeometric(nodes: n, radius: r, rng: &rng3))
        assertGraphError(try Graph.randomGeometric(nodes: 10, radius: 0, rng: &rng))
    }

    func testRecipesBuildValidateAndName() throws {
        var rng = RandomState(seed: 0)
        XCTAssertEqual(try GraphRecipe.triangular(rows: 5, cols: 4).build(rng: &rng).edgeCount, 5 * 3 + 4 * 4 + 4 * 3)
        XCTAssertEqual(GraphRecipe.tree(branching: 2, depth: 3).nodeCount, 15)
        XCTAssertNil(GraphRecipe.mesh(path: "x.off").nodeCount)
        XCTAssertTrue(GraphRecipe.randomGeometric(nodes: 10, radius: 0.3).isRandom)
        XCTAssertFalse(GraphRecipe.ring(nodes: 10).isRandom)
        XCTAssertEqual(GraphRecipe.lattice2D(rows: 75, cols: 75, periodic: false).name, "lattice2d(75x75)")
        for bad: GraphRecipe in [.lattice2D(rows: 2, cols: 2, periodic: true), .ring(nodes: 1), .tree(branching: 0, depth: 1),
                                  .stochasticBlockModel(nodes: 10, blocks: 2, pIn: 2, pOut: 0), .randomGeometric(nodes: 10, radius: -1),
                                  .erdosRenyi(nodes: 0, p: 0.5, connected: false), .lattice3D(nx: 1, ny: 0, nz: 1, periodic: false)] {
            assertGraphError(try bad.validate())
        }
        do {
            _ = try GraphRecipe.mesh(path: "/nonexistent/bunny.off").build(rng: &rng)
            XCTFail("expected fileNotFound")
        } catch DataError.fileNotFound(_, let hint) {
            XCTAssertTrue(hint.contains("libcgal-demo"), hint)
        }
    }

    func testRandomGraphsWithTooManyExpectedEdgesAreRefused() {
        let n = 1 << 20  // 2²⁰ nodes: p = 1 would give 5.5·10¹¹ edges
        for recipe in [GraphRecipe.erdosRenyi(nodes: n, p: 1, connected: false),
                       .stochasticBlockModel(nodes: n, blocks: 2, pIn: 0.5, pOut: 0.01),
                       .randomGeometric(nodes: n, radius: 0.5)] {
            XCTAssertThrowsError(try recipe.validate(), recipe.name) { XCTAssertTrue("\($0)".contains("edges expected"), "\($0)") }
        }
        XCTAssertNoThrow(try GraphRecipe.erdosRenyi(nodes: 1000, p: 0.01, connected: false).validate())
        // A radius far below the point spacing: the cell grid is sized by the node count, not 1/r.
        var rng = RandomState(seed: 3)
        XCTAssertNoThrow(try Graph.randomGeometric(nodes: 50, radius: 1e-300, rng: &rng))
    }
}
