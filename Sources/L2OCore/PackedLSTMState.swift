import CL2OKernels
import Foundation

/// The LSTM state `(h, c)` of a coordinate-wise network over `rows` rows, kept in Float in the
/// block layout of `CoordinatewiseKernel` (blocks of `blockRows` rows, each stored feature-major:
/// element `(r, j)` of the block starting at row `r0` with `rb` rows is at `r0·H + j·rb + (r − r0)`),
/// so that a tape-free run updates it in place, with no conversion or transposition per call.
///
/// A reference type: copy it (`copy()`) before updating a state another value still refers to.
public final class PackedLSTMState: @unchecked Sendable {
    public let rows: Int
    public let hidden: Int
    @usableFromInline let h: UnsafeMutablePointer<Float>
    @usableFromInline let c: UnsafeMutablePointer<Float>

    /// A state with unspecified contents.
    public init(rows: Int, hidden: Int) {
        precondition(rows >= 0 && hidden > 0, "PackedLSTMState: \(rows) rows, hidden \(hidden)")
        self.rows = rows
        self.hidden = hidden
        h = .allocate(capacity: Swift.max(1, rows * hidden))
        c = .allocate(capacity: Swift.max(1, rows * hidden))
    }

    deinit {
        h.deallocate()
        c.deallocate()
    }

    /// Packs `h, c [rows, H]` (rounded to Float).
    public convenience init<S: TensorScalar>(h: Tensor<S>, c: Tensor<S>) {
        precondition(h.shape.count == 2 && c.shape == h.shape, "PackedLSTMState: h \(h.shape), c \(c.shape)")
        self.init(rows: h.shape[0], hidden: h.shape[1])
        let H = hidden
        for (src, dst) in [(h, self.h), (c, self.c)] {
            src.scalars.withUnsafeBufferPointer { sp in
                let s = sp.baseAddress!
                Self.forEachBlock(rows) { r0, rb in
                    let block = dst + r0 * H
                    for r in 0..<rb { for j in 0..<H { block[j * rb + r] = Float(s[(r0 + r) * H + j]) } }
                }
            }
        }
    }

    /// An independent copy.
    public func copy() -> PackedLSTMState {
        let out = PackedLSTMState(rows: rows, hidden: hidden)
        out.h.initialize(from: h, count: rows * hidden)
        out.c.initialize(from: c, count: rows * hidden)
        return out
    }

    /// `(h, c)` as `[rows, H]` tensors.
    public func unpacked<S: TensorScalar>(as _: S.Type = S.self) -> (h: Tensor<S>, c: Tensor<S>) {
        let H = hidden
        func one(_ src: UnsafeMutablePointer<Float>) -> Tensor<S> {
            Tensor<S>(shape: [rows, H]) { p in
                let d = p.baseAddress!
                Self.forEachBlock(rows) { r0, rb in
                    let block = src + r0 * H
                    for r in 0..<rb { for j in 0..<H { d[(r0 + r) * H + j] = S(block[j * rb + r]) } }
                }
            }
        }
        return (one(h), one(c))
    }

    /// Calls `body(r0, rb)` for the blocks of `rows` rows, in order.
    @inlinable
    static func forEachBlock(_ rows: Int, _ body: (Int, Int) -> Void) {
        var r0 = 0
        while r0 < rows {
            let rb = Swift.min(CoordinatewiseKernel.blockRows, rows - r0)
            body(r0, rb)
            r0 += rb
        }
    }
}

extension CoordinatewiseKernel {
    /// The Float weights of one network, checked, with `[W ; U]` concatenated once, for both `forward`s.
    public struct FloatWeights: Sendable {
        public let inputs: Int
        public let hidden: Int
        public let hidden1: Int
        public let outputs: Int
        @usableFromInline let wu: [Float]  // [inputs + hidden, 4·hidden] = [W ; U]
        @usableFromInline let b: [Float]
        @usableFromInline let w1: [Float]
        @usableFromInline let b1: [Float]
        @usableFromInline let w2: [Float]
        @usableFromInline let b2: [Float]

        /// `w [nin, 4H]`, `u [H, 4H]`, `b [4H]`, `w1 [H, H1]`, `b1 [H1]`, `w2 [H1, O]`, `b2 [O]`.
        public init(w: Tensor<Float>, u: Tensor<Float>, b: Tensor<Float>, w1: Tensor<Float>, b1: Tensor<Float>,
                    w2: Tensor<Float>, b2: Tensor<Float>) {
            precondition(w.shape.count == 2 && u.shape.count == 2 && w1.shape.count == 2 && w2.shape.count == 2,
                         "CoordinatewiseKernel.FloatWeights: matrices expected")
            let nin = w.shape[0], G = w.shape[1], H = u.shape[0]
            precondition(G == 4 * H && u.shape == [H, G] && b.shape == [G], "CoordinatewiseKernel.FloatWeights: LSTM weights \(w.shape), \(u.shape), \(b.shape)")
            precondition(w1.shape[0] == H && b1.shape == [w1.shape[1]] && w2.shape[0] == w1.shape[1] && b2.shape == [w2.shape[1]],
                         "CoordinatewiseKernel.FloatWeights: linear weights \(w1.shape), \(b1.shape), \(w2.shape), \(b2.shape)")
            inputs = nin
            hidden = H
            hidden1 = w1.shape[1]
            outputs = w2.shape[1]
            wu = w.scalars + u.scalars
            self.b = b.scalars
            self.w1 = w1.scalars
            self.b1 = b1.scalars
            self.w2 = w2.scalars
            self.b2 = b2.scalars
        }
    }

    /// `x[k] ← tanh(x[k])` for `k < count`, vectorized (absolute error below 3e-7; NaN stays NaN).
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        l2o_tanh_f32(Int32(count), x)
    }

    /// The network of `forward(x:h:c:…)` over `state.rows` rows with the state updated in place
    /// and no row-major tensors in between: per block of `blockRows` rows (blocks split across
    /// cores), `inputs(r0, rb, xᵀ)` writes the block's features feature-major (`xᵀ[k·rb + r]` is
    /// feature `k` of row `r0 + r`), and `outputs(r0, rb, outᵀ)` receives the activated outputs the
    /// same way (`outᵀ[j·rb + r]`; it may overwrite them). Both are called concurrently for
    /// disjoint blocks. Everything runs in Float.
    public static func forward(state: PackedLSTMState, weights: FloatWeights, activation: Activation,
                               inputs fill: (_ r0: Int, _ rb: Int, _ x: UnsafeMutablePointer<Float>) -> Void,
                               outputs emit: (_ r0: Int, _ rb: Int, _ out: UnsafeMutablePointer<Float>) -> Void) {
        let nin = weights.inputs, H = weights.hidden, G = 4 * H, H1 = weights.hidden1, O = weights.outputs, K = nin + H
        precondition(state.hidden == H, "CoordinatewiseKernel: state hidden size \(state.hidden), weights \(H)")
        let m = state.rows
        guard m > 0 else { return }
        Runtime.configure()  // single-threaded BLAS: the blocks below already run on all cores
        let R = blockRows, blockCount = (m + R - 1) / R
        let hState = state.h, cState = state.c
        let w = weights
        withWeights(w.wu, w.b, w.w1, w.b1, w.w2, w.b2) { pointers in
            Parallel.forEachChunk(blockCount, minimumPerChunk: 4) { range in
                let xhT = UnsafeMutablePointer<Float>.allocate(capacity: K * R)
                let gT = UnsafeMutablePointer<Float>.allocate(capacity: G * R)
                let hidT = UnsafeMutablePointer<Float>.allocate(capacity: H1 * R)
                let outT = UnsafeMutablePointer<Float>.allocate(capacity: O * R)
                defer { xhT.deallocate(); gT.deallocate(); hidT.deallocate(); outT.deallocate() }
                for bi in range {
                    let r0 = bi * R, rb = Swift.min(R, m - r0)
                    let hB = hState + r0 * H, cB = cState + r0 * H
                    fill(r0, rb, xhT)
                    (xhT + nin * rb).update(from: hB, count: H * rb)
                    // The gate products and nonlinearities update the stored state in place.
                    block(rb: rb, inputs: nin, hidden: H, hidden1: H1, outputs: O, xh: xhT, gates: gT, c: cB, h: hB,
                          hid: hidT, out: outT, weights: pointers, activation: activation)
                    emit(r0, rb, outT)
                }
            }
        }
    }
}
