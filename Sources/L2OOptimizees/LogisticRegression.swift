import L2OCore

/// Decentralized ℓ₁-regularized logistic regression ([MiLoDo] App. E.2): node `i` holds `A_i ∈ R^{N×d}` and
/// labels `b_i ∈ {0, 1}^N`; with `z = A_i x`,
/// ```
/// f_i(x) = (1/N) Σ_j [ b_ij·ln(1 + e^{−z_j}) + (1 − b_ij)·ln(1 + e^{z_j}) ] = (1/N) Σ_j [ softplus(z_j) − b_ij z_j ]
/// ∇f_i(x) = A_iᵀ(σ(z) − b_i)/N,     ∇²f_i(x) = A_iᵀ diag(σ(z)(1 − σ(z))) A_i / N
/// F(x) = (1/n) Σ_i f_i(x) + λ‖x‖₁
/// ```
/// (softplus and σ are evaluated in their overflow-free forms).
public struct LogisticRegression<Scalar: TensorScalar>: Optimizee, Sendable {
    /// Features, shape `[n, N, d]`.
    public let A: Tensor<Scalar>
    /// Labels in {0, 1} (soft labels in [0, 1] are also valid), shape `[n, N]`.
    public let b: Tensor<Scalar>
    /// The ℓ₁ weight λ ≥ 0.
    public let lambda: Scalar
    public var referenceOptimum: ReferenceOptimum<Scalar>?

    /// Validates shapes, finiteness, `λ ≥ 0` and labels in [0, 1].
    public init(A: Tensor<Scalar>, b: Tensor<Scalar>, lambda: Scalar, referenceOptimum: ReferenceOptimum<Scalar>? = nil) throws {
        try validateNodeData(A, b, lambda: lambda, problem: "logistic regression")
        let outside = b.scalars.filter { $0 < 0 || $0 > 1 }.count
        guard outside == 0 else {
            throw OptimizeeError.invalidArgument(
                what: "logistic-regression labels b", detail: "\(outside) label(s) outside [0, 1]; labels must be 0 or 1")
        }
        self.A = A
        self.b = b
        self.lambda = lambda
        self.referenceOptimum = referenceOptimum
    }

    @inlinable public var nodes: Int { A.shape[0] }
    @inlinable public var samplesPerNode: Int { A.shape[1] }
    @inlinable public var dimension: Int { A.shape[2] }
    @inlinable public var shardCount: Int { A.shape[0] }
    public var shardWeights: [Scalar] { [Scalar](repeating: 1 / Scalar(nodes), count: nodes) }
    public var regularizer: Regularizer<Scalar> { lambda == 0 ? .none : .l1(lambda) }

    /// The same instance in another scalar type.
    public func cast<T: TensorScalar>(to: T.Type = T.self) -> LogisticRegression<T> {
        try! LogisticRegression<T>(A: A.cast(), b: b.cast(), lambda: T(lambda), referenceOptimum: referenceOptimum?.cast())
    }

    @inlinable
    func checkShard(_ s: Int, _ x: Tensor<Scalar>) {
        precondition(s >= 0 && s < nodes, "LogisticRegression: shard \(s) outside 0..<\(nodes)")
        precondition(x.shape == [dimension], "LogisticRegression: x must be [\(dimension)], got \(x.shape)")
    }

    @inlinable
    public func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar {
        checkShard(s, x)
        let N = samplesPerNode
        let z = nodeProduct(A, node: s, x)
        var total: Scalar = 0
        for j in 0..<N { total += softplusScalar(z[j]) - b.scalars[s * N + j] * z[j] }
        return total / Scalar(N)
    }

    @inlinable
    public func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar> {
        checkShard(s, x)
        let N = samplesPerNode
        var r = nodeProduct(A, node: s, x)
        for j in 0..<N { r[j] = sigmoidScalar(r[j]) - b.scalars[s * N + j] }
        return nodeTransposedProduct(A, node: s, r, scale: 1 / Scalar(N))
    }

    @inlinable
    public func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        checkShard(s, x)
        checkShard(s, v)
        let z = nodeProduct(A, node: s, x)
        var av = nodeProduct(A, node: s, v)
        for j in 0..<samplesPerNode {
            let p = sigmoidScalar(z[j])
            av[j] *= p * (1 - p)
        }
        return nodeTransposedProduct(A, node: s, av, scale: 1 / Scalar(samplesPerNode))
    }

    /// All local gradients `∇f_i(x_i) = A_iᵀ(σ(A_i x_i) − b_i)/N` (row `i` of `X`, `[n, d]`) in one
    /// pass over the nodes: two gemv per node into the output rows, no per-node allocation.
    @inlinable
    public func gradients(at X: Tensor<Scalar>) -> Tensor<Scalar> {
        let (n, N, d) = (nodes, samplesPerNode, dimension)
        precondition(X.shape == [n, d], "LogisticRegression.gradients: X must be \([n, d]), got \(X.shape)")
        var G = Tensor<Scalar>.zeros([n, d])
        var r = [Scalar](repeating: 0, count: N)
        A.scalars.withUnsafeBufferPointer { ap in
            X.scalars.withUnsafeBufferPointer { xp in
                b.scalars.withUnsafeBufferPointer { bp in
                    G.scalars.withUnsafeMutableBufferPointer { gp in
                        r.withUnsafeMutableBufferPointer { rp in
                            for i in 0..<n {
                                let a = ap.baseAddress! + i * N * d
                                Scalar.gemv(trans: false, m: N, n: d, alpha: 1, a: a, lda: d, x: xp.baseAddress! + i * d, incx: 1,
                                            beta: 0, y: rp.baseAddress!, incy: 1)
                                for j in 0..<N { rp[j] = sigmoidScalar(rp[j]) - bp[i * N + j] }
                                Scalar.gemv(trans: true, m: N, n: d, alpha: 1 / Scalar(N), a: a, lda: d, x: rp.baseAddress!, incx: 1,
                                            beta: 0, y: gp.baseAddress! + i * d, incy: 1)
                            }
                        }
                    }
                }
            }
        }
        return G
    }
}
