import L2OCore

/// Batch normalisation (Ioffe & Szegedy, 2015) over channel axis 1, as one fused tape node.
///
/// For `x` of shape `[B, C]` or `[B, C, d₁, …]`, each channel `c` is normalised over the
/// `m = B·d₁·…` elements that share it:
/// ```
/// μ_c = (1/m) Σ x,   σ²_c = (1/m) Σ (x − μ_c)²          (training: batch statistics)
/// x̂ = (x − μ_c) / √(σ²_c + ε),   y = γ_c x̂ + β_c
/// ```
/// In evaluation mode `μ, σ²` are the given running statistics (constants).
/// Backward (training): `∂x = (γ/(m√(σ²+ε))) (m ∂y − Σ∂y − x̂ Σ(∂y x̂))`,
/// `∂γ = Σ ∂y x̂`, `∂β = Σ ∂y`; in evaluation `∂x = γ ∂y / √(σ²+ε)`.
///
/// Returns the output and, in training, the batch mean and the *biased* batch variance per channel.
@inlinable
public func batchNorm<S>(
    _ x: Variable<S>, gamma: Variable<S>, beta: Variable<S>, epsilon: S = 1e-5,
    runningStatistics: (mean: Tensor<S>, variance: Tensor<S>)? = nil
) throws -> (output: Variable<S>, mean: Tensor<S>, variance: Tensor<S>) {
    let xv = x.value
    guard xv.rank >= 2 else {
        throw NNError.shapeMismatch(operation: "batchNorm input", expected: "[B, C, …] (rank ≥ 2)", actual: xv.shape)
    }
    let B = xv.shape[0], C = xv.shape[1], inner = xv.shape.dropFirst(2).reduce(1, *)
    try requireShape(gamma.shape, [C], "batchNorm gamma (input \(xv.shape))")
    try requireShape(beta.shape, [C], "batchNorm beta (input \(xv.shape))")
    if let r = runningStatistics {
        try requireShape(r.mean.shape, [C], "batchNorm running mean (input \(xv.shape))")
        try requireShape(r.variance.shape, [C], "batchNorm running variance (input \(xv.shape))")
    }
    let m = B * inner
    try requireArgument(m > 0, "batchNorm", "input \(xv.shape) has no elements per channel")
    let training = runningStatistics == nil
    var mean = [S](repeating: 0, count: C), variance = [S](repeating: 0, count: C)
    let gv = gamma.value.scalars, bv = beta.value.scalars
    xv.scalars.withUnsafeBufferPointer { xp in
        if let r = runningStatistics {
            mean = r.mean.scalars
            variance = r.variance.scalars
        } else {
            for b in 0..<B {
                for c in 0..<C {
                    let base = (b * C + c) * inner
                    for q in 0..<inner { mean[c] += xp[base + q] }
                }
            }
            for c in 0..<C { mean[c] /= S(m) }
            for b in 0..<B {
                for c in 0..<C {
                    let base = (b * C + c) * inner
                    for q in 0..<inner { let d = xp[base + q] - mean[c]; variance[c] += d * d }
                }
            }
            for c in 0..<C { variance[c] /= S(m) }
        }
    }
    let invStd = variance.map { 1 / S.sqrt($0 + epsilon) }
    var xhat = [S](repeating: 0, count: xv.count)
    var y = [S](repeating: 0, count: xv.count)
    xv.scalars.withUnsafeBufferPointer { xp in
        for b in 0..<B {
            for c in 0..<C {
                let base = (b * C + c) * inner
                for q in 0..<inner {
                    let h = (xp[base + q] - mean[c]) * invStd[c]
                    xhat[base + q] = h
                    y[base + q] = gv[c] * h + bv[c]
                }
            }
        }
    }
    let shape = xv.shape
    let out = Variable.record(Tensor(shape: shape, scalars: y), inputs: [x, gamma, beta]) { g in
        var sumG = [S](repeating: 0, count: C), sumGX = [S](repeating: 0, count: C)
        g.scalars.withUnsafeBufferPointer { gp in
            for b in 0..<B {
                for c in 0..<C {
                    let base = (b * C + c) * inner
                    for q in 0..<inner { sumG[c] += gp[base + q]; sumGX[c] += gp[base + q] * xhat[base + q] }
                }
            }
        }
        var gx = [S](repeating: 0, count: g.count)
        g.scalars.withUnsafeBufferPointer { gp in
            for b in 0..<B {
                for c in 0..<C {
                    let base = (b * C + c) * inner
                    if training {
                        let k = gv[c] * invStd[c] / S(m)
                        for q in 0..<inner {
                            gx[base + q] = k * (S(m) * gp[base + q] - sumG[c] - xhat[base + q] * sumGX[c])
                        }
                    } else {
                        let k = gv[c] * invStd[c]
                        for q in 0..<inner { gx[base + q] = k * gp[base + q] }
                    }
                }
            }
        }
        return [Tensor(shape: shape, scalars: gx), Tensor(shape: [C], scalars: sumGX), Tensor(shape: [C], scalars: sumG)]
    }
    return (out, Tensor(shape: [C], scalars: mean), Tensor(shape: [C], scalars: variance))
}
