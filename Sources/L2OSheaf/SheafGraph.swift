import L2OCore

/// Errors in a sheaf's construction or in the inputs of its operations; each names the offending
/// value.
public enum SheafError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidGeometry(String)
    case invalidConfiguration(String)
    case shapeMismatch(operation: String, expected: String, actual: [Int])
    case nonFinite(String)

    public var description: String {
        switch self {
        case let .invalidGeometry(m): return "sheaf geometry: \(m)"
        case let .invalidConfiguration(m): return "Sheaf-ADMM configuration: \(m)"
        case let .shapeMismatch(op, expected, actual): return "\(op): expected shape \(expected), got \(actual)"
        case let .nonFinite(m): return "Sheaf-ADMM: \(m)"
        }
    }
}

/// The graph of a cellular sheaf over local views of an input: agents (vertices), each seeing a
/// set of input cells, and edges between agents whose views overlap or touch. Every edge end
/// names a *slot*: which learned base restriction map it uses (the edge's direction on a grid, a
/// shared cell's position in a constraint group, or 0 for one global map). Several edges may join
/// the same two agents (a multigraph).
public struct SheafGraph: Sendable, Equatable {
    /// One edge `e = (u, v)`; the residual on it is `F_{u⊴e} z_u − F_{v⊴e} z_v`.
    public struct Edge: Sendable, Equatable {
        public let u: Int
        public let v: Int
        /// Base map slots of the two ends.
        public let uSlot: Int
        public let vSlot: Int
        public init(u: Int, v: Int, uSlot: Int, vSlot: Int) { (self.u, self.v, self.uSlot, self.vSlot) = (u, v, uSlot, vSlot) }
    }

    public let agentCount: Int
    /// Number of input cells (pixels, Sudoku cells) the views index into.
    public let cellCount: Int
    /// The cells each agent sees, in the agent's own order (its local coordinates).
    public let views: [[Int]]
    public let edges: [Edge]
    /// Number of distinct base map slots the edges use.
    public let slotCount: Int
    /// `[u₀, v₀, u₁, v₁, …]`: the edges' ends, flat, for the kernels.
    public let ends: [Int]

    /// A graph from explicit parts (checked: indices in range, no self-loops).
    public init(cellCount: Int, views: [[Int]], edges: [Edge], slotCount: Int) throws {
        guard !views.isEmpty else { throw SheafError.invalidGeometry("no agents") }
        guard cellCount > 0 else { throw SheafError.invalidGeometry("cellCount must be positive, got \(cellCount)") }
        for (a, view) in views.enumerated() {
            guard !view.isEmpty else { throw SheafError.invalidGeometry("agent \(a) sees no cell") }
            for c in view where c < 0 || c >= cellCount {
                throw SheafError.invalidGeometry("agent \(a) sees cell \(c), outside 0..<\(cellCount)")
            }
        }
        guard slotCount > 0 else { throw SheafError.invalidGeometry("slotCount must be positive, got \(slotCount)") }
        for (k, e) in edges.enumerated() {
            guard e.u >= 0, e.u < views.count, e.v >= 0, e.v < views.count else {
                throw SheafError.invalidGeometry("edge \(k) joins \(e.u) and \(e.v), outside 0..<\(views.count)")
            }
            guard e.u != e.v else { throw SheafError.invalidGeometry("edge \(k) is a self-loop at agent \(e.u)") }
            guard (0..<slotCount).contains(e.uSlot), (0..<slotCount).contains(e.vSlot) else {
                throw SheafError.invalidGeometry("edge \(k) uses slots \(e.uSlot), \(e.vSlot), outside 0..<\(slotCount)")
            }
        }
        agentCount = views.count
        self.cellCount = cellCount
        self.views = views
        self.edges = edges
        self.slotCount = slotCount
        ends = edges.flatMap { [$0.u, $0.v] }
    }

    public var edgeCount: Int { edges.count }

    /// Neighbourhood on a grid of patches.
    public enum Connectivity: Int, Sendable, Codable, CaseIterable {
        case four = 4, eight = 8
    }

    /// The eight directions from a patch to a neighbouring patch, as (row, column) steps; the
    /// slot of an edge end on a grid is its direction's index here (the other end uses the
    /// opposite direction, index `7 − k`).
    public static let directions: [(Int, Int)] = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]

    /// Agents on overlapping `patch × patch` windows of a `height × width` grid, placed every
    /// `stride` cells (the last row and column of windows are moved in so that they end on the
    /// border, so every cell is seen), joined to the neighbouring windows of the window grid
    /// (4- or 8-connected). Views list a window's cells row by row (`row · width + column`).
    public static func gridPatches(height: Int, width: Int, patch: Int, stride: Int, connectivity: Connectivity) throws -> SheafGraph {
        guard height > 0, width > 0 else { throw SheafError.invalidGeometry("grid \(height)×\(width): sizes must be positive") }
        guard patch > 0 else { throw SheafError.invalidGeometry("patch size must be positive, got \(patch)") }
        guard stride > 0 else { throw SheafError.invalidGeometry("stride must be positive, got \(stride)") }
        guard stride <= patch else { throw SheafError.invalidGeometry("stride \(stride) > patch \(patch) would leave cells no agent sees") }
        guard patch <= height, patch <= width else {
            throw SheafError.invalidGeometry("patch \(patch)×\(patch) is larger than the \(height)×\(width) grid")
        }
        func starts(_ n: Int) -> [Int] {
            var s = Array(Swift.stride(from: 0, through: n - patch, by: stride))
            if s.last! != n - patch { s.append(n - patch) }
            return s
        }
        let rows = starts(height), cols = starts(width)
        var views = [[Int]]()
        for r in rows { for c in cols { views.append((0..<patch).flatMap { i in (0..<patch).map { j in (r + i) * width + c + j } }) } }
        let used = connectivity == .four ? [1, 3, 4, 6] : Array(0..<8)
        var edges = [Edge]()
        for pr in 0..<rows.count {
            for pc in 0..<cols.count {
                let u = pr * cols.count + pc
                for k in used {
                    let (dr, dc) = directions[k]
                    let qr = pr + dr, qc = pc + dc
                    guard qr >= 0, qr < rows.count, qc >= 0, qc < cols.count else { continue }
                    let v = qr * cols.count + qc
                    if u < v { edges.append(Edge(u: u, v: v, uSlot: k, vSlot: 7 - k)) }
                }
            }
        }
        return try SheafGraph(cellCount: height * width, views: views, edges: edges, slotCount: 8)
    }

    /// Agents on arbitrary groups of cells (e.g. Sudoku's rows, columns and boxes): one edge per
    /// cell two groups share, its ends' slots being that cell's position in each group.
    public static func groups(_ groups: [[Int]], cellCount: Int) throws -> SheafGraph {
        var edges = [Edge]()
        for a in 0..<groups.count {
            guard Set(groups[a]).count == groups[a].count else { throw SheafError.invalidGeometry("group \(a) lists a cell twice") }
            for b in (a + 1)..<Swift.max(a + 1, groups.count) {
                for (i, cell) in groups[a].enumerated() {
                    if let j = groups[b].firstIndex(of: cell) { edges.append(Edge(u: a, v: b, uSlot: i, vSlot: j)) }
                }
            }
        }
        let slots = groups.map(\.count).max() ?? 1
        return try SheafGraph(cellCount: cellCount, views: groups, edges: edges, slotCount: Swift.max(1, slots))
    }

    /// Edge ends per agent (its degree in the multigraph).
    public var degrees: [Int] {
        var d = [Int](repeating: 0, count: agentCount)
        for e in edges { d[e.u] += 1; d[e.v] += 1 }
        return d
    }
}
