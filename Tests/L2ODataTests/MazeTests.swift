import XCTest
import L2OCore
@testable import L2OData

final class MazeTests: XCTestCase {
    /// The recipe: every cell open, the border and every wall pixel between two cells' corners
    /// closed, passages forming a spanning tree of the cells (connected, no loops), and the BFS
    /// path a connected walk from start to goal.
    func testGeneratedMazesAreSpanningTreesWithAPath() throws {
        var rng = RandomState(seed: 1)
        for n in [2, 3, 9, 19] {
            for _ in 0..<5 {
                let m = try Maze.generate(cells: n, rng: &rng)
                XCTAssertEqual(m.size, 2 * n + 1)
                let s = m.size
                for r in 0..<s { for c in 0..<s {
                    let p = r * s + c
                    if r % 2 == 1 && c % 2 == 1 { XCTAssertTrue(m.open[p], "cell (\(r), \(c)) is open") }
                    if r % 2 == 0 && c % 2 == 0 { XCTAssertFalse(m.open[p], "corner (\(r), \(c)) is a wall") }
                    if r == 0 || c == 0 || r == s - 1 || c == s - 1 { XCTAssertFalse(m.open[p], "border") }
                } }
                // A tree on the n² cells has n² − 1 passages (open wall pixels).
                let openCount = m.open.filter { $0 }.count
                XCTAssertEqual(openCount - n * n, n * n - 1, "n = \(n): no loops, nothing disconnected")
                // Connected: BFS from the start reaches every open pixel.
                var seen = Set([m.start]), queue = [m.start]
                while let p = queue.popLast() { for q in m.neighbours(p) where !seen.contains(q) { seen.insert(q); queue.append(q) } }
                XCTAssertEqual(seen.count, openCount)
                let path = try XCTUnwrap(m.shortestPath())
                XCTAssertEqual(path.first, m.start)
                XCTAssertEqual(path.last, m.goal)
                XCTAssertEqual(Set(path).count, path.count, "no pixel twice")
                for (a, b) in zip(path, path.dropFirst()) { XCTAssertTrue(m.neighbours(a).contains(b), "steps join neighbours") }
                XCTAssertTrue(m.open[m.start] && m.open[m.goal])
            }
        }
    }

    /// In a tree the path is unique, so BFS's path is the one left after pruning every dead end.
    func testThePathIsTheTreePathBetweenStartAndGoal() throws {
        var rng = RandomState(seed: 2)
        let m = try Maze.generate(cells: 9, rng: &rng)
        var alive = m.open
        var changed = true
        while changed {
            changed = false
            for p in 0..<alive.count where alive[p] && p != m.start && p != m.goal {
                let r = p / m.size, c = p % m.size
                let deg = [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)].filter { alive[$0.0 * m.size + $0.1] }.count
                if deg <= 1 { alive[p] = false; changed = true }
            }
        }
        XCTAssertEqual(alive, m.pathMask())
    }

    func testSymmetriesOfTheSquare() throws {
        var rng = RandomState(seed: 3)
        let m = try Maze.generate(cells: 5, rng: &rng)
        let all = (0..<8).map { m.transformed($0) }
        XCTAssertEqual(all[0], m)
        XCTAssertEqual(Set(all.map { $0.open + [$0.start == 0] }).count, 8, "eight distinct images of an asymmetric maze")
        for t in all {
            XCTAssertEqual(t.shortestPath()?.count, m.shortestPath()?.count, "path lengths are invariant")
            XCTAssertEqual(t.open.filter { $0 }.count, m.open.filter { $0 }.count)
        }
        // Four quarter turns and two mirrors are the identity; the path moves with the maze.
        XCTAssertEqual(m.transformed(1).transformed(1).transformed(1).transformed(1), m)
        XCTAssertEqual(m.transformed(4).transformed(4), m)
        let turned = m.transformed(1), mask = m.pathMask(), turnedMask = turned.pathMask(), n = m.size
        for p in 0..<mask.count where mask[p] { XCTAssertTrue(turnedMask[(p % n) * n + n - 1 - p / n]) }
    }

    func testSetsAreSeededAndPrefixStable() throws {
        let a = try MazeSet.generate(count: 6, cells: 4, seed: 9), b = try MazeSet.generate(count: 3, cells: 4, seed: 9)
        XCTAssertEqual(Array(a.mazes.prefix(3)), b.mazes)
        XCTAssertNotEqual(a.mazes[0], a.mazes[1])
        XCTAssertNotEqual(try MazeSet.generate(count: 1, cells: 4, seed: 10).mazes[0], a.mazes[0])
        var rng = RandomState(seed: 1)
        XCTAssertThrowsError(try Maze.generate(cells: 1, rng: &rng)) { e in XCTAssertTrue("\(e)".contains("2×2"), "\(e)") }
        XCTAssertThrowsError(try Maze(size: 4, open: [Bool](repeating: true, count: 16), start: 0, goal: 1))
        let text = a.mazes[0].render(path: a.paths[0])
        XCTAssertEqual(text.filter { $0 == "S" }.count, 1)
        XCTAssertEqual(text.filter { $0 == "o" }.count, a.paths[0].filter { $0 }.count - 2)
    }
}

final class MazeTextTests: XCTestCase {
    func testRenderedMazesParseBack() throws {
        let set = try MazeSet.generate(count: 3, cells: 3, seed: 5)
        let text = set.mazes.enumerated().map { $0.element.render(path: set.paths[$0.offset]) }.joined(separator: "\n")
        XCTAssertEqual(try Maze.parse(text, source: "mazes.txt"), set.mazes)
        XCTAssertEqual(try Maze.parse(text.replacingOccurrences(of: "\n", with: "\r\n"), source: "crlf.txt"), set.mazes, "Windows line ends")
    }

    func testMalformedTextNamesTheFileAndMaze() {
        let good = "#####\n#S..#\n###.#\n#G..#\n#####\n"
        XCTAssertEqual(try Maze.parse(good, source: "f").count, 1)
        XCTAssertThrowsError(try Maze.parse(good + "\n#####\n#S..#\n#####\n", source: "f.txt")) { e in
            XCTAssertTrue("\(e)".contains("f.txt, maze 2 (line 7)") && "\(e)".contains("square"), "\(e)")
        }
        XCTAssertThrowsError(try Maze.parse("#####\n#S..#\n###x#\n#G..#\n#####\n", source: "f")) { e in XCTAssertTrue("\(e)".contains("'x'"), "\(e)") }
        XCTAssertThrowsError(try Maze.parse("#####\n#S..#\n###.#\n#...#\n#####\n", source: "f")) { e in XCTAssertTrue("\(e)".contains("one S and one G"), "\(e)") }
        XCTAssertThrowsError(try Maze.parse("\n\n", source: "f")) { e in XCTAssertTrue("\(e)".contains("no maze"), "\(e)") }
        XCTAssertThrowsError(try Maze.parse("####\n#SG#\n#..#\n####\n", source: "f")) { e in XCTAssertTrue("\(e)".contains("odd"), "\(e)") }
    }

    func testSVGPicture() throws {
        let m = try MazeSet.generate(count: 1, cells: 2, seed: 1)
        let svg = m.mazes[0].svg(truth: m.paths[0], predicted: m.paths[0], title: "maze")
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertEqual(svg.components(separatedBy: "<rect").count - 1, 25)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, m.paths[0].filter { $0 }.count)
    }
}
