import L2OCore

/// Decentralized LASSO ([MiLoDo] App. E.2): node `i` holds `A_i ∈ R^{N×d}`, `b_i ∈ R^N` and
/// ```
/// f_i(x) = ‖A_i x − b_i‖² / (2N),   F(x) = (1/n) Σ_i f_i(x) + λ‖x‖₁ = ‖Ax − b‖²/(2nN) + λ‖x‖₁
/// ```
/// (`α_i = 1/n`). `∇f_i(x) = A_iᵀ(A_i x − b_i)/N`, `∇²f_i = A_iᵀA_i/N`. With `λ = 0` this is
/// decentralized linear least squares (`regularizer == .none`).
public struct LASSO<Scalar: TensorScalar>: Optimizee, Sendable {
    /// Data blocks, shape `[n, N, d]`; node `i` owns `A[i]`.
    public let A: Tensor<Scalar>
    /// Targets, shape `[n, N]`.
    public let b: Tensor<Scalar>
    /// The ℓ₁ weight λ ≥ 0.
    public let lambda: Scalar
    public var referenceOptimum: ReferenceOptimum<Scalar>?

    /// Validates shapes (`A [n, N, d]`, `b [n, N]`, every extent ≥ 1), finiteness and `λ ≥ 0`.
    public init(A: Tensor<Scalar>, b: Tensor<Scalar>, lambda: Scalar, referenceOptimum: ReferenceOptimum<Scalar>? = nil) throws {
        try validateNodeData(A, b, lambda: lambda, problem: "LASSO")
        self.A = A
        self.b = b
        self.lambda = lambda
        self.referenceOptimum = referenceOptimum
    }

    /// Nodes `n`.
    @inlinable public var nodes: Int { A.shape[0] }
    /// Rows per node `N`.
    @inlinable public var samplesPerNode: Int { A.shape[1] }
    @inlinable public var dimension: Int { A.shape[2] }
    @inlinable public var shardCount: Int { A.shape[0] }
    public var shardWeights: [Scalar] { [Scalar](repeating: 1 / Scalar(nodes), count: nodes) }
    public var regularizer: Regularizer<Scalar> { lambda == 0 ? .none : .l1(lambda) }

    /// The same instance in another scalar type (the reference optimum is carried over).
    public func cast<T: TensorScalar>(to: T.Type = T.self) -> LASSO<T> {
        try! LASSO<T>(A: A.cast(), b: b.cast(), lambda: T(lambda), referenceOptimum: referenceOptimum?.cast())
    }

    @inlinable
    func checkShard(_ s: Int, _ x: Tensor<Scalar>) {
        precondition(s >= 0 && s < nodes, "LASSO: shard \(s) outside 0..<\(nodes)")
        precondition(x.shape == [dimension], "LASSO: x must be [\(dimension)], got \(x.shape)")
    }

    /// `‖A_i x − b_i‖²/(2N)`.
    @inlinable
    public func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar {
        checkShard(s, x)
        let N = samplesPerNode
        let r = nodeProduct(A, node: s, x)
        var total: Scalar = 0
        for j in 0..<N { let e = r[j] - b.scalars[s * N + j]; total += e * e }
        return total / (2 * Scalar(N))
    }

    /// `A_iᵀ(A_i x − b_i)/N`.
    @inlinable
    public func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar> {
        checkShard(s, x)
        let N = samplesPerNode
        var r = nodeProduct(A, node: s, x)
        for j in 0..<N { r[j] -= b.scalars[s * N + j] }
        return nodeTransposedProduct(A, node: s, r, scale: 1 / Scalar(N))
    }

    /// `A_iᵀA_i v / N` (independent of `x`).
    @inlinable
    public func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        checkShard(s, v)
        return nodeTransposedProduct(A, node: s, nodeProduct(A, node: s, v), scale: 1 / Scalar(samplesPerNode))
    }

    /// All local gradients in one pass over `A` (`LeastSquares.gradient` with scale `1/N`).
    @inlinable
    public func gradients(at X: Tensor<Scalar>) -> Tensor<Scalar> {
        LeastSquares.gradient(a: A, x: X, b: b, scale: 1 / Scalar(samplesPerNode))
    }

    /// All local Hessian-vector products `A_iᵀA_i v_i / N` in one pass over `A`.
    @inlinable
    public func hessianVectorProducts(at X: Tensor<Scalar>, directions V: Tensor<Scalar>) -> Tensor<Scalar> {
        LeastSquares.gradient(a: A, x: V, b: .zeros([nodes, samplesPerNode]), scale: 1 / Scalar(samplesPerNode))
    }

    /// `‖Ax − b‖²/(2nN)` with the stacked `A [nN, d]`.
    @inlinable
    public func smoothValue(at x: Tensor<Scalar>) -> Scalar {
        let rows = nodes * samplesPerNode
        let r = Tensor.matvec(A.reshaped([rows, dimension]), x) - b.reshaped([rows])
        return r.squaredNorm() / (2 * Scalar(rows))
    }

    /// `Aᵀ(Ax − b)/(nN)` with the stacked `A [nN, d]`.
    @inlinable
    public func smoothGradient(at x: Tensor<Scalar>) -> Tensor<Scalar> {
        let rows = nodes * samplesPerNode
        let stacked = A.reshaped([rows, dimension])
        let r = Tensor.matvec(stacked, x) - b.reshaped([rows])
        return Tensor.matvec(stacked, r, transpose: true) * (1 / Scalar(rows))
    }
}
