import Foundation
import L2OCore

/// A polygon mesh read from an OFF file (Object File Format, as written by Geomview and CGAL):
/// ```
/// OFF                       header keyword (the counts may follow on the same line)
/// nv nf ne                  vertex, face and edge counts (ne is not used)
/// x y z                     nv vertex lines (further numbers on a line, e.g. colours, are ignored)
/// k v₁ v₂ … v_k             nf face lines: k ≥ 3 zero-based vertex indices (then optional colour)
/// ```
/// `#` starts a comment that runs to the end of the line; blank lines are skipped. The edge graph
/// joins consecutive vertices of every face, `v₁–v₂, …, v_k–v₁`, each undirected edge once;
/// a pair that repeats a vertex (a degenerate face) adds no edge.
public struct OFFMesh: Sendable, Equatable {
    /// Vertex positions, shape `[nv, 3]`.
    public var vertices: Tensor<Double>
    /// Faces as lists of vertex indices (triangles and general polygons).
    public var faces: [[Int]]
    /// The mesh edges on the vertices, with `vertices` as positions.
    public var graph: Graph

    public var vertexCount: Int { vertices.shape[0] }
    public var faceCount: Int { faces.count }

    /// The Stanford bunny (37,706 vertices, 75,408 triangles) as `make data` extracts it from the
    /// data tarball of Debian `libcgal-demo` (`data/meshes/bunny00.off` there), under `dataDirectory`
    /// (`Data`, where `make data` puts it).
    public static func bunnyPath(dataDirectory: String = "Data") -> String {
        (dataDirectory as NSString).appendingPathComponent("meshes/bunny00.off")
    }

    /// What to do when the bunny is missing.
    public static let bunnyHint = "run `make data` in the repository (it extracts meshes/bunny00.off from the data tarball of the Debian package libcgal-demo into Data/)"

    /// Reads and parses `path`. Throws `DataError.fileNotFound` (with `hint`) or `DataError.malformed`
    /// naming the line.
    public static func read(path: String, hint: String = "check the path") throws -> OFFMesh {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileNotFound(path: path, hint: hint) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.malformed(path: path, detail: "cannot be read (permissions?)")
        }
        return try OFFMesh(parsing: [UInt8](data), source: path)
    }

    /// Parses OFF text; `source` names the file in errors.
    public init(parsing text: String, source: String = "(OFF text)") throws {
        try self.init(parsing: Array(text.utf8), source: source)
    }

    /// Parses OFF bytes; `source` names the file in errors.
    public init(parsing bytes: [UInt8], source: String) throws {
        var reader = OFFLineReader(bytes: bytes, source: source)
        guard var header = try reader.nextLine() else {
            throw DataError.malformed(path: source, detail: "the file is empty; an OFF file starts with the keyword OFF")
        }
        guard let keyword = header.tokens.first, keyword == "OFF" else {
            throw DataError.malformed(
                path: source, detail: "line \(header.number): expected the keyword OFF, found \"\(header.tokens.first ?? "")\"")
        }
        header.tokens.removeFirst()
        if header.tokens.isEmpty {
            guard let next = try reader.nextLine() else {
                throw DataError.malformed(path: source, detail: "the counts line (nv nf ne) is missing after OFF")
            }
            header = next
        }
        let counts = try reader.integers(header, what: "the counts line (nv nf ne)")
        guard counts.count >= 2, counts.count <= 3 else {
            throw DataError.malformed(path: source, detail: "line \(header.number): expected \"nv nf ne\", found \(counts.count) number(s)")
        }
        let (nv, nf) = (counts[0], counts[1])
        guard nv >= 0, nf >= 0, nv <= Graph.maximumNodeCount else {
            throw DataError.malformed(path: source, detail: "line \(header.number): vertex and face counts \(nv), \(nf) must be ≥ 0 (and nv ≤ \(Graph.maximumNodeCount))")
        }
        var coords = [Double]()
        coords.reserveCapacity(3 * nv)
        for k in 0..<nv {
            guard let line = try reader.nextLine() else {
                throw DataError.malformed(path: source, detail: "the file ends after \(k) of \(nv) vertices")
            }
            let xyz = try reader.numbers(line, what: "vertex \(k)")
            guard xyz.count >= 3 else {
                throw DataError.malformed(path: source, detail: "line \(line.number): vertex \(k) has \(xyz.count) coordinate(s), needs x y z")
            }
            guard xyz[0 ..< 3].allSatisfy(\.isFinite) else {
                throw DataError.malformed(path: source, detail: "line \(line.number): vertex \(k) has a non-finite coordinate")
            }
            coords += xyz[0 ..< 3]
        }
        var faces = [[Int]]()
        var edges = [(Int, Int)]()
        if nf <= 1 << 24 {  // a bigger count is only reserved as the faces are read (the file must hold them)
            faces.reserveCapacity(nf)
            edges.reserveCapacity(3 * nf)
        }
        for f in 0..<nf {
            guard let line = try reader.nextLine() else {
                throw DataError.malformed(path: source, detail: "the file ends after \(f) of \(nf) faces")
            }
            let values = try reader.integers(line, what: "face \(f)", allowTrailingNumbers: true)
            guard let k = values.first, k >= 3 else {
                throw DataError.malformed(path: source, detail: "line \(line.number): face \(f) must start with its vertex count k ≥ 3")
            }
            guard k < values.count else {  // `k + 1` would overflow for k = Int.max
                throw DataError.malformed(path: source, detail: "line \(line.number): face \(f) announces \(k) vertices but lists \(values.count - 1)")
            }
            let face = Array(values[1...k])
            if let bad = face.first(where: { $0 < 0 || $0 >= nv }) {
                throw DataError.malformed(path: source, detail: "line \(line.number): face \(f) uses vertex \(bad), outside 0..<\(nv)")
            }
            for t in 0..<k where face[t] != face[(t + 1) % k] { edges.append((face[t], face[(t + 1) % k])) }
            faces.append(face)
        }
        if let extra = try reader.nextLine() {
            throw DataError.malformed(path: source, detail: "line \(extra.number): unexpected content after the \(nf) faces (do the counts match?)")
        }
        let positions = Tensor(shape: [nv, 3], scalars: coords)
        vertices = positions
        self.faces = faces
        let name = "mesh(\((source as NSString).lastPathComponent))"
        graph = try Graph(name: name, nodeCount: nv, edges: edges, positions: positions)
    }
}

/// Splits OFF bytes into non-empty lines of whitespace-separated tokens, with `#` comments removed.
struct OFFLineReader {
    struct Line {
        var number: Int
        var tokens: [Substring]
    }

    let bytes: [UInt8]
    let source: String
    var offset = 0
    var lineNumber = 0

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The next line that has a token, or nil at the end of the input.
    mutating func nextLine() throws -> Line? {
        while offset < bytes.count {
            lineNumber += 1
            let start = offset
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            offset = end + 1
            var stop = start
            while stop < end && bytes[stop] != UInt8(ascii: "#") { stop += 1 }
            guard let text = String(bytes: bytes[start..<stop], encoding: .utf8) else {
                throw DataError.malformed(path: source, detail: "line \(lineNumber) is not valid UTF-8 text")
            }
            let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if !tokens.isEmpty { return Line(number: lineNumber, tokens: tokens) }
        }
        return nil
    }

    /// Every token of `line` as a number.
    func numbers(_ line: Line, what: String) throws -> [Double] {
        try line.tokens.map { t in
            guard let v = Double(t) else {
                throw DataError.malformed(path: source, detail: "line \(line.number): \(what): \"\(t)\" is not a number")
            }
            return v
        }
    }

    /// The tokens of `line` as integers; with `allowTrailingNumbers`, integers are read up to the
    /// count given by the first one and anything after (a face colour) only has to be numeric.
    func integers(_ line: Line, what: String, allowTrailingNumbers: Bool = false) throws -> [Int] {
        var out = [Int]()
        out.reserveCapacity(line.tokens.count)
        for (k, t) in line.tokens.enumerated() {
            if allowTrailingNumbers, let first = out.first, k > first {
                guard Double(t) != nil else {
                    throw DataError.malformed(path: source, detail: "line \(line.number): \(what): \"\(t)\" is not a number")
                }
                continue
            }
            guard let v = Int(t) else {
                throw DataError.malformed(path: source, detail: "line \(line.number): \(what): \"\(t)\" is not an integer")
            }
            out.append(v)
        }
        return out
    }
}
