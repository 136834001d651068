import L2OCore

/// Errors in building a graph from generator parameters or an edge list.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    /// A generator parameter (size, probability, radius…) is outside its valid range.
    case invalidParameter(graph: String, detail: String)
    /// An edge joins a node to itself or names a node outside `0..<nodeCount`.
    case invalidEdge(graph: String, i: Int, j: Int, nodeCount: Int)
    /// Positions do not have one row per node.
    case positionsMismatch(graph: String, expected: Int, found: [Int])
    /// A generator that promises a connected graph gave up.
    case disconnected(graph: String, attempts: Int, components: Int)

    public var description: String {
        switch self {
        case let .invalidParameter(graph, detail):
            return "graph \(graph): \(detail)"
        case let .invalidEdge(graph, i, j, n):
            return "graph \(graph): edge (\(i), \(j)) is invalid for \(n) nodes (self-loops and nodes outside 0..<\(n) are not allowed)"
        case let .positionsMismatch(graph, expected, found):
            return "graph \(graph): positions have shape \(found) but must be [\(expected), k] (one row per node)"
        case let .disconnected(graph, attempts, components):
            return "graph \(graph): still disconnected (\(components) components) after \(attempts) samples; raise the edge probability or the node count"
        }
    }
}

/// An undirected simple graph on nodes `0..<nodeCount`, with 0/1 adjacency
/// ```
/// A_ij = A_ji = 1  if {i, j} is an edge,   A_ij = 0 otherwise (A_ii = 0)
/// ```
/// stored as a deduplicated, sorted edge list (each edge once with `i < j`) and sorted neighbour
/// lists, optionally with node positions (lattices, geometric graphs, meshes).
public struct Graph: Sendable, Equatable, CustomStringConvertible {
    /// An undirected edge with `i < j`.
    public struct Edge: Sendable, Hashable {
        public let i: Int
        public let j: Int
        @inlinable public init(_ i: Int, _ j: Int) {
            self.i = Swift.min(i, j)
            self.j = Swift.max(i, j)
        }
    }

    /// A short name with the generator parameters, e.g. `lattice2d(75x75)`.
    public let name: String
    public let nodeCount: Int
    /// Every edge once with `i < j`, sorted by `(i, j)`.
    public let edges: [Edge]
    /// Sorted neighbour lists: `neighbors[i]` holds every `j` with `A_ij = 1`.
    public let neighbors: [[Int]]
    /// Node coordinates `[nodeCount, k]` (k = 2 or 3), when the graph has a geometry.
    public let positions: Tensor<Double>?

    /// Builds a graph from an edge list in any order; duplicates (also `(j, i)` after `(i, j)`) are
    /// merged. Throws `invalidEdge` for self-loops or out-of-range nodes, `positionsMismatch` when
    /// `positions` is not `[nodeCount, k]`, `invalidParameter` for a node count outside `0…maximumNodeCount`.
    public init(name: String, nodeCount: Int, edges: [(Int, Int)], positions: Tensor<Double>? = nil) throws {
        guard nodeCount >= 0, nodeCount <= Graph.maximumNodeCount else {
            throw GraphError.invalidParameter(graph: name, detail: "node count \(nodeCount) must lie in 0…\(Graph.maximumNodeCount)")
        }
        if let positions, positions.rank != 2 || positions.shape[0] != nodeCount || positions.shape[1] < 1 {
            throw GraphError.positionsMismatch(graph: name, expected: nodeCount, found: positions.shape)
        }
        // Sort the pairs by the key i·n + j (i < j) and drop repeats: O(m log m), no hashing.
        var keys = [Int]()
        keys.reserveCapacity(edges.count)
        for (a, b) in edges {
            guard a != b, a >= 0, b >= 0, a < nodeCount, b < nodeCount else {
                throw GraphError.invalidEdge(graph: name, i: a, j: b, nodeCount: nodeCount)
            }
            keys.append(Swift.min(a, b) * nodeCount + Swift.max(a, b))
        }
        keys.sort()
        var unique = [Edge]()
        unique.reserveCapacity(keys.count)
        var degree = [Int](repeating: 0, count: nodeCount)
        var previous = -1
        for k in keys where k != previous {
            previous = k
            let e = Edge(k / nodeCount, k % nodeCount)
            unique.append(e)
            degree[e.i] += 1
            degree[e.j] += 1
        }
        var nb = degree.map { d -> [Int] in
            var a = [Int]()
            a.reserveCapacity(d)
            return a
        }
        // Edges are sorted by (i, j): appending in that order leaves each list sorted except that
        // smaller neighbours of j arrive in order of i, which is also ascending.
        for e in unique { nb[e.i].append(e.j) }
        for e in unique { nb[e.j].append(e.i) }
        self.name = name
        self.nodeCount = nodeCount
        self.edges = unique
        self.neighbors = nb.map { $0.sorted() }
        self.positions = positions
    }

    /// `m`, the number of undirected edges (`Σ_ij A_ij = 2m`).
    @inlinable public var edgeCount: Int { edges.count }
    /// `deg(i) = Σ_j A_ij`.
    @inlinable public func degree(_ i: Int) -> Int { neighbors[i].count }
    /// All degrees.
    public var degrees: [Int] { neighbors.map(\.count) }
    public var maxDegree: Int { neighbors.map(\.count).max() ?? 0 }
    /// `2m / n`.
    public var meanDegree: Double { nodeCount == 0 ? 0 : 2 * Double(edgeCount) / Double(nodeCount) }
    public var description: String { "\(name) (\(nodeCount) nodes, \(edgeCount) edges)" }

    /// Whether `{i, j}` is an edge (binary search in the neighbour list).
    public func hasEdge(_ i: Int, _ j: Int) -> Bool {
        guard i >= 0, i < nodeCount, j >= 0, j < nodeCount else { return false }
        let list = neighbors[i]
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid] < j { lo = mid + 1 } else { hi = mid }
        }
        return lo < list.count && list[lo] == j
    }

    /// The connected component of every node, numbered `0..<componentCount` in order of their
    /// smallest node (iterative depth-first search).
    public var componentLabels: [Int] {
        var label = [Int](repeating: -1, count: nodeCount)
        var next = 0
        var stack = [Int]()
        for s in 0..<nodeCount where label[s] < 0 {
            label[s] = next
            stack.append(s)
            while let u = stack.popLast() {
                for v in neighbors[u] where label[v] < 0 {
                    label[v] = next
                    stack.append(v)
                }
            }
            next += 1
        }
        return label
    }

    /// The number of connected components (0 for the empty graph).
    public var componentCount: Int { (componentLabels.max() ?? -1) + 1 }
    /// Whether every node reaches every other (true for one node).
    public var isConnected: Bool { componentCount <= 1 }

    /// The adjacency matrix `A` in CSR form (symmetric, `2m` entries equal to 1).
    public func adjacency<S: TensorScalar>(_: S.Type = S.self) -> SparseMatrix<S> {
        var start = [0]
        start.reserveCapacity(nodeCount + 1)
        var cols = [Int]()
        cols.reserveCapacity(2 * edgeCount)
        for list in neighbors {
            cols.append(contentsOf: list)
            start.append(cols.count)
        }
        return SparseMatrix(rows: nodeCount, cols: nodeCount, rowStart: start, colIndex: cols,
                            values: [S](repeating: 1, count: cols.count))
    }

    /// The combinatorial Laplacian `L = D − A` in CSR form (`D = diag(deg)`).
    public func laplacian<S: TensorScalar>(_: S.Type = S.self) -> SparseMatrix<S> {
        var start = [0], cols = [Int](), vals = [S]()
        cols.reserveCapacity(2 * edgeCount + nodeCount)
        vals.reserveCapacity(2 * edgeCount + nodeCount)
        for (i, list) in neighbors.enumerated() {
            var placed = false
            for j in list {
                if !placed && j > i {
                    cols.append(i)
                    vals.append(S(list.count))
                    placed = true
                }
                cols.append(j)
                vals.append(-1)
            }
            if !placed {
                cols.append(i)
                vals.append(S(list.count))
            }
            start.append(cols.count)
        }
        return SparseMatrix(rows: nodeCount, cols: nodeCount, rowStart: start, colIndex: cols, values: vals)
    }
}
