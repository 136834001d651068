import Foundation
import L2OCore

/// Seeded graph generators. Deterministic families (lattices, ring, tree) take no generator;
/// random ones draw everything from the `RandomState` they are given, in the order each one
/// documents, so a seed fixes the graph.
extension Graph {
    /// The largest node count a generator accepts (keeps `i·n + j` and the pair counts exact).
    public static let maximumNodeCount = 1 << 26

    static func checkSize(_ graph: String, _ what: String, _ value: Int, minimum: Int) throws {
        guard value >= minimum else {
            throw GraphError.invalidParameter(graph: graph, detail: "\(what) \(value) must be ≥ \(minimum)")
        }
    }

    static func checkTotal(_ graph: String, _ factors: [Int]) throws -> Int {
        var total = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: f)
            guard !overflow, p <= maximumNodeCount else {
                throw GraphError.invalidParameter(graph: graph, detail: "more than \(maximumNodeCount) nodes requested")
            }
            total = p
        }
        return total
    }

    static func checkRadius(_ graph: String, _ radius: Double) throws {
        guard radius.isFinite, radius > 0 else {
            throw GraphError.invalidParameter(graph: graph, detail: "radius \(radius) must be positive")
        }
    }

    /// The most edges a random graph may be expected to have (10⁸, about 1.6 GB of edge lists).
    public static let maximumExpectedEdges = 100_000_000

    /// Throws when `n` nodes joined with probability `p` per pair are expected to have more than
    /// `maximumExpectedEdges` edges.
    static func checkExpectedEdges(_ graph: String, nodes n: Int, pairProbability p: Double) throws {
        let expected = Double(n) * Double(n - 1) / 2 * p
        guard expected <= Double(maximumExpectedEdges) else {
            throw GraphError.invalidParameter(
                graph: graph, detail: "about \(String(format: "%.2g", expected)) edges expected; at most \(maximumExpectedEdges) are supported (fewer nodes or a smaller probability or radius)")
        }
    }

    /// `Σ_{k=0}^{h} b^k`, the node count of `balancedTree(branching: b, depth: h)`.
    public static func treeNodeCount(branching b: Int, depth h: Int) throws -> Int {
        let name = "tree(b=\(b),depth=\(h))"
        try checkSize(name, "branching factor", b, minimum: 1)
        try checkSize(name, "depth", h, minimum: 0)
        var n = 0, level = 1
        for k in 0...h {
            n += level
            guard n <= maximumNodeCount else {
                throw GraphError.invalidParameter(graph: name, detail: "more than \(maximumNodeCount) nodes requested")
            }
            if k < h {
                let (next, overflow) = level.multipliedReportingOverflow(by: b)
                guard !overflow, next <= maximumNodeCount - n else {
                    throw GraphError.invalidParameter(graph: name, detail: "more than \(maximumNodeCount) nodes requested")
                }
                level = next
            }
        }
        return n
    }

    static func checkProbability(_ graph: String, _ what: String, _ p: Double) throws {
        guard p.isFinite, p >= 0, p <= 1 else {
            throw GraphError.invalidParameter(graph: graph, detail: "\(what) \(p) must lie in [0, 1]")
        }
    }

    // MARK: Lattices

    /// The `rows × cols` square lattice (4-neighbour grid); node `(r, c)` is `r·cols + c` at
    /// position `(c, r)`. Open boundary: `rows(cols − 1) + cols(rows − 1)` edges. `periodic`
    /// (a torus, every extent ≥ 3) adds the wrap-around edges: `2·rows·cols` edges, every degree 4.
    public static func lattice2D(rows: Int, cols: Int, periodic: Bool = false) throws -> Graph {
        let name = "lattice2d(\(rows)x\(cols)\(periodic ? ",periodic" : ""))"
        try checkSize(name, "rows", rows, minimum: periodic ? 3 : 1)
        try checkSize(name, "cols", cols, minimum: periodic ? 3 : 1)
        let n = try checkTotal(name, [rows, cols])
        var e = [(Int, Int)]()
        e.reserveCapacity(2 * n)
        var pos = [Double]()
        pos.reserveCapacity(2 * n)
        for r in 0..<rows {
            for c in 0..<cols {
                let v = r * cols + c
                pos += [Double(c), Double(r)]
                if c + 1 < cols { e.append((v, v + 1)) } else if periodic { e.append((v, r * cols)) }
                if r + 1 < rows { e.append((v, v + cols)) } else if periodic { e.append((v, c)) }
            }
        }
        return try Graph(name: name, nodeCount: n, edges: e, positions: Tensor(shape: [n, 2], scalars: pos))
    }

    /// The `nx × ny × nz` cubic lattice (6-neighbour grid); node `(x, y, z)` is
    /// `(z·ny + y)·nx + x` at position `(x, y, z)`. Open boundary:
    /// `(nx − 1)ny·nz + nx(ny − 1)nz + nx·ny(nz − 1)` edges; `periodic` (every extent ≥ 3): `3·nx·ny·nz`.
    public static func lattice3D(nx: Int, ny: Int, nz: Int, periodic: Bool = false) throws -> Graph {
        let name = "lattice3d(\(nx)x\(ny)x\(nz)\(periodic ? ",periodic" : ""))"
        for (what, v) in [("nx", nx), ("ny", ny), ("nz", nz)] { try checkSize(name, what, v, minimum: periodic ? 3 : 1) }
        let n = try checkTotal(name, [nx, ny, nz])
        func id(_ x: Int, _ y: Int, _ z: Int) -> Int { (z * ny + y) * nx + x }
        var e = [(Int, Int)]()
        e.reserveCapacity(3 * n)
        var pos = [Double]()
        pos.reserveCapacity(3 * n)
        for z in 0..<nz {
            for y in 0..<ny {
                for x in 0..<nx {
                    let v = id(x, y, z)
                    pos += [Double(x), Double(y), Double(z)]
                    if x + 1 < nx { e.append((v, id(x + 1, y, z))) } else if periodic { e.append((v, id(0, y, z))) }
                    if y + 1 < ny { e.append((v, id(x, y + 1, z))) } else if periodic { e.append((v, id(x, 0, z))) }
                    if z + 1 < nz { e.append((v, id(x, y, z + 1))) } else if periodic { e.append((v, id(x, y, 0))) }
                }
            }
        }
        return try Graph(name: name, nodeCount: n, edges: e, positions: Tensor(shape: [n, 3], scalars: pos))
    }

    /// The `rows × cols` triangular lattice (open boundary): node `(r, c)` is `r·cols + c` at
    /// position `(c + r/2, r·√3/2)`, joined to `(r, c + 1)`, `(r + 1, c)` and `(r + 1, c − 1)` —
    /// all at distance 1; interior degree 6. Edges: `rows(cols − 1) + cols(rows − 1) + (rows − 1)(cols − 1)`.
    public static func triangularLattice(rows: Int, cols: Int) throws -> Graph {
        let name = "triangular(\(rows)x\(cols))"
        try checkSize(name, "rows", rows, minimum: 1)
        try checkSize(name, "cols", cols, minimum: 1)
        let n = try checkTotal(name, [rows, cols])
        var e = [(Int, Int)]()
        e.reserveCapacity(3 * n)
        var pos = [Double]()
        pos.reserveCapacity(2 * n)
        let h = Double(3).squareRoot() / 2
        for r in 0..<rows {
            for c in 0..<cols {
                let v = r * cols + c
                pos += [Double(c) + Double(r) / 2, Double(r) * h]
                if c + 1 < cols { e.append((v, v + 1)) }
                if r + 1 < rows {
                    e.append((v, v + cols))
                    if c > 0 { e.append((v, v + cols - 1)) }
                }
            }
        }
        return try Graph(name: name, nodeCount: n, edges: e, positions: Tensor(shape: [n, 2], scalars: pos))
    }

    // MARK: Ring and tree

    /// The cycle `0 – 1 – … – (n − 1) – 0` (n ≥ 3, `n` edges, every degree 2), node `i` at
    /// `(cos 2πi/n, sin 2πi/n)`.
    public static func ring(_ n: Int) throws -> Graph {
        let name = "ring(\(n))"
        try checkSize(name, "node count", n, minimum: 3)
        _ = try checkTotal(name, [n])
        var pos = [Double]()
        pos.reserveCapacity(2 * n)
        for i in 0..<n {
            let t = 2 * Double.pi * Double(i) / Double(n)
            pos += [Foundation.cos(t), Foundation.sin(t)]
        }
        return try Graph(name: name, nodeCount: n, edges: (0..<n).map { ($0, ($0 + 1) % n) },
                         positions: Tensor(shape: [n, 2], scalars: pos))
    }

    /// The balanced tree with branching factor `b ≥ 1` and depth `h ≥ 0` (the root alone has depth
    /// 0), in heap order: the children of node `i` are `b·i + 1 … b·i + b`. Nodes
    /// `Σ_{k=0}^{h} b^k = (b^{h+1} − 1)/(b − 1)` (`h + 1` for `b = 1`), edges `nodes − 1`.
    public static func balancedTree(branching b: Int, depth h: Int) throws -> Graph {
        let name = "tree(b=\(b),depth=\(h))"
        let n = try treeNodeCount(branching: b, depth: h)
        return try Graph(name: name, nodeCount: n, edges: n < 2 ? [] : (1..<n).map { ($0, ($0 - 1) / b) })
    }

    // MARK: Random graphs

    /// Indices `k ∈ 0..<count`, each kept independently with probability `p`, in increasing order.
    /// Geometric skipping (Batagelj & Brandes 2005): the gap to the next kept index is
    /// `⌊ln(1 − U)/ln(1 − p)⌋` with `U ~ U[0, 1)`, so the cost is proportional to the number kept.
    /// One uniform draw per kept index plus one for the final overshoot.
    public static func bernoulliIndices(count: Int, p: Double, rng: inout RandomState) -> [Int] {
        guard count > 0, p > 0 else { return [] }
        if p >= 1 { return Array(0..<count) }
        let logQ = Foundation.log1p(-p)
        var out = [Int]()
        out.reserveCapacity(Int(Double(count) * p * 1.1) + 16)
        var k = -1.0
        while true {
            k += 1 + (Foundation.log1p(-rng.uniform()) / logQ).rounded(.down)
            guard k < Double(count) else { return out }
            out.append(Int(k))
        }
    }

    /// Maps sorted linear indices of the pairs `i < j` of `0..<s` (row-major: row `i` holds
    /// `j = i + 1 … s − 1`) to the pairs, offset by `base`.
    static func trianglePairs(_ indices: [Int], size s: Int, base: Int, into edges: inout [(Int, Int)]) {
        var i = 0, rowStart = 0
        for k in indices {
            while k >= rowStart + (s - 1 - i) {
                rowStart += s - 1 - i
                i += 1
            }
            edges.append((base + i, base + i + 1 + (k - rowStart)))
        }
    }

    /// Erdős–Rényi `G(n, p)`: each of the `n(n − 1)/2` pairs is an edge independently with
    /// probability `p` (pairs in row-major order, `bernoulliIndices`). With `connected`, whole
    /// graphs are drawn from the same generator until one is connected (at most `maxAttempts`,
    /// then `GraphError.disconnected`).
    public static func erdosRenyi(nodes n: Int, p: Double, connected: Bool = false, rng: inout RandomState,
                                  maxAttempts: Int = 100) throws -> Graph {
        let name = "erdos-renyi(\(n),p=\(p)\(connected ? ",connected" : ""))"
        try checkSize(name, "node count", n, minimum: 1)
        _ = try checkTotal(name, [n])
        try checkProbability(name, "edge probability", p)
        try checkSize(name, "maxAttempts", maxAttempts, minimum: 1)
        var components = 0
        for _ in 0..<(connected ? maxAttempts : 1) {
            var e = [(Int, Int)]()
            trianglePairs(bernoulliIndices(count: n * (n - 1) / 2, p: p, rng: &rng), size: n, base: 0, into: &e)
            let g = try Graph(name: name, nodeCount: n, edges: e)
            if !connected { return g }
            components = g.componentCount
            if components == 1 { return g }
        }
        throw GraphError.disconnected(graph: name, attempts: maxAttempts, components: components)
    }

    /// The blocks of a stochastic block model: `blocks` contiguous ranges of `0..<n` whose sizes
    /// differ by at most one (block `b` is `⌊b·n/B⌋ ..< ⌊(b+1)·n/B⌋`).
    public static func blockRanges(nodes n: Int, blocks: Int) -> [Range<Int>] {
        (0..<blocks).map { (($0 * n) / blocks)..<((($0 + 1) * n) / blocks) }
    }

    /// The stochastic block model: nodes split into `blocks` near-equal contiguous blocks
    /// (`blockRanges`); a pair in one block is an edge with probability `pIn`, a pair across blocks
    /// with `pOut`, independently. Draw order: for `a = 0…B−1`, the pairs inside block `a`
    /// (row-major), then for `b = a+1…B−1` the `|a|·|b|` pairs across `a` and `b` (row-major).
    public static func stochasticBlockModel(nodes n: Int, blocks: Int, pIn: Double, pOut: Double,
                                            rng: inout RandomState) throws -> Graph {
        let name = "sbm(\(n),blocks=\(blocks),p_in=\(pIn),p_out=\(pOut))"
        try checkSize(name, "block count", blocks, minimum: 1)
        try checkSize(name, "node count", n, minimum: blocks)
        _ = try checkTotal(name, [n])
        try checkProbability(name, "p_in", pIn)
        try checkProbability(name, "p_out", pOut)
        let ranges = blockRanges(nodes: n, blocks: blocks)
        var e = [(Int, Int)]()
        for (a, ra) in ranges.enumerated() {
            let s = ra.count
            trianglePairs(bernoulliIndices(count: s * (s - 1) / 2, p: pIn, rng: &rng), size: s, base: ra.lowerBound, into: &e)
            for rb in ranges[(a + 1)...] {
                for k in bernoulliIndices(count: s * rb.count, p: pOut, rng: &rng) {
                    e.append((ra.lowerBound + k / rb.count, rb.lowerBound + k % rb.count))
                }
            }
        }
        return try Graph(name: name, nodeCount: n, edges: e)
    }

    /// The random geometric graph in the unit square (no wrap-around): `n` points drawn iid
    /// uniform in `[0, 1)²` (x then y for each node), joined when their Euclidean distance is
    /// `≤ radius`. Neighbours are found in a grid of cells of side `≥ radius`, so the cost is
    /// `O(n + m)`. For two uniform points the edge probability is
    /// `πr² − 8r³/3 + r⁴/2` (r ≤ 1).
    public static func randomGeometric(nodes n: Int, radius: Double, rng: inout RandomState) throws -> Graph {
        let name = "random-geometric(\(n),r=\(radius))"
        try checkSize(name, "node count", n, minimum: 1)
        _ = try checkTotal(name, [n])
        try checkRadius(name, radius)
        var pos = [Double](repeating: 0, count: 2 * n)
        for k in 0..<(2 * n) { pos[k] = rng.uniform() }
        let m = Swift.max(1, Int(Swift.min((1 / radius).rounded(.down), Double(n).squareRoot().rounded(.down) + 1)))
        func cell(_ t: Double) -> Int { Swift.min(m - 1, Int(t * Double(m))) }
        var members = [[Int]](repeating: [], count: m * m)
        for i in 0..<n { members[cell(pos[2 * i + 1]) * m + cell(pos[2 * i])].append(i) }
        let r2 = radius * radius
        var e = [(Int, Int)]()
        for i in 0..<n {
            let cx = cell(pos[2 * i]), cy = cell(pos[2 * i + 1])
            for y in Swift.max(0, cy - 1)...Swift.min(m - 1, cy + 1) {
                for x in Swift.max(0, cx - 1)...Swift.min(m - 1, cx + 1) {
                    for j in members[y * m + x] where j > i {
                        let dx = pos[2 * i] - pos[2 * j], dy = pos[2 * i + 1] - pos[2 * j + 1]
                        if dx * dx + dy * dy <= r2 { e.append((i, j)) }
                    }
                }
            }
        }
        return try Graph(name: name, nodeCount: n, edges: e, positions: Tensor(shape: [n, 2], scalars: pos))
    }
}
