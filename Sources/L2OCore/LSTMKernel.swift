import Dispatch

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
/// The two outputs are two tape nodes; the fused backward runs once, in whichever node is reached
/// first with everything it needs (see the comments below).
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
    let G = 4 * H, K = nin + H

    // One product z = [x | h] · [W ; U] (k = nin + H), then all gates in place.
    let xh = LSTMKernels.concatColumns(xv, hv)
    let wu = Tensor.concat([wv, uv], axis: 0)
    var gates = Tensor<S>(shape: [m, G]) { _ in }
    var cNew = Tensor<S>(shape: [m, H]) { _ in }
    var hNew = Tensor<S>(shape: [m, H]) { _ in }
    var tc = Tensor<S>(shape: [m, H]) { _ in }
    gates.scalars.withUnsafeMutableBufferPointer { zp in
        if m > 0 && G > 0 {
            xh.scalars.withUnsafeBufferPointer { ap in
                wu.scalars.withUnsafeBufferPointer { bp in
                    S.parallelGemm(transA: false, transB: false, m: m, n: G, k: K, alpha: 1, a: ap.baseAddress!, lda: K,
                                   b: bp.baseAddress!, ldb: G, beta: 0, c: zp.baseAddress!, ldc: G)
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
    /// The whole backward pass, given the gradients reaching c' and h' (either may be absent).
    let fusedBackward: (Tensor<S>?, Tensor<S>?, Tape<S>) -> Void = { dcOut, dhOut, t in
        var dz = Tensor<S>(shape: [m, G]) { _ in }
        var dcPrev = Tensor<S>(shape: [m, H]) { _ in }
        dz.withUnsafeMutableBufferPointer { dzp in
            dcPrev.withUnsafeMutableBufferPointer { dcp in
                gates.scalars.withUnsafeBufferPointer { gp in
                    tc.scalars.withUnsafeBufferPointer { tcp in
                        cv.scalars.withUnsafeBufferPointer { cp in
                            LSTMKernels.withOptionalPointer(dcOut) { dci in
                                LSTMKernels.withOptionalPointer(dhOut) { dhq in
                                    let dzq = dzp.baseAddress!, dcq = dcp.baseAddress!, gq = gp.baseAddress!
                                    let tq = tcp.baseAddress!, cq = cp.baseAddress!
                                    Parallel.forEachChunk(m, minimumPerChunk: 2048) { rows in
                                        LSTMActivations<S>.backward(rows: rows, H: H, gates: gq, c: cq, tanhC: tq, dc: dci, dh: dhq, dz: dzq, dcPrev: dcq)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if ids.c >= 0 { t.accumulate(ids.c, dcPrev) }
        if ids.x >= 0 || ids.h >= 0 {
            // [dx | dh] = dz · [W ; U]ᵀ in one product.
            let dxh = Tensor.matmul(dz, wu, transposeB: true)
            if ids.x >= 0 { t.accumulate(ids.x, dxh.columns(0..<nin)) }
            if ids.h >= 0 { t.accumulate(ids.h, dxh.columns(nin..<K)) }
        }
        if ids.w >= 0 || ids.u >= 0 {
            // [dW ; dU] = [x | h]ᵀ · dz in one product.
            let dwu = Tensor.matmul(xh, dz, transposeA: true)
            if ids.w >= 0 { t.accumulate(ids.w, dwu.rows(0..<nin)) }
            if ids.u >= 0 { t.accumulate(ids.u, dwu.rows(nin..<K)) }
        }
        if ids.b >= 0 { t.accumulate(ids.b, LSTMKernels.columnSums(dz)) }
    }
    // c' runs the backward only when h' received no gradient (otherwise h' already did it).
    let cid = tape.record(shape: [m, H]) { dc, t in fusedBackward(dc, nil, t) }
    // h' is recorded right after c', so every consumer of either has already contributed when this
    // pullback runs: it takes c''s gradient too and runs the fused backward once.
    let hid = tape.record(shape: [m, H]) { dh, t in
        let dc = t.grads[cid]
        t.grads[cid] = nil
        fusedBackward(dc, dh, t)
    }
    precondition(hid == cid + 1, "lstmCell: the h' node must directly follow the c' node")
    return (Variable(hNew, tape: tape, id: hid), Variable(cNew, tape: tape, id: cid))
}

/// Helpers of the fused LSTM cell.
public enum LSTMKernels {
    /// `[a | b]` for two matrices with the same number of rows.
    @inlinable
    public static func concatColumns<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        let m = a.shape[0], p = a.shape[1], q = b.shape[1], k = p + q
        return Tensor(shape: [m, k]) { out in
            a.scalars.withUnsafeBufferPointer { ap in
                b.scalars.withUnsafeBufferPointer { bp in
                    let o = out.baseAddress!, A = ap.baseAddress!, B = bp.baseAddress!
                    Parallel.forEachChunk(m, minimumPerChunk: 4096) { rows in
                        for r in rows {
                            for j in 0..<p { o[r * k + j] = A[r * p + j] }
                            for j in 0..<q { o[r * k + p + j] = B[r * q + j] }
                        }
                    }
                }
            }
        }
    }

    /// Column sums of a matrix, split across cores by rows.
    @inlinable
    public static func columnSums<S>(_ a: Tensor<S>) -> Tensor<S> {
        let m = a.shape[0], n = a.shape[1]
        let workers = Swift.max(1, Swift.min(Parallel.workers, m / 4096))
        var partial = [S](repeating: 0, count: workers * n)
        partial.withUnsafeMutableBufferPointer { pp in
            a.scalars.withUnsafeBufferPointer { ap in
                let P = pp.baseAddress!, A = ap.baseAddress!
                let per = (m + workers - 1) / workers
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let acc = P + w * n
                    for r in (w * per)..<Swift.min(m, (w + 1) * per) {
                        for j in 0..<n { acc[j] += A[r * n + j] }
                    }
                }
            }
        }
        var out = [S](repeating: 0, count: n)
        for w in 0..<workers { for j in 0..<n { out[j] += partial[w * n + j] } }
        return Tensor(shape: [n], scalars: out)
    }

    @inlinable
    static func withOptionalPointer<S, R>(_ t: Tensor<S>?, _ body: (UnsafePointer<S>?) -> R) -> R {
        guard let t else { return body(nil) }
        return t.scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// The elementwise parts of the fused LSTM cell, written as uniform loops the compiler
/// vectorizes; `kernelExp` is a vectorizable approximation for Float and the C library for Double.
public enum LSTMActivations<S: TensorScalar> {
    /// Adds the bias, applies the gate nonlinearities in place and writes `c'`, `h'`, `tanh(c')`.
    /// All gates in one pass: `gate = a_j / (1 + e^{k_j v}) + o_j` — σ(v) with `(k, a, o) = (−1, 1, 0)`
    /// and tanh(v) = 2σ(2v) − 1 on the g block with `(−2, 2, −1)`.
    @inlinable
    public static func forward(
        rows: Range<Int>, H: Int, z: UnsafeMutablePointer<S>, bias: UnsafePointer<S>, c: UnsafePointer<S>,
        cNew: UnsafeMutablePointer<S>, hNew: UnsafeMutablePointer<S>, tanhC: UnsafeMutablePointer<S>
    ) {
        let G = 4 * H
        var coef = [S](repeating: 0, count: 3 * G)
        for j in 0..<G {
            let isG = j >= 2 * H && j < 3 * H
            coef[j] = isG ? -2 : -1
            coef[G + j] = isG ? 2 : 1
            coef[2 * G + j] = isG ? -1 : 0
        }
        coef.withUnsafeBufferPointer { cp in
            let kq = cp.baseAddress!, aq = kq + G, oq = kq + 2 * G
            for r in rows {
                let zr = z + r * G
                for j in 0..<G {
                    let v = zr[j] + bias[j]
                    zr[j] = aq[j] / (1 + S.kernelExp(kq[j] * v)) + oq[j]
                }
                let cr = c + r * H, cn = cNew + r * H, hn = hNew + r * H, tc = tanhC + r * H
                for j in 0..<H {
                    let cv = zr[H + j] * cr[j] + zr[j] * zr[2 * H + j]
                    let th = 2 / (1 + S.kernelExp(-2 * cv)) - 1
                    cn[j] = cv
                    tc[j] = th
                    hn[j] = zr[3 * H + j] * th
                }
            }
        }
    }

    /// From the gradients reaching `c'` and `h'` (nil when none), writes `∂z` and `∂c`:
    /// `∂c'_total = ∂c' + ∂h'·o·(1 − tanh²c')`, then the four gate derivatives.
    @inlinable
    public static func backward(
        rows: Range<Int>, H: Int, gates: UnsafePointer<S>, c: UnsafePointer<S>, tanhC: UnsafePointer<S>,
        dc: UnsafePointer<S>?, dh: UnsafePointer<S>?, dz: UnsafeMutablePointer<S>, dcPrev: UnsafeMutablePointer<S>
    ) {
        let G = 4 * H
        let zero = [S](repeating: 0, count: H)
        zero.withUnsafeBufferPointer { zp in
            let z0 = zp.baseAddress!
            for r in rows {
                let gr = gates + r * G, dzr = dz + r * G
                let cr = c + r * H, tr = tanhC + r * H, dpr = dcPrev + r * H
                let dcr = dc.map { $0 + r * H } ?? z0
                let dhr = dh.map { $0 + r * H } ?? z0
                for j in 0..<H {
                    let i = gr[j], f = gr[H + j], g = gr[2 * H + j], o = gr[3 * H + j], th = tr[j]
                    let dhj = dhr[j]
                    let dct = dcr[j] + dhj * o * (1 - th * th)
                    dzr[j] = dct * g * i * (1 - i)
                    dzr[H + j] = dct * cr[j] * f * (1 - f)
                    dzr[2 * H + j] = dct * i * (1 - g * g)
                    dzr[3 * H + j] = dhj * th * o * (1 - o)
                    dpr[j] = dct * f
                }
            }
        }
    }
}

