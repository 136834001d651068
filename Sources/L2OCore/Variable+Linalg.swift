/// Differentiable matrix product (2-D or batched); see `Tensor.matmul`.
@inlinable
public func matmul<S>(_ a: Variable<S>, _ b: Variable<S>, transposeA: Bool = false, transposeB: Bool = false) -> Variable<S> {
    let av = a.value, bv = b.value
    let out = Tensor.matmul(av, bv, transposeA: transposeA, transposeB: transposeB)
    return Variable.binary(a, b, out) { g, na, nb in
        // C = op(A) op(B):  dA = g op(B)ᵀ (or its transpose), dB = op(A)ᵀ g (or its transpose).
        var ga: Tensor<S>?, gb: Tensor<S>?
        if na {
            if !transposeA {
                ga = Tensor.matmul(g, bv, transposeA: false, transposeB: !transposeB)
            } else if av.rank == 3 && bv.rank == 2 {
                // dAᵢ = op(B) gᵢᵀ for each batch entry against the shared B.
                let parts = (0..<av.shape[0]).map { i in
                    Tensor.matmul(bv, g.rows(i..<(i + 1)).reshaped(Array(g.shape.dropFirst())), transposeA: transposeB, transposeB: true)
                }
                ga = Tensor.stack(parts)
            } else {
                ga = Tensor.matmul(bv, g, transposeA: transposeB, transposeB: true)
            }
        }
        if nb {
            if av.rank == 3 && bv.rank == 2 {
                // Shared right operand: sum the per-batch contributions.
                let flatA = transposeA ? nil : av.reshaped([-1, av.shape[2]])
                let flatG = g.reshaped([-1, g.shape[2]])
                if let flatA {
                    gb = transposeB ? Tensor.matmul(flatG, flatA, transposeA: true) : Tensor.matmul(flatA, flatG, transposeA: true)
                } else {
                    var acc = Tensor<S>.zeros(bv.shape)
                    for i in 0..<av.shape[0] {
                        let ai = av.rows(i..<(i + 1)).reshaped(Array(av.shape.dropFirst()))
                        let gi = g.rows(i..<(i + 1)).reshaped(Array(g.shape.dropFirst()))
                        acc += transposeB ? Tensor.matmul(gi, ai, transposeA: true, transposeB: true) : Tensor.matmul(ai, gi)
                    }
                    gb = acc
                }
            } else {
                gb = transposeB ? Tensor.matmul(g, av, transposeA: true, transposeB: transposeA)
                                : Tensor.matmul(av, g, transposeA: !transposeA, transposeB: false)
            }
        }
        return (ga, gb)
    }
}

/// Differentiable matrix–vector product `op(A) x`.
@inlinable
public func matvec<S>(_ a: Variable<S>, _ x: Variable<S>, transpose: Bool = false) -> Variable<S> {
    let av = a.value, xv = x.value
    return Variable.binary(a, x, Tensor.matvec(av, xv, transpose: transpose)) { g, na, nx in
        // y = A x: dA = g xᵀ, dx = Aᵀ g.  y = Aᵀ x: dA = x gᵀ, dx = A g.
        let ga: Tensor<S>? = na ? (transpose ? Tensor.matmul(xv.reshaped([-1, 1]), g.reshaped([1, -1]))
                                             : Tensor.matmul(g.reshaped([-1, 1]), xv.reshaped([1, -1]))) : nil
        let gx: Tensor<S>? = nx ? Tensor.matvec(av, g, transpose: !transpose) : nil
        return (ga, gx)
    }
}
