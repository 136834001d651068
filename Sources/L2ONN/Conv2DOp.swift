import L2OCore

/// 2-D convolution (cross-correlation) of an NCHW batch, as one fused tape node:
/// ```
/// y[n, o, oy, ox] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x[n, c, oy·s − p + i, ox·s − p + j]
/// ```
/// with zero padding `p` and stride `s`. Shapes: `x [N, C, H, W]`, `weight [O, C, kH, kW]`,
/// `bias [O]`, `y [N, O, ⌊(H+2p−kH)/s⌋+1, ⌊(W+2p−kW)/s⌋+1]`.
///
/// Forward: per image, im2col gives `X_n [C·kH·kW, OH·OW]` and one gemm `Y_n = W X_n`.
/// Backward (hand-written): `∂W = Σ_n G_n X_nᵀ`, `∂b = Σ_{n,pixels} G`, `∂x_n = col2im(Wᵀ G_n)`.
/// Throws `shapeMismatch` naming both shapes when `x` and `weight` disagree, and
/// `invalidArgument` when the padded image is smaller than the kernel.
@inlinable
public func conv2d<S>(
    _ x: Variable<S>, weight: Variable<S>, bias: Variable<S>? = nil, stride: Int = 1, padding: Int = 0
) throws -> Variable<S> {
    let wv = weight.value, xv = x.value
    try requireShape(wv.shape, [nil, nil, nil, nil], "conv2d weight")
    let outC = wv.shape[0], inC = wv.shape[1], kh = wv.shape[2], kw = wv.shape[3]
    try requireShape(xv.shape, [nil, inC, nil, nil], "conv2d input (weight \(wv.shape))")
    if let bias { try requireShape(bias.shape, [outC], "conv2d bias (weight \(wv.shape))") }
    try requireArgument(stride > 0 && padding >= 0, "conv2d", "stride must be positive and padding non-negative, got stride \(stride), padding \(padding)")
    let n = xv.shape[0], h = xv.shape[2], w = xv.shape[3]
    try requireArgument(h + 2 * padding >= kh && w + 2 * padding >= kw, "conv2d",
                        "padded input \(h + 2 * padding)×\(w + 2 * padding) is smaller than the kernel \(kh)×\(kw)")
    let geo = ConvGeometry(channels: inC, height: h, width: w, kernelH: kh, kernelW: kw, stride: stride, padding: padding)
    let P = geo.patchSize, L = geo.outputPixels, imageSize = geo.imageSize

    var cols = [S](repeating: 0, count: n * P * L)
    var out = [S](repeating: 0, count: n * outC * L)
    xv.scalars.withUnsafeBufferPointer { xp in
        wv.scalars.withUnsafeBufferPointer { wp in
            cols.withUnsafeMutableBufferPointer { cp in
                out.withUnsafeMutableBufferPointer { op in
                    for b in 0..<n {
                        let cb = cp.baseAddress! + b * P * L
                        geo.im2col(xp.baseAddress! + b * imageSize, cb)
                        S.gemm(transA: false, transB: false, m: outC, n: L, k: P, alpha: 1,
                               a: wp.baseAddress!, lda: P, b: cb, ldb: L, beta: 0,
                               c: op.baseAddress! + b * outC * L, ldc: L)
                    }
                    if let bv = bias?.value.scalars {
                        for b in 0..<n {
                            for o in 0..<outC {
                                let base = (b * outC + o) * L
                                for q in 0..<L { op[base + q] += bv[o] }
                            }
                        }
                    }
                }
            }
        }
    }
    let y = Tensor(shape: [n, outC, geo.outH, geo.outW], scalars: out)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    let need = inputs.map(\.isRecorded)
    let savedCols: [S]? = need[1] ? cols : nil
    // Flags, not the input Variables, in the pullback: a captured Variable would keep its tape alive.
    let hasBias = bias != nil
    return Variable.record(y, inputs: inputs) { g in
        var gx: Tensor<S>?, gw: Tensor<S>?, gb: Tensor<S>?
        g.scalars.withUnsafeBufferPointer { gp in
            if need[0] {
                var gxs = [S](repeating: 0, count: xv.count)
                var gcols = [S](repeating: 0, count: P * L)
                wv.scalars.withUnsafeBufferPointer { wp in
                    gcols.withUnsafeMutableBufferPointer { gc in
                        gxs.withUnsafeMutableBufferPointer { gxp in
                            for b in 0..<n {
                                // Wᵀ G_n : [P, O]·[O, L]
                                S.gemm(transA: true, transB: false, m: P, n: L, k: outC, alpha: 1,
                                       a: wp.baseAddress!, lda: P, b: gp.baseAddress! + b * outC * L, ldb: L,
                                       beta: 0, c: gc.baseAddress!, ldc: L)
                                geo.col2imAdd(UnsafePointer(gc.baseAddress!), gxp.baseAddress! + b * imageSize)
                            }
                        }
                    }
                }
                gx = Tensor(shape: xv.shape, scalars: gxs)
            }
            if need[1], let savedCols {
                var gws = [S](repeating: 0, count: wv.count)
                savedCols.withUnsafeBufferPointer { cp in
                    gws.withUnsafeMutableBufferPointer { gwp in
                        for b in 0..<n {
                            // G_n X_nᵀ : [O, L]·[L, P]
                            S.gemm(transA: false, transB: true, m: outC, n: P, k: L, alpha: 1,
                                   a: gp.baseAddress! + b * outC * L, lda: L, b: cp.baseAddress! + b * P * L, ldb: L,
                                   beta: 1, c: gwp.baseAddress!, ldc: P)
                        }
                    }
                }
                gw = Tensor(shape: wv.shape, scalars: gws)
            }
            if hasBias && need[2] {
                var gbs = [S](repeating: 0, count: outC)
                for b in 0..<n {
                    for o in 0..<outC {
                        let base = (b * outC + o) * L
                        var s: S = 0
                        for q in 0..<L { s += gp[base + q] }
                        gbs[o] += s
                    }
                }
                gb = Tensor(shape: [outC], scalars: gbs)
            }
        }
        return hasBias ? [gx, gw, gb] : [gx, gw]
    }
}
