import L2OCore

/// A distribution over optimizees that samples instances deterministically from seeds.
///
/// Instance `k` of a split is `instance(seed: InstanceSeed.derive(familySeed: seed, split:, index: k), split:)`,
/// so train, validation and test never overlap and never depend on how many are drawn.
/// Synthetic families draw every split from one distribution (`instance(seed:split:)` defaults to
/// `instance(seed:)`); real-data families also keep the splits' data apart (disjoint samples or
/// image regions per split).
public protocol ProblemFamily<Scalar> {
    associatedtype Scalar: TensorScalar
    associatedtype Instance: Optimizee where Instance.Scalar == Scalar
    /// A readable name with the shape, e.g. `LASSO(10,300,10,0.1)`.
    var name: String { get }
    /// The family seed.
    var seed: UInt64 { get }
    /// The instance drawn from `RandomState(seed: instanceSeed)`. Throws when the draw cannot
    /// make a valid instance (e.g. a random graph that stays disconnected).
    func instance(seed instanceSeed: UInt64) throws -> Instance
    /// The instance drawn from `RandomState(seed: instanceSeed)` out of `split`'s data.
    func instance(seed instanceSeed: UInt64, split: Split) throws -> Instance
}

extension ProblemFamily {
    /// Synthetic families: every split has the same distribution.
    public func instance(seed instanceSeed: UInt64, split: Split) throws -> Instance { try instance(seed: instanceSeed) }

    /// Instance `index` of `split`.
    public func instance(_ split: Split, index: Int) throws -> Instance {
        try instance(seed: InstanceSeed.derive(familySeed: seed, split: split, index: index), split: split)
    }

    /// Instances `start ..< start + count` of `split`.
    public func instances(_ split: Split, count: Int, from start: Int = 0) throws -> [Instance] {
        try (start..<(start + count)).map { try instance(split, index: $0) }
    }
}

/// Checks the shape parameters shared by the synthetic families.
func validateShape(_ family: String, n: Int, d: Int, N: Int, lambda: Double) throws {
    for (name, v) in [("nodes n", n), ("dimension d", d), ("samples per node N", N)] where v < 1 {
        throw OptimizeeError.invalidArgument(what: "\(family) \(name)", detail: "\(v) must be ≥ 1")
    }
    guard lambda.isFinite, lambda >= 0 else {
        throw OptimizeeError.invalidArgument(what: "\(family) λ", detail: "\(lambda) must be finite and ≥ 0")
    }
}

func formatLambda(_ l: Double) -> String {
    l == l.rounded() && Swift.abs(l) < 1e15 ? String(Int(l)) : "\(l)"
}

/// LASSO(n, d, N, λ) of [MiLoDo] App. E.2 (`Recipes.lasso`); `λ = 0` gives linear regression.
public struct LASSOFamily<Scalar: TensorScalar>: ProblemFamily, Sendable, Equatable {
    public let nodes: Int, dimension: Int, samplesPerNode: Int
    public let lambda: Double
    public let seed: UInt64

    public init(nodes: Int, dimension: Int, samplesPerNode: Int, lambda: Double, seed: UInt64) throws {
        try validateShape("LASSO", n: nodes, d: dimension, N: samplesPerNode, lambda: lambda)
        self.nodes = nodes
        self.dimension = dimension
        self.samplesPerNode = samplesPerNode
        self.lambda = lambda
        self.seed = seed
    }

    /// Linear regression: LASSO with `λ = 0`.
    public static func linearRegression(nodes: Int, dimension: Int, samplesPerNode: Int, seed: UInt64) throws -> Self {
        try Self(nodes: nodes, dimension: dimension, samplesPerNode: samplesPerNode, lambda: 0, seed: seed)
    }

    public var name: String {
        lambda == 0 ? "LinearRegression(\(nodes),\(dimension),\(samplesPerNode))"
            : "LASSO(\(nodes),\(dimension),\(samplesPerNode),\(formatLambda(lambda)))"
    }

    /// The raw Double draws of the instance with this seed.
    public func data(seed instanceSeed: UInt64) -> SyntheticData {
        Recipes.lasso(nodes: nodes, dimension: dimension, samplesPerNode: samplesPerNode, seed: instanceSeed)
    }

    public func instance(seed instanceSeed: UInt64) -> LASSO<Scalar> {
        let raw = data(seed: instanceSeed)
        return try! LASSO(A: raw.A.cast(), b: raw.b.cast(), lambda: Scalar(lambda))
    }
}

/// Logistic(n, d, N, λ) of [MiLoDo] App. E.2 (`Recipes.logistic`).
public struct LogisticFamily<Scalar: TensorScalar>: ProblemFamily, Sendable, Equatable {
    public let nodes: Int, dimension: Int, samplesPerNode: Int
    public let lambda: Double
    public let seed: UInt64

    public init(nodes: Int, dimension: Int, samplesPerNode: Int, lambda: Double, seed: UInt64) throws {
        try validateShape("Logistic", n: nodes, d: dimension, N: samplesPerNode, lambda: lambda)
        self.nodes = nodes
        self.dimension = dimension
        self.samplesPerNode = samplesPerNode
        self.lambda = lambda
        self.seed = seed
    }

    public var name: String { "Logistic(\(nodes),\(dimension),\(samplesPerNode),\(formatLambda(lambda)))" }

    public func data(seed instanceSeed: UInt64) -> SyntheticData {
        Recipes.logistic(nodes: nodes, dimension: dimension, samplesPerNode: samplesPerNode, seed: instanceSeed)
    }

    public func instance(seed instanceSeed: UInt64) -> LogisticRegression<Scalar> {
        let raw = data(seed: instanceSeed)
        return try! LogisticRegression(A: raw.A.cast(), b: raw.b.cast(), lambda: Scalar(lambda))
    }
}
