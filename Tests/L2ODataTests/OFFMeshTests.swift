import Foundation
import XCTest
import L2OCore
@testable import L2OData

/// The OFF reader on small files the test writes, its errors, and the real Stanford bunny.
final class OFFMeshTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-off-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func write(_ text: String, _ name: String = "mesh.off") throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testTetrahedronWithCommentsAndBlankLines() throws {
        let text = """
            OFF
            # a regular tetrahedron
            4 4 6

            0 0 0   # vertex 0
            1 0 0
            0 1 0
            0 0 1
            3 0 1 2
            3 0 1 3
            3 0 2 3\r
            3 1 2 3   255 0 0
            """
        let mesh = try OFFMesh.read(path: try write(text))
        XCTAssertEqual(mesh.vertexCount, 4)
        XCTAssertEqual(mesh.faceCount, 4)
        XCTAssertEqual(mesh.faces[3], [1, 2, 3])
        XCTAssertEqual(mesh.vertices.scalars, [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1])
        XCTAssertEqual(mesh.graph.edgeCount, 6, "K4")
        XCTAssertTrue(mesh.graph.degrees.allSatisfy { $0 == 3 })
        XCTAssertEqual(mesh.graph.positions, mesh.vertices)
    }

    func testQuadFacesGiveOnlyBoundaryEdges() throws {
        // A unit cube with quadrilateral faces and the counts on the header line: 12 edges, no diagonals.
        let text = """
            OFF 8 6 12
            0 0 0
            1 0 0
            1 1 0
            0 1 0
            0 0 1
            1 0 1
            1 1 1
            0 1 1
            4 0 3 2 1
            4 4 5 6 7
            4 0 1 5 4
            4 1 2 6 5
            4 2 3 7 6
            4 3 0 4 7
            """
        let mesh = try OFFMesh(parsing: text)
        XCTAssertEqual(mesh.faceCount, 6)
        XCTAssertEqual(mesh.graph.edgeCount, 12)
        XCTAssertTrue(mesh.graph.degrees.allSatisfy { $0 == 3 })
        XCTAssertFalse(mesh.graph.hasEdge(0, 2))
        XCTAssertTrue(mesh.graph.isConnected)
        // A pentagon face and a degenerate face that repeats a vertex.
        let poly = try OFFMesh(parsing: "OFF\n5 2 0\n0 0 0\n1 0 0\n2 1 0\n1 2 0\n0 1 0\n5 0 1 2 3 4\n3 0 0 2\n")
        XCTAssertEqual(poly.graph.edgeCount, 6, "the pentagon's 5 sides plus 0–2; the repeated 0–0 adds nothing")
    }

    func testMalformedFilesGiveErrorsNamingTheProblem() throws {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("PLY\n3 1 0\n", "keyword OFF"),
            ("OFF\n", "counts line"),
            ("OFF\n3 x 0\n", "not an integer"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n", "ends after 2 of 3 vertices"),
            ("OFF\n3 1 0\n0 0 0\n1 0\n0 1 0\n3 0 1 2\n", "needs x y z"),
            ("OFF\n3 1 0\n0 0 0\n1 0 zero\n0 1 0\n3 0 1 2\n", "not a number"),
            ("OFF\n3 1 0\n0 0 0\n1 0 nan\n0 1 0\n3 0 1 2\n", "non-finite"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n", "ends after 0 of 1 faces"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n", "outside 0..<3"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n2 0 1\n", "k ≥ 3"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n4 0 1 2\n", "lists 3"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1.5 2\n", "not an integer"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n3 0 1 2\n", "unexpected content"),
            ("OFF\n-3 1 0\n", "must be ≥ 0"),
            // Hostile counts: a face count far beyond the file, and a vertex count k = Int.max (k + 1 overflows).
            ("OFF\n0 4611686018427387904 0\n", "ends after 0 of 4611686018427387904 faces"),
            ("OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n9223372036854775807 0 1 2\n", "lists 3"),
        ]
        for (text, fragment) in cases {
            let path = try write(text, "bad.off")
            do {
                _ = try OFFMesh.read(path: path)
                XCTFail("accepted malformed OFF: \(text.debugDescription)")
            } catch let DataError.malformed(file, detail) {
                XCTAssertEqual(file, path)
                XCTAssertTrue(detail.contains(fragment), "\(detail) should mention \(fragment)")
            }
        }
        do {
            _ = try OFFMesh.read(path: directory.appendingPathComponent("absent.off").path, hint: OFFMesh.bunnyHint)
            XCTFail("expected fileNotFound")
        } catch let DataError.fileNotFound(_, hint) {
            XCTAssertTrue(hint.contains("make data"))
        }
    }

    /// The repository's `Data/` directory (where `make data` puts the bunny).
    static var dataDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data").path
    }

    func testStanfordBunny() throws {
        let path = OFFMesh.bunnyPath(dataDirectory: Self.dataDirectory)
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) is missing; \(OFFMesh.bunnyHint)")
        let mesh = try OFFMesh.read(path: path)
        XCTAssertEqual(mesh.vertexCount, 37_706)
        XCTAssertEqual(mesh.faceCount, 75_408)
        XCTAssertTrue(mesh.faces.allSatisfy { $0.count == 3 })
        // A closed triangle mesh: every edge borders two triangles, so E = 3F/2, and the surface
        // is a sphere (Euler characteristic V − E + F = 2).
        XCTAssertEqual(mesh.graph.edgeCount, 3 * 75_408 / 2)
        XCTAssertEqual(mesh.vertexCount - mesh.graph.edgeCount + mesh.faceCount, 2)
        XCTAssertTrue(mesh.graph.isConnected)
    }
}
