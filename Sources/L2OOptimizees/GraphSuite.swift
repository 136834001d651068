import L2OCore
import L2OData

/// The graph-energy part of a suite group:
/// ```json
/// { "family": "heat", "graph": { "type": "lattice2d", "rows": 75, "cols": 75 },
///   "lambda": 1, "hotTemperature": 1, "coldTemperature": 0, "splits": { "train": 16 } }
/// ```
/// Graph types and keys: `lattice2d` (rows, cols, periodic), `lattice3d` (nx, ny, nz, periodic),
/// `triangular` (rows, cols), `ring` (nodes), `tree` (branching, depth), `sbm` (nodes, blocks,
/// pIn, pOut), `random-geometric` (nodes, radius), `erdos-renyi` (nodes, p, connected), `mesh`
/// (path of an OFF file, relative to the working directory). `periodic` and `connected` default
/// to false. Heat keys (all optional, defaults of `HeatBathParameters`): lambda, hotTemperature,
/// coldTemperature, features, hotFraction, coldFraction. Hopf–Kuramoto needs s1 and s2.
public struct GraphEnergySpec: Sendable, Equatable {
    public var graph: GraphRecipe
    /// Used by `heat` groups.
    public var heat: HeatBathParameters
    /// Used by `hopf-kuramoto` groups.
    public var s1: Double, s2: Double

    public init(graph: GraphRecipe, heat: HeatBathParameters = HeatBathParameters(), s1: Double = 0, s2: Double = 0) {
        self.graph = graph
        self.heat = heat
        self.s1 = s1
        self.s2 = s2
    }
}

extension ProblemSuite.Group {
    func graphSpec(_ expected: any SuiteFamily.Type) throws -> GraphEnergySpec {
        guard family.key == expected.key, let graphEnergy else {
            throw OptimizeeError.invalidArgument(what: "suite group \(family.key)", detail: "is not a \(expected.key) family")
        }
        return graphEnergy
    }

    /// The family for `heat` groups (reads a mesh file; a missing one throws `DataError.fileNotFound`).
    public func heatFamily<S: TensorScalar>(_: S.Type = S.self) throws -> HeatDiffusionFamily<S> {
        let spec = try graphSpec(HeatSuiteFamily.self)
        return try HeatDiffusionFamily(graph: spec.graph, parameters: spec.heat, seed: seed)
    }

    /// The family for `kuramoto` groups.
    public func kuramotoFamily<S: TensorScalar>(_: S.Type = S.self) throws -> KuramotoFamily<S> {
        try KuramotoFamily(graph: try graphSpec(KuramotoSuiteFamily.self).graph, seed: seed)
    }

    /// The family for `hopf-kuramoto` groups.
    public func hopfKuramotoFamily<S: TensorScalar>(_: S.Type = S.self) throws -> HopfKuramotoFamily<S> {
        let spec = try graphSpec(HopfKuramotoSuiteFamily.self)
        return try HopfKuramotoFamily(graph: spec.graph, s1: spec.s1, s2: spec.s2, seed: seed)
    }
}

extension SuiteReader {
    public func number(_ value: JSONValue?, _ path: String, default fallback: Double? = nil) throws -> Double {
        guard let value else {
            if let fallback { return fallback }
            throw fail(path, "is missing")
        }
        guard let d = value.doubleValue, d.isFinite else { throw fail(path, "must be a finite number, got \(value)") }
        return d
    }

    public func flag(_ value: JSONValue?, _ path: String) throws -> Bool {
        guard let value else { return false }
        guard case .bool(let b) = value else { throw fail(path, "must be true or false, got \(value)") }
        return b
    }

    /// The `graph` object of a group.
    public func graphRecipe(_ value: JSONValue?, _ path: String) throws -> GraphRecipe {
        guard case .object(let raw)? = value else {
            throw fail(path, "must be an object such as {\"type\": \"lattice2d\", \"rows\": 75, \"cols\": 75}")
        }
        guard case .string(let type)? = raw["type"] else {
            throw fail("\(path).type", "is missing; use one of \(GraphRecipe.typeNames.joined(separator: ", "))")
        }
        let keys: [String]
        switch type {
        case "lattice2d": keys = ["rows", "cols", "periodic"]
        case "lattice3d": keys = ["nx", "ny", "nz", "periodic"]
        case "triangular": keys = ["rows", "cols"]
        case "ring": keys = ["nodes"]
        case "tree": keys = ["branching", "depth"]
        case "sbm": keys = ["nodes", "blocks", "pIn", "pOut"]
        case "random-geometric": keys = ["nodes", "radius"]
        case "erdos-renyi": keys = ["nodes", "p", "connected"]
        case "mesh": keys = ["path"]
        default: throw fail("\(path).type", "unknown graph type \"\(type)\"; use one of \(GraphRecipe.typeNames.joined(separator: ", "))")
        }
        let o = try object(value, path, allowed: Set(keys + ["type"]))
        func int(_ k: String, minimum: Int = 1) throws -> Int { try integer(o[k], "\(path).\(k)", minimum: minimum) }
        func num(_ k: String) throws -> Double { try number(o[k], "\(path).\(k)") }
        let recipe: GraphRecipe
        switch type {
        case "lattice2d": recipe = .lattice2D(rows: try int("rows"), cols: try int("cols"), periodic: try flag(o["periodic"], "\(path).periodic"))
        case "lattice3d":
            recipe = .lattice3D(nx: try int("nx"), ny: try int("ny"), nz: try int("nz"), periodic: try flag(o["periodic"], "\(path).periodic"))
        case "triangular": recipe = .triangular(rows: try int("rows"), cols: try int("cols"))
        case "ring": recipe = .ring(nodes: try int("nodes"))
        case "tree": recipe = .tree(branching: try int("branching"), depth: try int("depth", minimum: 0))
        case "sbm": recipe = .stochasticBlockModel(nodes: try int("nodes"), blocks: try int("blocks"), pIn: try num("pIn"), pOut: try num("pOut"))
        case "random-geometric": recipe = .randomGeometric(nodes: try int("nodes"), radius: try num("radius"))
        case "erdos-renyi": recipe = .erdosRenyi(nodes: try int("nodes"), p: try num("p"), connected: try flag(o["connected"], "\(path).connected"))
        default:
            guard case .string(let file)? = o["path"], !file.isEmpty else {
                throw fail("\(path).path", "must be the path of an OFF file, e.g. \"\(OFFMesh.bunnyPath())\"")
            }
            recipe = .mesh(path: file)
        }
        do { try recipe.validate() } catch let error as GraphError { throw fail(path, "\(error)") }
        return recipe
    }

    /// A graph-energy group (no list expansion): keys `family`, `graph`, `seed`, `splits` and the
    /// family's `parameterKeys`, which `parameters` reads into the energy's spec, its features per
    /// graph node and the group's `lambda`.
    public func graphGroup(_ raw: [String: JSONValue], path: String, family: any SuiteFamily.Type, parameterKeys: [String], defaultSeed: UInt64,
                           parameters: (_ group: [String: JSONValue], _ graph: GraphRecipe) throws -> (spec: GraphEnergySpec, features: Int, lambda: Double)
    ) throws -> ProblemSuite.Group {
        let go = try object(.object(raw), path, allowed: Set(["family", "graph", "seed", "splits"] + parameterKeys))
        let recipe = try graphRecipe(go["graph"], "\(path).graph")
        let (spec, features, lambda) = try parameters(go, recipe)
        if let n = recipe.nodeCount {
            // The state (n·features values) and its working copies must fit in memory.
            do {
                try ResourceLimits.checkShape([n, features], bytesPerElement: MemoryLayout<Double>.size, copies: 8, what: "\(path) (graph nodes × features)")
            } catch let e as ResourceLimitError { throw fail(e.what, e.detail) }
        }
        return ProblemSuite.Group(
            family: family, nodes: 1, dimension: (recipe.nodeCount ?? 0) * features, samplesPerNode: 1, lambda: lambda,
            seed: try go["seed"].map { try seedValue($0, "\(path).seed") } ?? defaultSeed,
            splits: try splitCounts(go["splits"], "\(path).splits"), graphEnergy: spec)
    }
}
