/// One LSTM cell step, fused: all four gates are computed in one pass after two gemms.
///
/// Gate layout along the `4H` axis is `[i, f, g, o]`:
/// ```
/// z  = x W + h U + b
/// i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o)
/// c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
/// ```
/// Shapes: `x [m, nin]`, `h, c [m, H]`, `W [nin, 4H]`, `U [H, 4H]`, `b [4H]`.
/// The backward pass is one fused loop producing `∂z`, followed by gemms for `x, h, W, U`.
/// The two outputs are two tape nodes: `h'`'s pullback folds its gradient into `c'`'s and hands the
/// rest over, so `c'`'s pullback runs the whole fused backward once.
@inlinable
public func lstmCell<S>(
    x: Variable<S>, h: Variable<S>, c: Variable<S>, w: Variable<S>, u: Variable<S>, b: Variable<S>
) -> (h: Variable<S>, c: Variable<S>) {
    let xv = x.value, hv = h.value, cv = c.value, wv = w.value, uv = u.value, bv = b.value
    precondition(xv.rank == 2 && hv.rank == 2 && cv.shape == hv.shape, "lstmCell: x \(xv.shape), h \(hv.shape), c \(cv.shape)")
    let m = xv.shape[0], nin = xv.shape[1], H = hv.shape[1]
    precondition(hv.shape[0] == m, "lstmCell: x has \(m) rows but h has shape \(hv.shape)")
    precondition(wv.shape == [nin, 4 * H], "lstmCell: W must be \([nin, 4 * H]), got \(wv.shape)")
    precondition(uv.shape == [H, 4 * H], "lstmCell: U must be \([H, 4 * H]), got \(uv.shape)")
    precondition(bv.shape == [4 * H], "lstmCell: b must be \([4 * H]), got \(bv.shape)")

    // z = x W + h U, then gates in place.
    var gates = Tensor<S>.zeros([m, 4 * H])
    var cNew = Tensor<S>.zeros([m, H])
    var hNew = Tensor<S>.zeros([m, H])
    var tc = Tensor<S>.zeros([m, H])
    gates.scalars.withUnsafeMutableBufferPointer { zp in
        if m > 0 {
            xv.scalars.withUnsafeBufferPointer { xp in
                wv.scalars.withUnsafeBufferPointer { wp in
                    if nin > 0 {
                        S.gemm(transA: false, transB: false, m: m, n: 4 * H, k: nin, alpha: 1, a: xp.baseAddress!, lda: nin,
                               b: wp.baseAddress!, ldb: 4 * H, beta: 0, c: zp.baseAddress!, ldc: 4 * H)
                    }
                }
            }
            hv.scalars.withUnsafeBufferPointer { hp in
                uv.scalars.withUnsafeBufferPointer { up in
                    S.gemm(transA: false, transB: false, m: m, n: 4 * H, k: H, alpha: 1, a: hp.baseAddress!, lda: H,
                           b: up.baseAddress!, ldb: 4 * H, beta: 1, c: zp.baseAddress!, ldc: 4 * H)
                }
            }
        }
        let z = zp.baseAddress!
        cNew.withUnsafeMutableBufferPointer { cnp in
            hNew.withUnsafeMutableBufferPointer { hnp in
                tc.withUnsafeMutableBufferPointer { tcp in
                    cv.scalars.withUnsafeBufferPointer { cp in
                        bv.scalars.withUnsafeBufferPointer { bp in
                            let cn = cnp.baseAddress!, hn = hnp.baseAddress!, t = tcp.baseAddress!
                            let cIn = cp.baseAddress!, bias = bp.baseAddress!
                            Parallel.forEachChunk(m, minimumPerChunk: 2048) { rows in
                                LSTMActivations<S>.forward(rows: rows, H: H, z: z, bias: bias, c: cIn, cNew: cn, hNew: hn, tanhC: t)
                            }
                        }
                    }
                }
            }
        }
    }

    let tape = Variable.commonTape([x, h, c, w, u, b])
    guard let tape, tape.isRecording else {
        return (Variable(hNew, tape: x.tape ?? h.tape, id: -1), Variable(cNew, tape: x.tape ?? h.tape, id: -1))
    }
    let ids = (x: x.id, h: h.id, c: c.id, w: w.id, u: u.id, b: b.id)
    let handoff = LSTMHandoff<S>()
    let cid = tape.record(shape: [m, H]) { dcIn, t in
        var dz = Tensor<S>.zeros([m, 4 * H])
        var dcPrev = Tensor<S>.zeros([m, H])
        let dh = handoff.dh
        handoff.dh = nil
        dz.withUnsafeMutableBufferPointer { dzp in
            dcPrev.withUnsafeMutableBufferPointer { dcp in
                gates.scalars.withUnsafeBufferPointer { gp in
                    tc.scalars.withUnsafeBufferPointer { tcp in
                        cv.scalars.withUnsafeBufferPointer { cp in
                            dcIn.scalars.withUnsafeBufferPointer { dcin in
                                let dzq = dzp.baseAddress!, dcq = dcp.baseAddress!, gq = gp.baseAddress!
                                let tq = tcp.baseAddress!, cq = cp.baseAddress!, dci = dcin.baseAddress!
                                if let dh {
                                    dh.scalars.withUnsafeBufferPointer { dhp in
                                        let dhq = dhp.baseAddress!
                                        Parallel.forEachChunk(m, minimumPerChunk: 2048) { rows in
                                            LSTMActivations<S>.backward(rows: rows, H: H, gates: gq, c: cq, tanhC: tq, dcTotal: dci, dh: dhq, dz: dzq, dcPrev: dcq)
                                        }
                                    }
                                } else {
                                    Parallel.forEachChunk(m, minimumPerChunk: 2048) { rows in
                                        LSTMActivations<S>.backward(rows: rows, H: H, gates: gq, c: cq, tanhC: tq, dcTotal: dci, dh: nil, dz: dzq, dcPrev: dcq)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if ids.c >= 0 { t.accumulate(ids.c, dcPrev) }
        if ids.x >= 0 { t.accumulate(ids.x, Tensor.matmul(dz, wv, transposeB: true)) }
        if ids.h >= 0 { t.accumulate(ids.h, Tensor.matmul(dz, uv, transposeB: true)) }
        if ids.w >= 0 { t.accumulate(ids.w, Tensor.matmul(xv, dz, transposeA: true)) }
        if ids.u >= 0 { t.accumulate(ids.u, Tensor.matmul(hv, dz, transposeA: true)) }
        if ids.b >= 0 { t.accumulate(ids.b, dz.sum(axis: 0)) }
    }
    // h' = o ⊙ tanh(c'): its pullback adds ∂h'·o·(1 − tanh²c') to c' and hands ∂h' over for ∂o.
    let hid = tape.record(shape: [m, H]) { dh, t in
        var dc = Tensor<S>.zeros([m, H])
        dc.withUnsafeMutableBufferPointer { dcp in
            gates.scalars.withUnsafeBufferPointer { gp in
                tc.scalars.withUnsafeBufferPointer { tcp in
                    dh.scalars.withUnsafeBufferPointer { dhp in
                        for r in 0..<m {
                            for j in 0..<H {
                                let o = gp[r * 4 * H + 3 * H + j], th = tcp[r * H + j]
                                dcp[r * H + j] = dhp[r * H + j] * o * (1 - th * th)
                            }
                        }
                    }
                }
            }
        }
        handoff.dh = dh
        t.accumulate(cid, dc)
    }
    return (Variable(hNew, tape: tape, id: hid), Variable(cNew, tape: tape, id: cid))
}

/// The elementwise parts of the fused LSTM cell.
public enum LSTMActivations<S: TensorScalar> {
    /// Adds the bias, applies the gate nonlinearities in place and writes `c'`, `h'`, `tanh(c')`.
    @inlinable
    public static func forward(
        rows: Range<Int>, H: Int, z: UnsafeMutablePointer<S>, bias: UnsafePointer<S>, c: UnsafePointer<S>,
        cNew: UnsafeMutablePointer<S>, hNew: UnsafeMutablePointer<S>, tanhC: UnsafeMutablePointer<S>
    ) {
        let G = 4 * H
        for r in rows {
            let zr = z + r * G
            for j in 0..<G {
                let v = zr[j] + bias[j]
                zr[j] = (j >= 2 * H && j < 3 * H) ? S.tanh(v) : sigmoidScalar(v)
            }
            for j in 0..<H {
                let i = zr[j], f = zr[H + j], g = zr[2 * H + j], o = zr[3 * H + j]
                let cn = f * c[r * H + j] + i * g
                let th = S.tanh(cn)
                cNew[r * H + j] = cn
                tanhC[r * H + j] = th
                hNew[r * H + j] = o * th
            }
        }
    }

    /// From the total `∂c'` (already including the path through `h'`) and `∂h'`, writes `∂z` and `∂c`.
    @inlinable
    public static func backward(
        rows: Range<Int>, H: Int, gates: UnsafePointer<S>, c: UnsafePointer<S>, tanhC: UnsafePointer<S>,
        dcTotal: UnsafePointer<S>, dh: UnsafePointer<S>?, dz: UnsafeMutablePointer<S>, dcPrev: UnsafeMutablePointer<S>
    ) {
        let G = 4 * H
        for r in rows {
            let gr = gates + r * G, dzr = dz + r * G
            for j in 0..<H {
                let k = r * H + j
                let i = gr[j], f = gr[H + j], g = gr[2 * H + j], o = gr[3 * H + j]
                let dct = dcTotal[k]
                let dho: S = dh.map { $0[k] * tanhC[k] } ?? 0
                dzr[j] = dct * g * i * (1 - i)
                dzr[H + j] = dct * c[k] * f * (1 - f)
                dzr[2 * H + j] = dct * i * (1 - g * g)
                dzr[3 * H + j] = dho * o * (1 - o)
                dcPrev[k] = dct * f
            }
        }
    }
}

/// Carries `∂h'` from the `h'` node to the `c'` node of one fused LSTM step.
@usableFromInline final class LSTMHandoff<S: TensorScalar> {
    @usableFromInline var dh: Tensor<S>?
    @usableFromInline init() {}
}
