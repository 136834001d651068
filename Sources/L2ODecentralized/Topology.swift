import L2OCore

/// Errors in building a communication graph or a mixing matrix.
public enum TopologyError: Error, CustomStringConvertible, Equatable {
    case invalidNodeCount(topology: String, count: Int, minimum: Int)
    case invalidParameter(topology: String, message: String)
    case disconnected(topology: String, components: Int)
    case invalidEdge(i: Int, j: Int, nodeCount: Int)
    case notApplicable(rule: String, reason: String)
    case invalidMixingMatrix(reason: String)
    case tooManyNodes(topology: String, count: Int)

    public var description: String {
        switch self {
        case .invalidNodeCount(let t, let c, let m):
            return "topology '\(t)' needs at least \(m) nodes, got \(c)"
        case .invalidParameter(let t, let msg):
            return "topology '\(t)': \(msg)"
        case .disconnected(let t, let k):
            return "topology '\(t)' is disconnected (\(k) components); decentralized methods need a connected graph — use more edges or another topology"
        case .invalidEdge(let i, let j, let n):
            return "edge (\(i), \(j)) is invalid for \(n) nodes (self-loops and out-of-range nodes are not allowed)"
        case .notApplicable(let r, let why):
            return "mixing rule '\(r)' does not apply: \(why)"
        case .invalidMixingMatrix(let why):
            return "invalid mixing matrix: \(why)"
        case .tooManyNodes(let t, let c):
            return "topology '\(t)' with \(c) nodes: at most \(Topology.maximumNodeCount) nodes are supported (dense mixing matrices)"
        }
    }
}

/// An undirected, connected communication graph on nodes `0..<nodeCount`.
public struct Topology: Sendable, Equatable, CustomStringConvertible {
    /// An undirected edge with `i < j`.
    public struct Edge: Sendable, Hashable, Codable {
        public let i: Int
        public let j: Int
    }

    public let name: String
    public let nodeCount: Int
    /// Undirected edges, each once with `i < j`, sorted.
    public let edges: [Edge]
    /// Sorted neighbour lists.
    public let neighbors: [[Int]]

    /// Builds a graph from an edge list; duplicates are merged. Throws on self-loops,
    /// out-of-range nodes, or a disconnected graph.
    public init(name: String, nodeCount: Int, edges: [(Int, Int)]) throws {
        guard nodeCount >= 1 else { throw TopologyError.invalidNodeCount(topology: name, count: nodeCount, minimum: 1) }
        guard nodeCount <= Topology.maximumNodeCount else { throw TopologyError.tooManyNodes(topology: name, count: nodeCount) }
        var set = Set<Edge>()
        for (a, b) in edges {
            guard a != b, a >= 0, b >= 0, a < nodeCount, b < nodeCount else {
                throw TopologyError.invalidEdge(i: a, j: b, nodeCount: nodeCount)
            }
            set.insert(Edge(i: Swift.min(a, b), j: Swift.max(a, b)))
        }
        let sorted = set.sorted { ($0.i, $0.j) < ($1.i, $1.j) }
        var nb = [[Int]](repeating: [], count: nodeCount)
        for e in sorted { nb[e.i].append(e.j); nb[e.j].append(e.i) }
        self.name = name
        self.nodeCount = nodeCount
        self.edges = sorted
        self.neighbors = nb.map { $0.sorted() }
        let k = componentCount
        guard k == 1 else { throw TopologyError.disconnected(topology: name, components: k) }
    }

    public func degree(_ i: Int) -> Int { neighbors[i].count }
    public var maxDegree: Int { neighbors.map(\.count).max() ?? 0 }
    public var description: String { "\(name)(n=\(nodeCount), edges=\(edges.count))" }

    /// Number of connected components (breadth-first search).
    public var componentCount: Int {
        var seen = [Bool](repeating: false, count: nodeCount)
        var components = 0
        for s in 0..<nodeCount where !seen[s] {
            components += 1
            var queue = [s]
            seen[s] = true
            while let u = queue.popLast() {
                for v in neighbors[u] where !seen[v] { seen[v] = true; queue.append(v) }
            }
        }
        return components
    }

    // MARK: Families

    /// Cycle `0 – 1 – … – (n−1) – 0` (a path for n = 2, one node for n = 1).
    public static func ring(_ n: Int) throws -> Topology {
        try Topology(name: "ring", nodeCount: n, edges: n < 2 ? [] : (0..<n).map { ($0, ($0 + 1) % n) })
    }

    /// `rows × cols` 2-D grid (4-neighbour lattice).
    public static func grid(rows: Int, cols: Int) throws -> Topology {
        guard rows >= 1, cols >= 1 else { throw TopologyError.invalidParameter(topology: "grid", message: "rows and cols must be ≥ 1, got \(rows)×\(cols)") }
        var e = [(Int, Int)]()
        for r in 0..<rows {
            for c in 0..<cols {
                let v = r * cols + c
                if c + 1 < cols { e.append((v, v + 1)) }
                if r + 1 < rows { e.append((v, v + cols)) }
            }
        }
        return try Topology(name: "grid", nodeCount: rows * cols, edges: e)
    }

    /// A 2-D grid on `n` nodes with the most nearly square factorisation `rows × cols = n`.
    public static func grid(_ n: Int) throws -> Topology {
        guard n >= 1 else { throw TopologyError.invalidNodeCount(topology: "grid", count: n, minimum: 1) }
        var rows = Int(Double(n).squareRoot())
        while n % rows != 0 { rows -= 1 }
        return try grid(rows: rows, cols: n / rows)
    }

    /// Complete binary tree in heap order: node `i` is joined to `(i − 1) / 2`.
    public static func tree(_ n: Int) throws -> Topology {
        try Topology(name: "tree", nodeCount: n, edges: n < 2 ? [] : (1..<n).map { ($0, ($0 - 1) / 2) })
    }

    /// Exponential graph: node `i` is joined to `i + 2^k mod n` for every `2^k < n`.
    public static func exponential(_ n: Int) throws -> Topology {
        var e = [(Int, Int)]()
        var hop = 1
        while hop < n {
            for i in 0..<n where (i + hop) % n != i { e.append((i, (i + hop) % n)) }
            hop *= 2
        }
        return try Topology(name: "exponential", nodeCount: n, edges: e)
    }

    /// Every pair of nodes joined.
    public static func complete(_ n: Int) throws -> Topology {
        var e = [(Int, Int)]()
        for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) { e.append((i, j)) } }
        return try Topology(name: "complete", nodeCount: n, edges: e)
    }

    /// Node 0 joined to every other node.
    public static func star(_ n: Int) throws -> Topology {
        try Topology(name: "star", nodeCount: n, edges: n < 2 ? [] : (1..<n).map { (0, $0) })
    }

    /// Erdős–Rényi G(n, p), resampled (from the same generator) until connected.
    public static func erdosRenyi(_ n: Int, p: Double, rng: inout RandomState, maxAttempts: Int = 1000) throws -> Topology {
        guard p > 0, p <= 1 else { throw TopologyError.invalidParameter(topology: "erdos-renyi", message: "edge probability must be in (0, 1], got \(p)") }
        var lastComponents = 0
        for _ in 0..<maxAttempts {
            var e = [(Int, Int)]()
            for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) where rng.uniform() < p { e.append((i, j)) } }
            do {
                return try Topology(name: "erdos-renyi", nodeCount: n, edges: e)
            } catch TopologyError.disconnected(_, let k) {
                lastComponents = k
            }
        }
        throw TopologyError.disconnected(topology: "erdos-renyi(p=\(p)) after \(maxAttempts) samples", components: lastComponents)
    }

    /// Names accepted by `named(_:nodeCount:seed:)`.
    public static let familyNames = ["ring", "grid", "tree", "exponential", "erdos-renyi", "complete", "star"]

    /// A topology by family name (Erdős–Rényi uses p = 0.4 unless `p` is given).
    /// The most nodes a topology may have: mixing matrices are dense `n × n` with an `O(n³)`
    /// eigendecomposition, and every node runs its own networks.
    public static let maximumNodeCount = 4096

    public static func named(_ name: String, nodeCount n: Int, seed: UInt64 = 0, p: Double = 0.4) throws -> Topology {
        guard n <= maximumNodeCount else { throw TopologyError.tooManyNodes(topology: name, count: n) }
        switch name {
        case "ring": return try ring(n)
        case "grid": return try grid(n)
        case "tree": return try tree(n)
        case "exponential": return try exponential(n)
        case "complete": return try complete(n)
        case "star": return try star(n)
        case "erdos-renyi", "er":
            var rng = RandomState(seed: seed)
            return try erdosRenyi(n, p: p, rng: &rng)
        default:
            throw TopologyError.invalidParameter(topology: name, message: "unknown topology; choose one of \(familyNames.joined(separator: ", "))")
        }
    }
}
