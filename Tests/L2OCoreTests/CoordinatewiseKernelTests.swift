import XCTest
@testable import L2OCore

/// The fused inference kernel against the same network built from the tape ops
/// (`lstmCell`, `linear`, `relu`, output activation).
final class CoordinatewiseKernelTests: XCTestCase {
    struct Net<S: TensorScalar> {
        let w, u, b, w1, b1, w2, b2: Tensor<S>
        init(inputs nin: Int, hidden H: Int, hidden1 H1: Int, outputs O: Int, seed: UInt64) {
            w = Tensor.normal([nin, 4 * H], seed: seed) * 0.5
            u = Tensor.normal([H, 4 * H], seed: seed + 1) * 0.3
            b = Tensor.normal([4 * H], seed: seed + 2) * 0.5
            w1 = Tensor.normal([H, H1], seed: seed + 3) * 0.4
            b1 = Tensor.normal([H1], seed: seed + 4) * 0.2
            w2 = Tensor.normal([H1, O], seed: seed + 5) * 0.4
            b2 = Tensor.normal([O], seed: seed + 6) * 0.2
        }
        func cast<T: TensorScalar>(_: T.Type) -> Net<T> {
            Net<T>(w: w.cast(), u: u.cast(), b: b.cast(), w1: w1.cast(), b1: b1.cast(), w2: w2.cast(), b2: b2.cast())
        }
        init(w: Tensor<S>, u: Tensor<S>, b: Tensor<S>, w1: Tensor<S>, b1: Tensor<S>, w2: Tensor<S>, b2: Tensor<S>) {
            self.w = w; self.u = u; self.b = b; self.w1 = w1; self.b1 = b1; self.w2 = w2; self.b2 = b2
        }
    }

    /// The composed reference: LSTM cell → linear → ReLU → linear → activation.
    func reference<S: TensorScalar>(_ n: Net<S>, x: Tensor<S>, h: Tensor<S>, c: Tensor<S>,
                                    _ act: CoordinatewiseKernel.Activation) -> (out: Tensor<S>, h: Tensor<S>, c: Tensor<S>) {
        func k(_ t: Tensor<S>) -> Variable<S> { Variable(constant: t) }
        let s = lstmCell(x: k(x), h: k(h), c: k(c), w: k(n.w), u: k(n.u), b: k(n.b))
        let z = linear(relu(linear(s.h, k(n.w1), k(n.b1))), k(n.w2), k(n.b2))
        let out: Variable<S>
        switch act {
        case .identity: out = z
        case .relu: out = relu(z)
        case .exp: out = exp(z)
        }
        return (out.value, s.h.value, s.c.value)
    }

    func testFusedForwardMatchesTheComposedOpsInDouble() {
        // Row counts around the block size (128) and large enough to split across cores.
        for (m, act) in [(1, CoordinatewiseKernel.Activation.relu), (5, .exp), (127, .identity), (128, .relu),
                         (129, .exp), (700, .relu), (1100, .exp), (2053, .identity)] {
            let nin = 3, H = 20, O = 2
            let net = Net<Double>(inputs: nin, hidden: H, hidden1: H, outputs: O, seed: UInt64(m))
            let x = Tensor<Double>.normal([m, nin], seed: 10), h = Tensor<Double>.normal([m, H], seed: 11) * 0.5
            let c = Tensor<Double>.normal([m, H], seed: 12)
            let want = reference(net, x: x, h: h, c: c, act)
            let got = CoordinatewiseKernel.forward(x: x, h: h, c: c, w: net.w, u: net.u, b: net.b,
                                                   w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: act)
            XCTAssertEqual(got.out.shape, [m, O]); XCTAssertEqual(got.h.shape, [m, H]); XCTAssertEqual(got.c.shape, [m, H])
            XCTAssertLessThan(got.out.maxAbsDifference(want.out), 1e-12, "out, m = \(m)")
            XCTAssertLessThan(got.h.maxAbsDifference(want.h), 1e-12, "h, m = \(m)")
            XCTAssertLessThan(got.c.maxAbsDifference(want.c), 1e-12, "c, m = \(m)")
            XCTAssertGreaterThan(got.out.normInf(), 0.01, "a non-trivial output, m = \(m)")
        }
    }

    func testFusedForwardMatchesTheComposedOpsInFloat() {
        // Short blocks (below one 8-lane vector), partial blocks and several chunks.
        for (m, act) in [(1, CoordinatewiseKernel.Activation.exp), (7, .relu), (45, .identity), (777, .exp), (2053, .relu)] {
            let nin = 2, H = 20, O = 1
            let net = Net<Float>(inputs: nin, hidden: H, hidden1: H, outputs: O, seed: UInt64(3 + m))
            let x = Tensor<Float>.normal([m, nin], seed: 20), h = Tensor<Float>.normal([m, H], seed: 21) * 0.5
            let c = Tensor<Float>.normal([m, H], seed: 22)
            let want = reference(net, x: x, h: h, c: c, act)
            let got = CoordinatewiseKernel.forward(x: x, h: h, c: c, w: net.w, u: net.u, b: net.b,
                                                   w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: act)
            XCTAssertLessThan(got.out.maxAbsDifference(want.out), 1e-5, "out, m = \(m)")
            XCTAssertLessThan(got.h.maxAbsDifference(want.h), 1e-5, "h, m = \(m)")
            XCTAssertLessThan(got.c.maxAbsDifference(want.c), 1e-5, "c, m = \(m)")
        }
    }

    /// A NaN reaching a network stays NaN in its LSTM state (the activations' clamps must not turn
    /// it into a finite value); as in the composed ops, the hidden ReLU maps it to 0 downstream.
    func testNaNInputsPropagate() {
        let net = Net<Float>(inputs: 2, hidden: 20, hidden1: 20, outputs: 1, seed: 9)
        var x = Tensor<Float>.normal([40, 2], seed: 1)
        x.withUnsafeMutableBufferPointer { $0[2 * 17] = .nan }
        let got = CoordinatewiseKernel.forward(x: x, h: .zeros([40, 20]), c: .zeros([40, 20]), w: net.w, u: net.u, b: net.b,
                                               w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: .identity)
        XCTAssertTrue(got.c.rows(17..<18).scalars.allSatisfy(\.isNaN))
        XCTAssertTrue(got.h.rows(17..<18).scalars.allSatisfy(\.isNaN))
        XCTAssertTrue(got.c.rows(0..<17).isFinite && got.c.rows(18..<40).isFinite, "other rows are unaffected")
    }

    /// Double inputs with Float weights compute exactly what the Float kernel computes on the
    /// Float-rounded inputs (so the arithmetic is Float's), and agree with the Double network to
    /// Float accuracy.
    func testFloatWeightsOnDoubleInputsComputeInFloat() {
        let m = 600, nin = 3, H = 20, O = 2
        let netF = Net<Float>(inputs: nin, hidden: H, hidden1: H, outputs: O, seed: 5)
        let netD = netF.cast(Double.self)
        let x = Tensor<Double>.normal([m, nin], seed: 30), h = Tensor<Double>.normal([m, H], seed: 31) * 0.5
        let c = Tensor<Double>.normal([m, H], seed: 32)
        let got = CoordinatewiseKernel.forward(x: x, h: h, c: c, w: netF.w, u: netF.u, b: netF.b,
                                               w1: netF.w1, b1: netF.b1, w2: netF.w2, b2: netF.b2, activation: .relu)
        let inFloat = CoordinatewiseKernel.forward(x: x.cast(to: Float.self), h: h.cast(to: Float.self), c: c.cast(to: Float.self),
                                                   w: netF.w, u: netF.u, b: netF.b, w1: netF.w1, b1: netF.b1,
                                                   w2: netF.w2, b2: netF.b2, activation: .relu)
        XCTAssertEqual(got.out, inFloat.out.cast(to: Double.self))
        XCTAssertEqual(got.h, inFloat.h.cast(to: Double.self))
        XCTAssertEqual(got.c, inFloat.c.cast(to: Double.self))
        let want = reference(netD, x: x, h: h, c: c, .relu)
        XCTAssertLessThan(got.out.maxAbsDifference(want.out), 1e-5)
        XCTAssertLessThan(got.c.maxAbsDifference(want.c), 1e-5)
    }

    /// Packing an LSTM state into the kernel's block layout and back is exact for Float values,
    /// for row counts with and without a partial last block.
    func testPackedStateRoundTrip() {
        for m in [0, 1, 127, 128, 129, 300] {
            let h = Tensor<Float>.normal([m, 20], seed: 40), c = Tensor<Float>.normal([m, 20], seed: 41)
            let packed = PackedLSTMState(h: h, c: c)
            XCTAssertEqual(packed.rows, m)
            let back = packed.unpacked(as: Float.self)
            XCTAssertEqual(back.h, h, "h, m = \(m)")
            XCTAssertEqual(back.c, c, "c, m = \(m)")
            let copy = packed.copy().unpacked(as: Double.self)
            XCTAssertEqual(copy.h, h.cast(to: Double.self))
            XCTAssertEqual(copy.c, c.cast(to: Double.self))
        }
        // Inside a block, feature j of row r sits at j·rb + r (the layout the kernel works on).
        let h = Tensor<Float>(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let packed = PackedLSTMState(h: h, c: h)
        XCTAssertEqual((0..<6).map { packed.h[$0] }, [1, 3, 5, 2, 4, 6])
    }

    /// The in-place kernel on a packed state computes what `forward(x:h:c:…)` computes: features
    /// come from the `inputs` callback, outputs go to `outputs`, and the packed state holds h', c'.
    func testPackedForwardMatchesTheTensorKernel() {
        for (m, act) in [(1, CoordinatewiseKernel.Activation.identity), (7, .exp), (128, .relu), (129, .relu),
                         (777, .exp), (2053, .identity)] {
            let nin = 3, H = 20, O = 2
            let net = Net<Float>(inputs: nin, hidden: H, hidden1: H, outputs: O, seed: UInt64(50 + m))
            let x = Tensor<Float>.normal([m, nin], seed: 51), h = Tensor<Float>.normal([m, H], seed: 52) * 0.5
            let c = Tensor<Float>.normal([m, H], seed: 53)
            let want = CoordinatewiseKernel.forward(x: x, h: h, c: c, w: net.w, u: net.u, b: net.b,
                                                    w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: act)
            let state = PackedLSTMState(h: h, c: c)
            let weights = CoordinatewiseKernel.FloatWeights(w: net.w, u: net.u, b: net.b, w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2)
            var out = [Float](repeating: .nan, count: m * O)
            let lock = NSLock()
            var seen = 0
            out.withUnsafeMutableBufferPointer { op in
                let outP = op.baseAddress!
                x.scalars.withUnsafeBufferPointer { xp in
                    let X = xp.baseAddress!
                    CoordinatewiseKernel.forward(state: state, weights: weights, activation: act, inputs: { r0, rb, f in
                        for k in 0..<nin { for r in 0..<rb { f[k * rb + r] = X[(r0 + r) * nin + k] } }
                    }, outputs: { r0, rb, o in
                        for j in 0..<O { for r in 0..<rb { outP[(r0 + r) * O + j] = o[j * rb + r] } }
                        lock.lock(); seen += rb; lock.unlock()
                    })
                }
            }
            XCTAssertEqual(seen, m, "every row reaches the output callback once, m = \(m)")
            let got = state.unpacked(as: Float.self)
            XCTAssertLessThan(Tensor(shape: [m, O], scalars: out).maxAbsDifference(want.out), 1e-6, "out, m = \(m)")
            XCTAssertLessThan(got.h.maxAbsDifference(want.h), 1e-6, "h, m = \(m)")
            XCTAssertLessThan(got.c.maxAbsDifference(want.c), 1e-6, "c, m = \(m)")
            XCTAssertGreaterThan(want.out.normInf(), 0.01, "a non-trivial output, m = \(m)")
        }
    }

    /// The vectorized tanh against the C library's, including saturation and NaN.
    func testVectorizedTanh() {
        // Saturation and NaN first, so that the vectorized body (8 lanes) sees them, then a sweep
        // and a scalar tail.
        var v: [Float] = [-100, 100, .nan, 1e-4, -1e-4, 0, 20, -20] + (0..<203).map { Float($0 - 101) * 0.07 } + [-100, .nan]
        let want = v.map { Foundation.tanh(Double($0)) }
        v.withUnsafeMutableBufferPointer { CoordinatewiseKernel.tanh($0.baseAddress!, count: $0.count) }
        for (k, (got, w)) in zip(v, want).enumerated() {
            if w.isNaN { XCTAssertTrue(got.isNaN, "NaN stays NaN"); continue }
            XCTAssertEqual(Double(got), w, accuracy: 3e-7, "element \(k)")
        }
    }
}
