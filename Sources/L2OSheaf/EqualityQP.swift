import L2OCore

/// Solves `M_k x_k = r_k` for a batch of small square systems, `M [n, m, m]`, `r [n, m]` → `x [n, m]`,
/// by Gaussian elimination with partial pivoting, differentiable in `M` and `r`:
/// `∂r = M⁻ᵀ g`, `∂M = −(M⁻ᵀ g) xᵀ`. Throws when a system is singular to working precision.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func batchedSolve<S: TensorScalar>(_ matrices: Variable<S>, _ rhs: Variable<S>) throws -> Variable<S> {
    let n = matrices.shape.first ?? 0
    guard matrices.shape.count == 3, matrices.shape[1] == matrices.shape[2], rhs.shape == [n, matrices.shape[1]] else {
        throw SheafError.shapeMismatch(operation: "batchedSolve", expected: "M [n, m, m] and r [n, m]", actual: matrices.shape + rhs.shape)
    }
    let m = matrices.shape[1]
    let mv = matrices.value, rv = rhs.value
    let x = try solveAll(mv, rv, transposed: false, n: n, m: m)
    let need = [matrices.isRecorded, rhs.isRecorded]
    return Variable.record(x, inputs: [matrices, rhs]) { g in
        // Singular systems were refused in the forward pass; the transposed ones are as regular.
        let w = (try? solveAll(mv, g, transposed: true, n: n, m: m)) ?? Tensor<S>.zeros([n, m])
        var dM: Tensor<S>? = nil
        if need[0] {
            dM = Tensor<S>(shape: [n, m, m]) { out in
                w.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { xp in
                    for k in 0..<n { for i in 0..<m { for j in 0..<m { out[(k * m + i) * m + j] = -wp[k * m + i] * xp[k * m + j] } } }
                } }
            }
        }
        return [dM, need[1] ? w : nil]
    }
}

/// `x_k = M_k⁻¹ r_k` (or `M_k⁻ᵀ r_k`) for every k, on plain tensors.
func solveAll<S: TensorScalar>(_ M: Tensor<S>, _ r: Tensor<S>, transposed: Bool, n: Int, m: Int) throws -> Tensor<S> {
    var out = [S](repeating: 0, count: n * m)
    var a = [S](repeating: 0, count: m * m), b = [S](repeating: 0, count: m)
    try M.withUnsafeBufferPointer { mp in
        try r.withUnsafeBufferPointer { rp in
            for k in 0..<n {
                for i in 0..<m { for j in 0..<m { a[i * m + j] = transposed ? mp[(k * m + j) * m + i] : mp[(k * m + i) * m + j] } }
                for i in 0..<m { b[i] = rp[k * m + i] }
                var scale: S = 0
                for v in a { scale = Swift.max(scale, Swift.abs(v)) }
                for c in 0..<m {
                    var p = c
                    for i in (c + 1)..<Swift.max(c + 1, m) where Swift.abs(a[i * m + c]) > Swift.abs(a[p * m + c]) { p = i }
                    guard Swift.abs(a[p * m + c]) > S(Double(m) * 64) * S.epsilon * scale, scale > 0 else {
                        throw SheafError.nonFinite("system \(k) of a batched solve is singular to working precision")
                    }
                    if p != c {
                        for j in 0..<m { a.swapAt(c * m + j, p * m + j) }
                        b.swapAt(c, p)
                    }
                    for i in (c + 1)..<Swift.max(c + 1, m) {
                        let f = a[i * m + c] / a[c * m + c]
                        if f == 0 { continue }
                        for j in c..<m { a[i * m + j] -= f * a[c * m + j] }
                        b[i] -= f * b[c]
                    }
                }
                for i in stride(from: m - 1, through: 0, by: -1) {
                    var s = b[i]
                    for j in (i + 1)..<Swift.max(i + 1, m) { s -= a[i * m + j] * out[k * m + j] }
                    out[k * m + i] = s / a[i * m + i]
                }
            }
        }
    }
    return Tensor(shape: [n, m], scalars: out)
}

/// Per-agent linear equality constraints `C_a x = d_a` for the x-update (`C [B, A, c, d_v]`,
/// `d [B, A, c]`, c ≤ d_v constraints of full row rank).
public struct EqualityConstraints<Scalar: TensorScalar> {
    public var matrix: Variable<Scalar>
    public var rhs: Variable<Scalar>
    public init(matrix: Variable<Scalar>, rhs: Variable<Scalar>) { self.matrix = matrix; self.rhs = rhs }

    /// The x-update of `½ xᵀdiag(D)x + qᵀx` subject to `Cx = d`, with the proximal term
    /// `(ρ/2)‖x − v‖²`: with `a = D + ρ` and `w = (ρv − q)/a`, the KKT system gives
    /// `(C diag(1/a) Cᵀ) μ = C w − d` and `x = w − diag(1/a) Cᵀ μ`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func prox(_ v: Variable<Scalar>, curvature: Variable<Scalar>, linear: Variable<Scalar>, rho: Variable<Scalar>) throws -> Variable<Scalar> {
        let B = v.shape[0], A = v.shape[1], dv = v.shape[2], c = matrix.shape[2]
        guard matrix.shape == [B, A, c, dv], rhs.shape == [B, A, c], c >= 1, c <= dv else {
            throw SheafError.shapeMismatch(operation: "EqualityConstraints", expected: "C [\(B), \(A), c ≤ \(dv), \(dv)], d [\(B), \(A), c]",
                                           actual: matrix.shape + rhs.shape)
        }
        let a = curvature + rho
        let inverse = 1 / a                                   // [B, A, d_v]
        let w = (rho * v - linear) * inverse
        let C = matrix.reshaped([B * A, c, dv])
        let scaledCT = (C * inverse.reshaped([B * A, 1, dv])).transposed3()  // [B·A, d_v, c] = diag(1/a) Cᵀ
        let K = matmul(C, scaledCT)                            // [B·A, c, c]
        let r = matmul(C, w.reshaped([B * A, dv, 1])).reshaped([B * A, c]) - rhs.reshaped([B * A, c])
        let mu = try batchedSolve(K, r)                         // [B·A, c]
        let correction = matmul(scaledCT, mu.reshaped([B * A, c, 1])).reshaped([B, A, dv])
        return w - correction
    }
}

extension Variable {
    /// `[n, p, q]` → `[n, q, p]`.
    func transposed3() -> Variable {
        let n = shape[0], p = shape[1], q = shape[2]
        let idx = (0..<(n * q * p)).map { t -> Int in
            let k = t / (q * p), j = (t / p) % q, i = t % p
            return (k * p + i) * q + j
        }
        return reshaped([n * p * q, 1]).gatherRows(idx).reshaped([n, q, p])
    }
}
