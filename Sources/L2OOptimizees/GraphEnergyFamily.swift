import Foundation
import L2OCore
import L2OData

/// The bath parameters of heat-diffusion instances.
public struct HeatBathParameters: Sendable, Equatable {
    /// The bath weight λ ≥ 0.
    public var lambda: Double
    public var hotTemperature: Double
    public var coldTemperature: Double
    /// Features per node `d`.
    public var features: Int
    /// Fractions of the nodes that are hot and cold: `round(fraction·n)` nodes each.
    public var hotFraction: Double
    public var coldFraction: Double

    /// [NeuralReparam] §3: 10% hot, 10% cold; `λ = 1`, `T_hot = 1`, `T_cold = 0`, one feature.
    public init(lambda: Double = 1, hotTemperature: Double = 1, coldTemperature: Double = 0, features: Int = 1,
                hotFraction: Double = 0.1, coldFraction: Double = 0.1) {
        self.lambda = lambda
        self.hotTemperature = hotTemperature
        self.coldTemperature = coldTemperature
        self.features = features
        self.hotFraction = hotFraction
        self.coldFraction = coldFraction
    }

    /// `(round(hotFraction·n), round(coldFraction·n))`.
    public func bathCounts(nodes n: Int) -> (hot: Int, cold: Int) {
        (Int((hotFraction * Double(n)).rounded()), Int((coldFraction * Double(n)).rounded()))
    }

    func validate(nodes n: Int) throws {
        guard lambda.isFinite, lambda >= 0 else { throw OptimizeeError.invalidArgument(what: "heat-diffusion λ", detail: "\(lambda) must be finite and ≥ 0") }
        guard hotTemperature.isFinite, coldTemperature.isFinite else {
            throw OptimizeeError.invalidArgument(what: "heat-diffusion temperatures", detail: "T_hot = \(hotTemperature), T_cold = \(coldTemperature) must be finite")
        }
        guard features >= 1 else { throw OptimizeeError.invalidArgument(what: "heat-diffusion features d", detail: "\(features) must be ≥ 1") }
        for (what, f) in [("hot fraction", hotFraction), ("cold fraction", coldFraction)] where !(f >= 0 && f <= 1) {
            throw OptimizeeError.invalidArgument(what: "heat-diffusion \(what)", detail: "\(f) must lie in [0, 1]")
        }
        let (h, c) = bathCounts(nodes: n)
        guard h + c <= n else {
            throw OptimizeeError.invalidArgument(what: "heat-diffusion baths", detail: "\(h) hot + \(c) cold nodes exceed the \(n) nodes of the graph")
        }
    }
}

/// Where a family's graphs come from: built once for deterministic recipes (lattices, ring, tree,
/// a mesh), drawn first from every instance's generator for random ones.
struct GraphSource: Sendable {
    let recipe: GraphRecipe
    let fixed: Graph?
    /// The node count of every instance.
    let nodeCount: Int

    /// Validates the recipe; builds (and for a mesh, reads) a deterministic graph. A connected
    /// Erdős–Rényi recipe needs `p ≥ (ln n + 1)/n`: then one draw is disconnected with probability
    /// about `1 − exp(−e^{−1}) ≈ 0.31`, and the generator's 100 redraws all fail with probability
    /// below `10^{−50}`.
    init(_ recipe: GraphRecipe) throws {
        do {
            try recipe.validate()
            if case let .erdosRenyi(n, p, true) = recipe, n >= 2, p < (Foundation.log(Double(n)) + 1) / Double(n) {
                throw GraphError.invalidParameter(
                    graph: recipe.name,
                    detail: "a connected Erdős–Rényi graph needs p ≥ (ln n + 1)/n = \((Foundation.log(Double(n)) + 1) / Double(n)) so that resampling succeeds; raise p or drop \"connected\"")
            }
            var rng = RandomState(seed: 0)
            fixed = recipe.isRandom ? nil : try recipe.build(rng: &rng)
        } catch let error as GraphError {
            throw OptimizeeError.invalidArgument(what: "graph", detail: "\(error)")
        }
        self.recipe = recipe
        nodeCount = fixed?.nodeCount ?? recipe.nodeCount ?? 0
    }

    /// The instance's graph: the fixed one, or a draw from `rng`.
    func graph(rng: inout RandomState) throws -> Graph {
        if let fixed { return fixed }
        do { return try recipe.build(rng: &rng) } catch let error as GraphError {
            throw OptimizeeError.invalidArgument(what: "graph", detail: "\(error)")
        }
    }
}

/// Heat-diffusion instances on graphs from one recipe. Instance draw order from
/// `RandomState(seed: instanceSeed)`: the graph (random recipes only), a permutation of the `n`
/// nodes whose first `round(0.1 n)` entries are hot and next `round(0.1 n)` cold, then the
/// initial state `x⁰ ~ U[T_cold, T_hot)^{n·d}`.
public struct HeatDiffusionFamily<Scalar: TensorScalar>: ProblemFamily, Sendable {
    public let graph: GraphRecipe
    public let parameters: HeatBathParameters
    public let seed: UInt64
    let source: GraphSource

    /// Validates the recipe and parameters (and reads a mesh file once).
    public init(graph: GraphRecipe, parameters: HeatBathParameters = HeatBathParameters(), seed: UInt64) throws {
        source = try GraphSource(graph)
        try parameters.validate(nodes: source.nodeCount)
        self.graph = graph
        self.parameters = parameters
        self.seed = seed
    }

    public var name: String { Self.name(graph: graph, parameters: parameters) }

    /// `Heat(<graph>,λ=…)` (with `,d=…` for several features).
    public static func name(graph: GraphRecipe, parameters: HeatBathParameters) -> String {
        let d = parameters.features == 1 ? "" : ",d=\(parameters.features)"
        return "Heat(\(graph.name),λ=\(formatLambda(parameters.lambda))\(d))"
    }

    /// The instance, with errors typed (a random graph the generator could not build).
    public func makeInstance(seed instanceSeed: UInt64) throws -> HeatDiffusion<Scalar> {
        var rng = RandomState(seed: instanceSeed)
        let g = try source.graph(rng: &rng)
        let p = parameters
        let (h, c) = p.bathCounts(nodes: g.nodeCount)
        let order = rng.permutation(g.nodeCount)
        let x0 = Tensor<Scalar>.uniform([g.nodeCount * p.features], low: Scalar(p.coldTemperature), high: Scalar(p.hotTemperature), rng: &rng)
        return try HeatDiffusion(graph: g, features: p.features, lambda: Scalar(p.lambda), hotTemperature: Scalar(p.hotTemperature),
                                 coldTemperature: Scalar(p.coldTemperature), hotNodes: Array(order[0..<h]).sorted(),
                                 coldNodes: Array(order[h..<(h + c)]).sorted(), initialPoint: x0)
    }

    /// `makeInstance`; the family's checks make a failure there practically impossible (see `GraphSource`).
    public func instance(seed instanceSeed: UInt64) throws -> HeatDiffusion<Scalar> { try makeInstance(seed: instanceSeed) }
}

/// Kuramoto instances on graphs from one recipe. Draw order: the graph (random recipes only),
/// then the phases `x⁰ ~ U[0, 2π)^n`.
public struct KuramotoFamily<Scalar: TensorScalar>: ProblemFamily, Sendable {
    public let graph: GraphRecipe
    public let seed: UInt64
    let source: GraphSource

    public init(graph: GraphRecipe, seed: UInt64) throws {
        source = try GraphSource(graph)
        self.graph = graph
        self.seed = seed
    }

    public var name: String { Self.name(graph: graph) }
    public static func name(graph: GraphRecipe) -> String { "Kuramoto(\(graph.name))" }

    public func makeInstance(seed instanceSeed: UInt64) throws -> Kuramoto<Scalar> {
        var rng = RandomState(seed: instanceSeed)
        let g = try source.graph(rng: &rng)
        return try Kuramoto(graph: g, initialPoint: .uniform([g.nodeCount], low: 0, high: Scalar(2 * Double.pi), rng: &rng))
    }

    public func instance(seed instanceSeed: UInt64) throws -> Kuramoto<Scalar> { try makeInstance(seed: instanceSeed) }
}

/// Hopf–Kuramoto instances with fixed `(s₁, s₂)` on graphs from one recipe. Draw order as for
/// `KuramotoFamily`.
public struct HopfKuramotoFamily<Scalar: TensorScalar>: ProblemFamily, Sendable {
    public let graph: GraphRecipe
    public let s1: Double, s2: Double
    public let seed: UInt64
    let source: GraphSource

    public init(graph: GraphRecipe, s1: Double, s2: Double, seed: UInt64) throws {
        guard s1.isFinite, s2.isFinite else {
            throw OptimizeeError.invalidArgument(what: "Hopf–Kuramoto (s₁, s₂)", detail: "(\(s1), \(s2)) must be finite")
        }
        source = try GraphSource(graph)
        self.graph = graph
        self.s1 = s1
        self.s2 = s2
        self.seed = seed
    }

    public var name: String { Self.name(graph: graph, s1: s1, s2: s2) }
    public static func name(graph: GraphRecipe, s1: Double, s2: Double) -> String {
        "HopfKuramoto(\(graph.name),s1=\(formatLambda(s1)),s2=\(formatLambda(s2)))"
    }

    public func makeInstance(seed instanceSeed: UInt64) throws -> HopfKuramoto<Scalar> {
        var rng = RandomState(seed: instanceSeed)
        let g = try source.graph(rng: &rng)
        return try HopfKuramoto(graph: g, s1: Scalar(s1), s2: Scalar(s2),
                                initialPoint: .uniform([g.nodeCount], low: 0, high: Scalar(2 * Double.pi), rng: &rng))
    }

    public func instance(seed instanceSeed: UInt64) throws -> HopfKuramoto<Scalar> { try makeInstance(seed: instanceSeed) }
}
