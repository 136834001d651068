import L2OCore

/// A set of decentralized LASSO or logistic-regression instances stored as arrays, so instances can
/// be generated once, shared, or brought from h5py (schema in `docs/checkpoint-format.md`).
///
/// Instance `k` has `n` nodes; node `i` holds `N` samples `A[k, i] ∈ R^{N×d}`, `b[k, i] ∈ R^N`.
/// LASSO: `F(x) = Σ_i ½‖A_i x − b_i‖² + λ‖x‖₁`; logistic: labels `b ∈ {0, 1}` with an ℓ₁ penalty
/// `λ‖x‖₁` (see docs/optimizees.md for the generators). `xStar` / `fStar` are optional reference optima.
public struct ProblemInstanceSet<Scalar: TensorScalar>: Equatable, Sendable {
    /// The objective family.
    public enum Problem: String, Sendable, CaseIterable {
        case lasso
        case logistic
    }

    /// The value of the root `format` attribute.
    public static var formatName: String { "l2o-instances" }
    /// The newest `format_version` this build writes and reads.
    public static var formatVersion: Int64 { 1 }

    public var problem: Problem
    /// The ℓ₁ weight λ ≥ 0.
    public var lambda: Double
    /// Data matrices, shape `[count, n, N, d]`.
    public var A: Tensor<Scalar>
    /// Targets or labels, shape `[count, n, N]`.
    public var b: Tensor<Scalar>
    /// Reference minimizers, shape `[count, d]`, if known.
    public var xStar: Tensor<Scalar>?
    /// Reference optimal values, shape `[count]`, if known.
    public var fStar: Tensor<Scalar>?
    /// The seed the instances were generated from, if any.
    public var seed: UInt64?

    /// Creates a validated instance set (see `validate(file:)`).
    public init(
        problem: Problem, lambda: Double, A: Tensor<Scalar>, b: Tensor<Scalar>,
        xStar: Tensor<Scalar>? = nil, fStar: Tensor<Scalar>? = nil, seed: UInt64? = nil
    ) throws {
        self.problem = problem
        self.lambda = lambda
        self.A = A
        self.b = b
        self.xStar = xStar
        self.fStar = fStar
        self.seed = seed
        try validate()
    }

    /// Number of instances.
    public var count: Int { A.shape.first ?? 0 }
    /// Nodes per instance (n).
    public var nodes: Int { A.rank == 4 ? A.shape[1] : 0 }
    /// Samples per node (N).
    public var samplesPerNode: Int { A.rank == 4 ? A.shape[2] : 0 }
    /// Problem dimension (d).
    public var dimension: Int { A.rank == 4 ? A.shape[3] : 0 }

    /// Checks the schema's invariants: `A` is `[count, n, N, d]` with every extent ≥ 1, `b` is
    /// `[count, n, N]`, `x_star` is `[count, d]`, `f_star` is `[count]`, λ is finite and ≥ 0, and
    /// every value is finite. Throws `invalidInstanceSet`, `shapeMismatch` or `nonFiniteValues`
    /// naming `file` and the dataset.
    public func validate(file: String = "(in memory)") throws {
        guard A.rank == 4, A.shape.allSatisfy({ $0 >= 1 }) else {
            throw CheckpointError.invalidInstanceSet(
                file: file, detail: "dataset 'A' has shape \(A.shape) but must be [count, n, N, d] with every extent ≥ 1")
        }
        guard lambda.isFinite, lambda >= 0, lambda <= Self.maximumMagnitude else {
            throw CheckpointError.invalidInstanceSet(file: file, detail: "attribute 'lambda' is \(lambda) but must be finite, ≥ 0 and at most 1e30")
        }
        let (count, n, N, d) = (A.shape[0], A.shape[1], A.shape[2], A.shape[3])
        let expected: [(String, Tensor<Scalar>?, [Int])] = [
            ("A", A, [count, n, N, d]), ("b", b, [count, n, N]), ("x_star", xStar, [count, d]), ("f_star", fStar, [count]),
        ]
        for (name, tensor, shape) in expected {
            guard let tensor else { continue }
            guard tensor.shape == shape else {
                throw CheckpointError.shapeMismatch(file: file, dataset: "/" + name, expected: shape, found: tensor.shape)
            }
            let bad = tensor.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            guard bad == 0 else { throw CheckpointError.nonFiniteValues(file: file, dataset: "/" + name, count: bad) }
            let huge = tensor.scalars.reduce(0) { $0 + (Swift.abs($1) > Scalar(Self.maximumMagnitude) ? 1 : 0) }
            guard huge == 0 else {
                throw CheckpointError.invalidInstanceSet(
                    file: file, detail: "dataset '/\(name)' holds \(huge) value(s) larger than 1e30 in magnitude; problems are solved in Float and Double, and such values overflow Float")
            }
        }
    }

    /// The largest magnitude accepted for λ and the entries of A, b, x⋆ and f⋆ (finite in Float).
    public static var maximumMagnitude: Double { 1e30 }

    /// Instance `k` (0 ≤ k < count): `A` `[n, N, d]`, `b` `[n, N]`, and the reference optimum if stored.
    public func instance(_ k: Int) -> (A: Tensor<Scalar>, b: Tensor<Scalar>, xStar: Tensor<Scalar>?, fStar: Scalar?) {
        precondition(k >= 0 && k < count, "ProblemInstanceSet.instance: index \(k) outside 0..<\(count)")
        let (n, N, d) = (nodes, samplesPerNode, dimension)
        let aSize = n * N * d, bSize = n * N
        let a = Tensor(shape: [n, N, d], scalars: Array(A.scalars[(k * aSize)..<((k + 1) * aSize)]))
        let bk = Tensor(shape: [n, N], scalars: Array(b.scalars[(k * bSize)..<((k + 1) * bSize)]))
        let x = xStar.map { Tensor(shape: [d], scalars: Array($0.scalars[(k * d)..<((k + 1) * d)])) }
        return (a, bk, x, fStar.map { $0.scalars[k] })
    }
}
