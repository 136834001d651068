import L2OCore

/// A graph described by its generator and parameters, as a problem suite names it. Random
/// recipes draw a new graph from every instance seed; the others give the same graph each time.
public enum GraphRecipe: Sendable, Equatable {
    case lattice2D(rows: Int, cols: Int, periodic: Bool)
    case lattice3D(nx: Int, ny: Int, nz: Int, periodic: Bool)
    case triangular(rows: Int, cols: Int)
    case ring(nodes: Int)
    case tree(branching: Int, depth: Int)
    case stochasticBlockModel(nodes: Int, blocks: Int, pIn: Double, pOut: Double)
    case randomGeometric(nodes: Int, radius: Double)
    case erdosRenyi(nodes: Int, p: Double, connected: Bool)
    /// The edge graph of an OFF mesh file.
    case mesh(path: String)

    /// The generator names a suite uses (`"graph": {"type": …}`).
    public static let typeNames = ["lattice2d", "lattice3d", "triangular", "ring", "tree", "sbm", "random-geometric", "erdos-renyi", "mesh"]

    /// Whether the graph depends on the seed.
    public var isRandom: Bool {
        switch self {
        case .stochasticBlockModel, .randomGeometric, .erdosRenyi: return true
        default: return false
        }
    }

    /// The node count, when it is known without building the graph (not for a mesh).
    public var nodeCount: Int? {
        switch self {
        case let .lattice2D(r, c, _), let .triangular(r, c): return r * c
        case let .lattice3D(x, y, z, _): return x * y * z
        case let .ring(n), let .stochasticBlockModel(n, _, _, _), let .randomGeometric(n, _), let .erdosRenyi(n, _, _): return n
        case let .tree(b, h): return try? Graph.treeNodeCount(branching: b, depth: h)
        case .mesh: return nil
        }
    }

    /// A short name, e.g. `lattice2d(75x75)`.
    public var name: String {
        switch self {
        case let .lattice2D(r, c, p): return "lattice2d(\(r)x\(c)\(p ? ",periodic" : ""))"
        case let .lattice3D(x, y, z, p): return "lattice3d(\(x)x\(y)x\(z)\(p ? ",periodic" : ""))"
        case let .triangular(r, c): return "triangular(\(r)x\(c))"
        case let .ring(n): return "ring(\(n))"
        case let .tree(b, h): return "tree(b=\(b),depth=\(h))"
        case let .stochasticBlockModel(n, k, pi, po): return "sbm(\(n),blocks=\(k),p_in=\(pi),p_out=\(po))"
        case let .randomGeometric(n, r): return "random-geometric(\(n),r=\(r))"
        case let .erdosRenyi(n, p, c): return "erdos-renyi(\(n),p=\(p)\(c ? ",connected" : ""))"
        case let .mesh(path): return "mesh(\(path))"
        }
    }

    /// The graph; random recipes draw from `rng` (the mesh is read from its file, with `meshHint`
    /// in the error when the file is missing).
    public func build(rng: inout RandomState, meshHint: String = OFFMesh.bunnyHint) throws -> Graph {
        switch self {
        case let .lattice2D(r, c, p): return try Graph.lattice2D(rows: r, cols: c, periodic: p)
        case let .lattice3D(x, y, z, p): return try Graph.lattice3D(nx: x, ny: y, nz: z, periodic: p)
        case let .triangular(r, c): return try Graph.triangularLattice(rows: r, cols: c)
        case let .ring(n): return try Graph.ring(n)
        case let .tree(b, h): return try Graph.balancedTree(branching: b, depth: h)
        case let .stochasticBlockModel(n, k, pi, po):
            return try Graph.stochasticBlockModel(nodes: n, blocks: k, pIn: pi, pOut: po, rng: &rng)
        case let .randomGeometric(n, r): return try Graph.randomGeometric(nodes: n, radius: r, rng: &rng)
        case let .erdosRenyi(n, p, c): return try Graph.erdosRenyi(nodes: n, p: p, connected: c, rng: &rng)
        case let .mesh(path): return try OFFMesh.read(path: path, hint: meshHint).graph
        }
    }

    /// Checks the parameters (sizes, probabilities, radius) without drawing or building anything;
    /// a mesh file is not read here. Throws `GraphError.invalidParameter`.
    public func validate() throws {
        let g = name
        switch self {
        case let .lattice2D(r, c, p):
            try Graph.checkSize(g, "rows", r, minimum: p ? 3 : 1)
            try Graph.checkSize(g, "cols", c, minimum: p ? 3 : 1)
            _ = try Graph.checkTotal(g, [r, c])
        case let .lattice3D(x, y, z, p):
            for (what, v) in [("nx", x), ("ny", y), ("nz", z)] { try Graph.checkSize(g, what, v, minimum: p ? 3 : 1) }
            _ = try Graph.checkTotal(g, [x, y, z])
        case let .triangular(r, c):
            try Graph.checkSize(g, "rows", r, minimum: 1)
            try Graph.checkSize(g, "cols", c, minimum: 1)
            _ = try Graph.checkTotal(g, [r, c])
        case let .ring(n):
            try Graph.checkSize(g, "node count", n, minimum: 3)
            _ = try Graph.checkTotal(g, [n])
        case let .tree(b, h):
            _ = try Graph.treeNodeCount(branching: b, depth: h)
        case let .stochasticBlockModel(n, k, pi, po):
            try Graph.checkSize(g, "block count", k, minimum: 1)
            try Graph.checkSize(g, "node count", n, minimum: k)
            _ = try Graph.checkTotal(g, [n])
            try Graph.checkProbability(g, "p_in", pi)
            try Graph.checkProbability(g, "p_out", po)
            try Graph.checkExpectedEdges(g, nodes: n, pairProbability: Swift.max(pi, po))
        case let .randomGeometric(n, r):
            try Graph.checkSize(g, "node count", n, minimum: 1)
            _ = try Graph.checkTotal(g, [n])
            try Graph.checkRadius(g, r)
            try Graph.checkExpectedEdges(g, nodes: n, pairProbability: Swift.min(1, Double.pi * r * r))
        case let .erdosRenyi(n, p, _):
            try Graph.checkSize(g, "node count", n, minimum: 1)
            _ = try Graph.checkTotal(g, [n])
            try Graph.checkProbability(g, "edge probability", p)
            try Graph.checkExpectedEdges(g, nodes: n, pairProbability: p)
        case .mesh:
            return
        }
    }
}
