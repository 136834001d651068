import CL2OKernels
import Foundation

/// Inference (no tape) of a small network applied to every row independently:
/// ```
/// [i, f, g, o] = [σ, σ, tanh, σ]([x | h] [W ; U] + b),  c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
/// out = act(relu(h' W₁ + b₁) W₂ + b₂)
/// ```
/// — the same arithmetic as `lstmCell` followed by two `linear`s, but computed block by block
/// (`blockRows` rows at a time) so that the gates and hidden activations of a block stay in cache
/// instead of streaming `[m, 4H]` and `[m, H₁]` tensors through memory between passes.
/// Blocks are split across cores.
public enum CoordinatewiseKernel {
    /// The output activation (also `CoordinatewiseNet.Output`; the raw values are stored in checkpoints).
    public enum Activation: String, Sendable, Codable { case relu, exp, identity }

    /// Rows per block: 128 rows of gates (4H = 80) are 40 KB in Float.
    public static let blockRows = 128

    /// `x [m, nin]`, `h, c [m, H]`, `w [nin, 4H]`, `u [H, 4H]`, `b [4H]`, `w1 [H, H1]`, `b1 [H1]`,
    /// `w2 [H1, O]`, `b2 [O]` → `(out [m, O], h' [m, H], c' [m, H])`.
    ///
    /// The arithmetic runs in the weights' scalar type `N`; inputs and results are in `S`
    /// (converted on the way into and out of each block), so a Double run can evaluate its
    /// networks in Float.
    @inlinable
    public static func forward<S: TensorScalar, N: TensorScalar>(
        x: Tensor<S>, h: Tensor<S>, c: Tensor<S>, w: Tensor<N>, u: Tensor<N>, b: Tensor<N>,
        w1: Tensor<N>, b1: Tensor<N>, w2: Tensor<N>, b2: Tensor<N>, activation: Activation
    ) -> (out: Tensor<S>, h: Tensor<S>, c: Tensor<S>) {
        let m = x.shape[0], nin = x.shape[1], H = h.shape[1], G = 4 * H
        let H1 = w1.shape[1], O = w2.shape[1]
        precondition(h.shape == [m, H] && c.shape == [m, H], "CoordinatewiseKernel: h \(h.shape), c \(c.shape) for \(m) rows")
        precondition(w.shape == [nin, G] && u.shape == [H, G] && b.shape == [G], "CoordinatewiseKernel: LSTM weights \(w.shape), \(u.shape), \(b.shape)")
        precondition(w1.shape == [H, H1] && b1.shape == [H1] && w2.shape[0] == H1 && b2.shape == [O], "CoordinatewiseKernel: linear weights \(w1.shape), \(w2.shape)")
        let wu = Tensor.concat([w, u], axis: 0)
        return withWeights(wu.scalars, b.scalars, w1.scalars, b1.scalars, w2.scalars, b2.scalars) { weights in
            rowMajorForward(x: x, h: h, c: c, hidden1: H1, outputs: O, weights: weights, activation: activation)
        }
    }

    /// The same on inputs and results in `S` with prepared Float weights (checked against `x`, `h`).
    @inlinable
    public static func forward<S: TensorScalar>(x: Tensor<S>, h: Tensor<S>, c: Tensor<S>, weights fw: FloatWeights,
                                                activation: Activation) -> (out: Tensor<S>, h: Tensor<S>, c: Tensor<S>) {
        let m = x.shape[0]
        precondition(x.shape == [m, fw.inputs] && h.shape == [m, fw.hidden] && c.shape == h.shape,
                     "CoordinatewiseKernel: x \(x.shape), h \(h.shape), c \(c.shape) for weights of \(fw.inputs) inputs, hidden \(fw.hidden)")
        return withWeights(fw.wu, fw.b, fw.w1, fw.b1, fw.w2, fw.b2) { weights in
            rowMajorForward(x: x, h: h, c: c, hidden1: fw.hidden1, outputs: fw.outputs, weights: weights, activation: activation)
        }
    }

    /// The body of both `forward(x:h:c:…)`: shapes already checked, `[W ; U]` concatenated.
    @inlinable
    static func rowMajorForward<S: TensorScalar, N: TensorScalar>(
        x: Tensor<S>, h: Tensor<S>, c: Tensor<S>, hidden1 H1: Int, outputs O: Int, weights: BlockWeights<N>, activation: Activation
    ) -> (out: Tensor<S>, h: Tensor<S>, c: Tensor<S>) {
        let m = x.shape[0], nin = x.shape[1], H = h.shape[1], G = 4 * H, K = nin + H
        Runtime.configure()  // single-threaded BLAS: the blocks below already run on all cores
        var out = Tensor<S>(shape: [m, O]) { _ in }
        var hNew = Tensor<S>(shape: [m, H]) { _ in }
        var cNew = Tensor<S>(shape: [m, H]) { _ in }
        guard m > 0 else { return (out, hNew, cNew) }
        out.withUnsafeMutableBufferPointer { op in
        hNew.withUnsafeMutableBufferPointer { hnp in
        cNew.withUnsafeMutableBufferPointer { cnp in
        x.scalars.withUnsafeBufferPointer { xp in
        h.scalars.withUnsafeBufferPointer { hp in
        c.scalars.withUnsafeBufferPointer { cp in
            let X = xp.baseAddress!, Hp = hp.baseAddress!, C = cp.baseAddress!
            let Out = op.baseAddress!, Hn = hnp.baseAddress!, Cn = cnp.baseAddress!
            let R = blockRows
            Parallel.forEachChunk(m, minimumPerChunk: 4 * R) { rows in
                // Within a block everything is stored transposed (feature-major, rows contiguous),
                // so every elementwise loop runs over `rb` contiguous rows and vectorizes (full
                // blocks of 128 rows have no scalar tails).
                let xhT = UnsafeMutablePointer<N>.allocate(capacity: K * R)
                let gT = UnsafeMutablePointer<N>.allocate(capacity: G * R)
                let cT = UnsafeMutablePointer<N>.allocate(capacity: H * R)
                let hT = UnsafeMutablePointer<N>.allocate(capacity: H * R)
                let hidT = UnsafeMutablePointer<N>.allocate(capacity: H1 * R)
                let outT = UnsafeMutablePointer<N>.allocate(capacity: O * R)
                defer { xhT.deallocate(); gT.deallocate(); cT.deallocate(); hT.deallocate(); hidT.deallocate(); outT.deallocate() }
                var r0 = rows.lowerBound
                while r0 < rows.upperBound {
                    let rb = Swift.min(R, rows.upperBound - r0)
                    for r in 0..<rb {
                        let sx = X + (r0 + r) * nin, sh = Hp + (r0 + r) * H, sc = C + (r0 + r) * H
                        for k in 0..<nin { xhT[k * rb + r] = convert(sx[k]) }
                        for j in 0..<H { xhT[(nin + j) * rb + r] = convert(sh[j]); cT[j * rb + r] = convert(sc[j]) }
                    }
                    block(rb: rb, inputs: nin, hidden: H, hidden1: H1, outputs: O, xh: xhT, gates: gT, c: cT, h: hT,
                          hid: hidT, out: outT, weights: weights, activation: activation)
                    for r in 0..<rb {
                        let dh = Hn + (r0 + r) * H, dc = Cn + (r0 + r) * H
                        for j in 0..<H { dh[j] = convert(hT[j * rb + r]); dc[j] = convert(cT[j * rb + r]) }
                    }
                    for r in 0..<rb { for j in 0..<O { Out[(r0 + r) * O + j] = convert(outT[j * rb + r]) } }
                    r0 += rb
                }
            }
        }}}}}}
        return (out, hNew, cNew)
    }

    /// `B(a)` for the two scalar types, resolved when specialized (the generic
    /// `BinaryFloatingPoint` conversion otherwise costs more than the network).
    @inlinable @inline(__always)
    static func convert<A: TensorScalar, B: TensorScalar>(_ a: A) -> B {
        if A.self == B.self { return unsafeBitCast(a, to: B.self) }
        if A.self == Double.self, B.self == Float.self { return unsafeBitCast(Float(unsafeBitCast(a, to: Double.self)), to: B.self) }
        if A.self == Float.self, B.self == Double.self { return unsafeBitCast(Double(unsafeBitCast(a, to: Float.self)), to: B.self) }
        return B(a)
    }

    /// Pointers to one network's weights: `[W ; U]`, `b`, `W₁`, `b₁`, `W₂`, `b₂`.
    @usableFromInline
    struct BlockWeights<N: TensorScalar> {
        @usableFromInline let wu, b, w1, b1, w2, b2: UnsafePointer<N>
        @inlinable init(_ p: [UnsafePointer<N>]) { (wu, b, w1, b1, w2, b2) = (p[0], p[1], p[2], p[3], p[4], p[5]) }
    }

    /// Calls `body` with pointers to the six weight arrays.
    @inlinable
    static func withWeights<N: TensorScalar, R>(_ wu: [N], _ b: [N], _ w1: [N], _ b1: [N], _ w2: [N], _ b2: [N],
                                                _ body: (BlockWeights<N>) -> R) -> R {
        wu.withUnsafeBufferPointer { p0 in b.withUnsafeBufferPointer { p1 in w1.withUnsafeBufferPointer { p2 in
            b1.withUnsafeBufferPointer { p3 in w2.withUnsafeBufferPointer { p4 in b2.withUnsafeBufferPointer { p5 in
                body(BlockWeights([p0, p1, p2, p3, p4, p5].map { $0.baseAddress! }))
            }}}}}}
    }

    /// One block of `rb` rows, feature-major (`x[k·rb + r]`): `xh [K = nin + H, rb]` holds the
    /// features and the previous `h`; `c [H, rb]` is updated in place, `h [H, rb]` receives `h'`,
    /// `out [O, rb]` the activated outputs (`gates [4H, rb]` and `hid [H1, rb]` are scratch).
    @inlinable
    static func block<N: TensorScalar>(
        rb: Int, inputs nin: Int, hidden H: Int, hidden1 H1: Int, outputs O: Int,
        xh: UnsafeMutablePointer<N>, gates: UnsafeMutablePointer<N>, c: UnsafeMutablePointer<N>, h: UnsafeMutablePointer<N>,
        hid: UnsafeMutablePointer<N>, out: UnsafeMutablePointer<N>, weights: BlockWeights<N>, activation: Activation
    ) {
        let G = 4 * H, K = nin + H
        let wu = weights.wu, b = weights.b, w1 = weights.w1, b1 = weights.b1, w2 = weights.w2, b2 = weights.b2
        if N.self == Float.self {
            // Float: the whole network in one pass of the C kernel (gates, cell update, hidden
            // layer and output layer per tile of rows, in registers; AVX2 or AVX-512 where present).
            func f(_ p: UnsafePointer<N>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
            func m(_ p: UnsafeMutablePointer<N>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
            l2o_cwnet_block_f32(Int32(rb), Int32(nin), Int32(H), Int32(H1), Int32(O), f(UnsafePointer(xh)), f(wu), f(b),
                                m(c), m(h), f(w1), f(b1), f(w2), f(b2), m(out))
            switch activation {
            case .identity: break
            case .relu: for k in 0..<(O * rb) { out[k] = out[k] > 0 ? out[k] : 0 }
            case .exp: for k in 0..<(O * rb) { out[k] = N.exp(out[k]) }
            }
            return
        }
        // gatesᵀ [4H, rb] = [W ; U]ᵀ [x | h]ᵀ
        N.gemm(transA: true, transB: false, m: G, n: rb, k: K, alpha: 1, a: wu, lda: G,
               b: xh, ldb: rb, beta: 0, c: gates, ldc: rb)
        // σ on i, f, o and tanh(v) = 2σ(2v) − 1 on g, then c' and h' (the formulas of
        // `LSTMActivations.forward`).
        for j in 0..<G {
            let row = gates + j * rb, bj = b[j]
            if j >= 2 * H && j < 3 * H {
                for r in 0..<rb { row[r] = 2 / (1 + N.kernelExp(-2 * (row[r] + bj))) + -1 }
            } else {
                for r in 0..<rb { row[r] = 1 / (1 + N.kernelExp(-1 * (row[r] + bj))) + 0 }
            }
        }
        for j in 0..<H {
            let ig = gates + j * rb, fg = gates + (H + j) * rb, gg = gates + (2 * H + j) * rb, og = gates + (3 * H + j) * rb
            let cj = c + j * rb, hj = h + j * rb
            for r in 0..<rb {
                let cv = fg[r] * cj[r] + ig[r] * gg[r]
                let th = 2 / (1 + N.kernelExp(-2 * cv)) - 1
                cj[r] = cv
                hj[r] = og[r] * th
            }
        }
        // hiddenᵀ [H1, rb] = relu(W₁ᵀ h'ᵀ + b₁)
        for j in 0..<H1 { let row = hid + j * rb, bj = b1[j]; for r in 0..<rb { row[r] = bj } }
        N.gemm(transA: true, transB: false, m: H1, n: rb, k: H, alpha: 1, a: w1, lda: H1,
               b: h, ldb: rb, beta: 1, c: hid, ldc: rb)
        for k in 0..<(H1 * rb) { hid[k] = hid[k] > 0 ? hid[k] : 0 }
        // outᵀ [O, rb] = act(W₂ᵀ hiddenᵀ + b₂)
        for j in 0..<O { let row = out + j * rb, bj = b2[j]; for r in 0..<rb { row[r] = bj } }
        N.gemm(transA: true, transB: false, m: O, n: rb, k: H1, alpha: 1, a: w2, lda: O,
               b: hid, ldb: rb, beta: 1, c: out, ldc: rb)
        switch activation {
        case .identity: break
        case .relu: for k in 0..<(O * rb) { out[k] = out[k] > 0 ? out[k] : 0 }
        case .exp: for k in 0..<(O * rb) { out[k] = N.exp(out[k]) }
        }
    }
}

extension CoordinatewiseKernel {
    /// The instruction sets the Float kernels are written for, slowest first.
    public enum InstructionSet: String, Sendable, CaseIterable, Comparable {
        case generic, avx2 = "avx2-fma", avx512
        public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
        /// Also accepts "avx2" for `.avx2`.
        public init?(name: String) {
            if name == "avx2" { self = .avx2 } else if let v = Self(rawValue: name) { self = v } else { return nil }
        }
    }

    /// `L2O_KERNELS` names an instruction set that does not exist or that this CPU lacks.
    public struct InstructionSetError: Error, CustomStringConvertible {
        public let value: String
        public var description: String {
            "L2O_KERNELS=\(value): expected one of \(InstructionSet.allCases.map(\.rawValue).joined(separator: ", ")) (or avx2), "
                + "at most \(CoordinatewiseKernel.bestInstructionSet.rawValue) on this CPU"
        }
    }

    /// What the Float kernels run on now: the fastest the CPU supports, unless `L2O_KERNELS` or
    /// `select` chose a slower one.
    public static var instructionSet: InstructionSet { InstructionSet(rawValue: String(cString: l2o_kernels_instruction_set()))! }

    /// The fastest instruction set this CPU supports for the Float kernels.
    public static var bestInstructionSet: InstructionSet { InstructionSet(rawValue: String(cString: l2o_kernels_best_instruction_set()))! }

    /// The instruction sets this CPU can run the Float kernels on.
    public static var availableInstructionSets: [InstructionSet] { InstructionSet.allCases.filter { $0 <= bestInstructionSet } }

    /// Runs the Float kernels on `set` from now on (not while kernels run).
    public static func select(_ set: InstructionSet) throws {
        guard l2o_kernels_select(set.rawValue) == 0 else { throw InstructionSetError(value: set.rawValue) }
    }

    /// Checks `L2O_KERNELS` (unset or empty: the fastest instruction set), so that a typo is an
    /// error rather than silently ignored.
    public static func validateEnvironment() throws {
        guard let value = ProcessInfo.processInfo.environment["L2O_KERNELS"], !value.isEmpty else { return }
        guard let set = InstructionSet(name: value), set <= bestInstructionSet else { throw InstructionSetError(value: value) }
    }
}
