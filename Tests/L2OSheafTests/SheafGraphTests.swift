import XCTest
@testable import L2OSheaf

final class SheafGraphTests: XCTestCase {
    func testGridPatchesOfTheMazeConfiguration() throws {
        // 19×19 cells, 3×3 patches every 2 cells: windows start at 0, 2, …, 16 → 9 × 9 agents.
        let g = try SheafGraph.gridPatches(height: 19, width: 19, patch: 3, stride: 2, connectivity: .eight)
        XCTAssertEqual(g.agentCount, 81)
        XCTAssertEqual(g.cellCount, 361)
        // 8-connected 9 × 9 lattice: 2·9·8 axis edges + 2·8·8 diagonal edges.
        XCTAssertEqual(g.edgeCount, 2 * 9 * 8 + 2 * 8 * 8)
        XCTAssertEqual(Set(g.views.flatMap { $0 }).count, 361, "every cell is seen")
        XCTAssertEqual(g.views[0], [0, 1, 2, 19, 20, 21, 38, 39, 40])
        XCTAssertEqual(g.views[1], [2, 3, 4, 21, 22, 23, 40, 41, 42], "neighbouring windows overlap by one column")
        for e in g.edges { XCTAssertEqual(e.uSlot + e.vSlot, 7, "the two ends use opposite directions") }
        // The edge from agent 0 to its right neighbour uses direction (0, +1) = index 4.
        XCTAssertTrue(g.edges.contains(SheafGraph.Edge(u: 0, v: 1, uSlot: 4, vSlot: 3)))
        XCTAssertTrue(g.edges.contains(SheafGraph.Edge(u: 0, v: 10, uSlot: 7, vSlot: 0)), "diagonal down-right")
        let four = try SheafGraph.gridPatches(height: 19, width: 19, patch: 3, stride: 2, connectivity: .four)
        XCTAssertEqual(four.edgeCount, 2 * 9 * 8)
        XCTAssertEqual(four.degrees.max(), 4)
        XCTAssertEqual(g.degrees.max(), 8)
    }

    func testWindowsThatDoNotFitTheStrideAreMovedToTheBorder() throws {
        // 6 wide, patch 3, stride 2: starts 0, 2 and then 3 (so the last column is seen).
        let g = try SheafGraph.gridPatches(height: 3, width: 6, patch: 3, stride: 2, connectivity: .four)
        XCTAssertEqual(g.agentCount, 3)
        XCTAssertEqual(g.views[2], [3, 4, 5, 9, 10, 11, 15, 16, 17])
        XCTAssertEqual(g.edgeCount, 2)
    }

    func testSudokuGroupsFormAMultigraph() throws {
        var groups = [[Int]]()
        for r in 0..<9 { groups.append((0..<9).map { r * 9 + $0 }) }
        for c in 0..<9 { groups.append((0..<9).map { $0 * 9 + c }) }
        for b in 0..<9 { groups.append((0..<9).map { k in (b / 3 * 3 + k / 3) * 9 + b % 3 * 3 + k % 3 }) }
        let g = try SheafGraph.groups(groups, cellCount: 81)
        XCTAssertEqual(g.agentCount, 27)
        // Each cell lies in a row, a column and a box: 3 pairs of groups share it.
        XCTAssertEqual(g.edgeCount, 81 * 3)
        XCTAssertEqual(g.slotCount, 9)
        // Row 0 and box 0 share 3 cells: three parallel edges, slots = positions in each group.
        let rowBox = g.edges.filter { $0.u == 0 && $0.v == 18 }
        XCTAssertEqual(rowBox.map(\.uSlot), [0, 1, 2])
        XCTAssertEqual(rowBox.map(\.vSlot), [0, 1, 2])
        XCTAssertEqual(g.degrees, [Int](repeating: 18, count: 27))
    }

    func testBadGeometriesAreRefusedWithTheirValues() {
        XCTAssertThrowsError(try SheafGraph.gridPatches(height: 4, width: 4, patch: 5, stride: 1, connectivity: .four)) { e in
            XCTAssertTrue("\(e)".contains("larger than the 4×4 grid"), "\(e)")
        }
        XCTAssertThrowsError(try SheafGraph.gridPatches(height: 4, width: 4, patch: 2, stride: 0, connectivity: .four)) { e in
            XCTAssertTrue("\(e)".contains("stride must be positive, got 0"), "\(e)")
        }
        XCTAssertThrowsError(try SheafGraph.gridPatches(height: 9, width: 9, patch: 2, stride: 3, connectivity: .four)) { e in
            XCTAssertTrue("\(e)".contains("stride 3 > patch 2"), "\(e)")
        }
        XCTAssertThrowsError(try SheafGraph.groups([[0, 1, 1]], cellCount: 3))
        XCTAssertThrowsError(try SheafGraph(cellCount: 2, views: [[0], [5]], edges: [], slotCount: 1)) { e in
            XCTAssertTrue("\(e)".contains("cell 5"), "\(e)")
        }
        XCTAssertThrowsError(try SheafGraph(cellCount: 2, views: [[0], [1]], edges: [.init(u: 0, v: 0, uSlot: 0, vSlot: 0)], slotCount: 1))
    }
}
