import L2OCore
import L2OData

/// Decentralized ℓ₁-regularized logistic regression on UCI Adult ([MiLoDo] App. E.2's real-data
/// variant): `LogisticRegression` over the 105 encoded features of `Adult` (standardized
/// numeric attributes, one-hot categorical ones), label `1[income > 50K]`:
/// ```
/// f_i(x) = (1/N) Σ_{j ∈ node i} [softplus(a_jᵀx) − b_j a_jᵀx],   F(x) = (1/n) Σ_i f_i(x) + λ‖x‖₁
/// ```
/// An instance holds `nN` distinct samples drawn without replacement from its split's pool
/// (`RandomState(seed: instanceSeed).permutation`, first `nN`); node `i` gets draws
/// `[iN, (i+1)N)`. Pools: test instances draw from `adult.test`; train and validation instances
/// from `adult.data`, whose complete rows `k` with `k mod 5 = 4` are validation samples and the
/// others training samples — so samples of different splits never coincide.
public struct AdultLogisticFamily<Scalar: TensorScalar>: ProblemFamily, Sendable {
    public let nodes: Int, samplesPerNode: Int
    public let lambda: Double
    public let seed: UInt64
    /// The encoded training file (train and validation pools).
    public let train: AdultSamples
    /// The encoded test file (test pool).
    public let test: AdultSamples

    /// Throws `invalidArgument` for bad sizes or λ, or when a pool has fewer than `nN` samples.
    public init(data: (train: AdultSamples, test: AdultSamples), nodes: Int, samplesPerNode: Int, lambda: Double, seed: UInt64) throws {
        try validateShape("LogisticAdult", n: nodes, d: Adult.featureCount, N: samplesPerNode, lambda: lambda)
        for (name, samples) in [("training", data.train), ("test", data.test)] where samples.features.shape != [samples.count, Adult.featureCount] {
            throw OptimizeeError.shapeMismatch(what: "Adult \(name) features", expected: "[\(samples.count), \(Adult.featureCount)]", found: samples.features.shape)
        }
        self.nodes = nodes
        self.samplesPerNode = samplesPerNode
        self.lambda = lambda
        self.seed = seed
        self.train = data.train
        self.test = data.test
        for split in Split.allCases where pool(split).count < nodes * samplesPerNode {
            throw OptimizeeError.invalidArgument(
                what: "LogisticAdult sizes", detail: "\(nodes) nodes × \(samplesPerNode) samples need \(nodes * samplesPerNode) distinct samples, the \(split.rawValue) pool has \(pool(split).count)")
        }
    }

    public var dimension: Int { Adult.featureCount }

    public var name: String { "LogisticAdult(\(nodes),\(dimension),\(samplesPerNode),\(formatLambda(lambda)))" }

    /// The rows (of `train` for train/validation, of `test` for test) a split draws from.
    public func pool(_ split: Split) -> [Int] {
        switch split {
        case .train: return (0..<train.count).filter { $0 % 5 != 4 }
        case .validation: return (0..<train.count).filter { $0 % 5 == 4 }
        case .test: return Array(0..<test.count)
        }
    }

    /// The rows of the pool's source file that the instance with this seed holds, node-major.
    public func sampleIndices(seed instanceSeed: UInt64, split: Split) -> [Int] {
        var rng = RandomState(seed: instanceSeed)
        let rows = pool(split)
        return rng.permutation(rows.count).prefix(nodes * samplesPerNode).map { rows[$0] }
    }

    public func instance(seed instanceSeed: UInt64, split: Split) -> LogisticRegression<Scalar> {
        let source = split == .test ? test : train
        let picks = sampleIndices(seed: instanceSeed, split: split)
        let (n, N, d) = (nodes, samplesPerNode, dimension)
        let A = source.features.gatherRows(picks).reshaped([n, N, d])
        let b = Tensor<Double>(shape: [n, N], scalars: picks.map { Double(source.labels[$0]) })
        return try! LogisticRegression(A: A.cast(), b: b.cast(), lambda: Scalar(lambda))
    }

    /// An instance drawn from the training pool.
    public func instance(seed instanceSeed: UInt64) -> LogisticRegression<Scalar> { instance(seed: instanceSeed, split: .train) }
}
