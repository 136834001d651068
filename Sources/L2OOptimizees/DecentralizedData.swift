import L2OCore

/// Checks the per-node data `A [n, N, d]`, `b [n, N]` shared by LASSO and logistic regression.
func validateNodeData<S: TensorScalar>(_ A: Tensor<S>, _ b: Tensor<S>, lambda: S, problem: String) throws {
    guard A.rank == 3, A.shape.allSatisfy({ $0 >= 1 }) else {
        throw OptimizeeError.shapeMismatch(what: "\(problem) A", expected: "[n, N, d] with every extent ≥ 1", found: A.shape)
    }
    guard b.shape == [A.shape[0], A.shape[1]] else {
        throw OptimizeeError.shapeMismatch(what: "\(problem) b", expected: "\([A.shape[0], A.shape[1]]) (n, N of A)", found: b.shape)
    }
    guard lambda.isFinite, lambda >= 0 else {
        throw OptimizeeError.invalidArgument(what: "\(problem) λ", detail: "\(lambda) must be finite and ≥ 0")
    }
    let bad = A.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } + b.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    guard bad == 0 else { throw OptimizeeError.nonFiniteValues(what: "\(problem) data", count: bad) }
}

/// `y = A_i v` for node `i` of `A [n, N, d]` (one gemv on the node's block).
@inlinable
func nodeProduct<S: TensorScalar>(_ A: Tensor<S>, node i: Int, _ v: Tensor<S>) -> [S] {
    let N = A.shape[1], d = A.shape[2]
    var y = [S](repeating: 0, count: N)
    A.scalars.withUnsafeBufferPointer { ap in
        v.scalars.withUnsafeBufferPointer { vp in
            y.withUnsafeMutableBufferPointer { yp in
                S.gemv(trans: false, m: N, n: d, alpha: 1, a: ap.baseAddress! + i * N * d, lda: d,
                       x: vp.baseAddress!, incx: 1, beta: 0, y: yp.baseAddress!, incy: 1)
            }
        }
    }
    return y
}

/// `g = s·A_iᵀ r` for node `i` of `A [n, N, d]`.
@inlinable
func nodeTransposedProduct<S: TensorScalar>(_ A: Tensor<S>, node i: Int, _ r: [S], scale: S) -> Tensor<S> {
    let N = A.shape[1], d = A.shape[2]
    var g = Tensor<S>.zeros([d])
    A.scalars.withUnsafeBufferPointer { ap in
        r.withUnsafeBufferPointer { rp in
            g.scalars.withUnsafeMutableBufferPointer { gp in
                S.gemv(trans: true, m: N, n: d, alpha: scale, a: ap.baseAddress! + i * N * d, lda: d,
                       x: rp.baseAddress!, incx: 1, beta: 0, y: gp.baseAddress!, incy: 1)
            }
        }
    }
    return g
}
