import XCTest
@testable import L2OCore

/// Bound on the absolute error of the kernels' Float tanh(v) = 2/(1 + e^{−2v}) − 1 (σ alike).
/// e^x: relative error ≤ 3u (u = 2⁻²⁴; Cephes `expf`, the same Cody–Waite reduction and degree-6
/// polynomial, documents a peak of 1.7e-7); 1 + e^x adds u; the reciprocal costs u on the portable
/// path (a division) and (1.5·2⁻¹²)² + 2u on the AVX2 path (RCPPS, relative error ≤ 1.5·2⁻¹² by
/// Intel's manual but implementation-specific, so it differs between CPU vendors, then one Newton
/// step); q ≤ 1, so 2q − 1 doubles that and adds u: ≤ 2(6u + (1.5·2⁻¹²)²) + u ≈ 1.04e-6.
let kernelTanhErrorBound: Double = {
    let u = Double(Float.ulpOfOne) / 2, rcp = 1.5 / 4096
    return 2 * (6 * u + rcp * rcp) + u
}()

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

    /// Runs `body` once on every instruction set this CPU has for the Float kernels, then restores
    /// the one selected before.
    func forEachInstructionSet(_ body: (CoordinatewiseKernel.InstructionSet) throws -> Void) rethrows {
        let saved = CoordinatewiseKernel.instructionSet
        defer { try? CoordinatewiseKernel.select(saved) }
        let sets = CoordinatewiseKernel.availableInstructionSets
        XCTAssertTrue(sets.contains(.generic))
        for set in sets {
            try? CoordinatewiseKernel.select(set)
            XCTAssertEqual(CoordinatewiseKernel.instructionSet, set)
            try body(set)
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

    /// Error bound for comparing two Float evaluations of `net` on the same inputs that sum in
    /// different orders (OpenBLAS sgemm, whose kernels depend on the CPU, on blocks of different
    /// widths, vs the tape ops) and may use different σ/tanh implementations (each within
    /// `kernelTanhErrorBound`, so e = 2·that between them). With u = 2⁻²⁴, a K-term dot product is
    /// within γ_K·Σ|wᵢvᵢ| ≈ K·u·Σ|wᵢvᵢ| of the exact value, for each of the two paths:
    /// - gates z = [x | h]·[W; U] + b: δz ≤ 2(K + 1)·u·S, K = nin + H, S = max(|x||W| + |h||U| + |b|);
    ///   after σ, tanh (Lipschitz ≤ 1): δa ≤ δz + e;
    /// - c' = f c + i g: δc ≤ δa(max|c| + 2) + 4u(max|c| + 1); h' = o tanh(c'): δh ≤ δa + δc + e + 2u;
    /// - hidden = relu(h'·W₁ + b₁) (|h'| ≤ 1): δ ≤ 2(H + 1)·u·S₁ + C₁·δh, with C₁ the largest column
    ///   sum of |W₁| and S₁ = C₁ + max|b₁| (≥ every hidden unit);
    /// - out = hidden·W₂ + b₂: δ ≤ 2(H₁ + 1)·u·S₂ + C₂·δhidden, S₂ = C₂·S₁ + max|b₂|; exp multiplies
    ///   by its value: δ·max|out|·(1 + δ) + 6u·max|out|.
    func floatBound(_ netF: Net<Float>, x: Tensor<Double>, h: Tensor<Double>, c: Tensor<Double>, maxOut: Double,
                    _ act: CoordinatewiseKernel.Activation) -> (out: Double, h: Double, c: Double) {
        let net = netF.cast(Double.self)
        let u = Double(Float.ulpOfOne) / 2, e = 2 * kernelTanhErrorBound
        let K = Double(x.shape[1] + h.shape[1]), H = Double(h.shape[1]), H1 = Double(net.w1.shape[1])
        let S = (matmul(abs(x), abs(net.w)) + matmul(abs(h), abs(net.u)) + abs(net.b)).max()
        let maxC = c.normInf()
        let da = 2 * (K + 1) * u * S + e
        let dc = da * (maxC + 2) + 4 * u * (maxC + 1)
        let dh = da + dc + e + 2 * u
        let C1 = abs(net.w1).sum(axis: 0).max(), S1 = C1 + net.b1.normInf()
        let dHidden = 2 * (H + 1) * u * S1 + C1 * dh
        let C2 = abs(net.w2).sum(axis: 0).max(), S2 = C2 * S1 + net.b2.normInf()
        let dPre = 2 * (H1 + 1) * u * S2 + C2 * dHidden
        let dOut = act == .exp ? dPre * maxOut * (1 + dPre) + 6 * u * maxOut : dPre
        return (dOut, dh, dc)
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
        forEachInstructionSet { set in
        // Short blocks (below one 8-lane vector), partial blocks and several chunks.
        for (m, act) in [(1, CoordinatewiseKernel.Activation.exp), (7, .relu), (45, .identity), (777, .exp), (2053, .relu)] {
            let nin = 2, H = 20, O = 1
            let net = Net<Float>(inputs: nin, hidden: H, hidden1: H, outputs: O, seed: UInt64(3 + m))
            let x = Tensor<Float>.normal([m, nin], seed: 20), h = Tensor<Float>.normal([m, H], seed: 21) * 0.5
            let c = Tensor<Float>.normal([m, H], seed: 22)
            let want = reference(net, x: x, h: h, c: c, act)
            let got = CoordinatewiseKernel.forward(x: x, h: h, c: c, w: net.w, u: net.u, b: net.b,
                                                   w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: act)
            let tol = floatBound(net, x: x.cast(to: Double.self), h: h.cast(to: Double.self), c: c.cast(to: Double.self),
                                 maxOut: Double(want.out.normInf()), act)
            XCTAssertLessThan(Double(got.out.maxAbsDifference(want.out)), tol.out, "out, m = \(m)")
            XCTAssertLessThan(Double(got.h.maxAbsDifference(want.h)), tol.h, "h, m = \(m)")
            XCTAssertLessThan(Double(got.c.maxAbsDifference(want.c)), tol.c, "c, m = \(m), \(set)")
        }
        }
    }

    /// The instruction sets against each other on the same inputs: each is a Float evaluation
    /// with sums in its own fixed order and its own reciprocal estimate, so two of them differ by
    /// at most `floatBound`; and rows give the same bits wherever they sit in a block (whole
    /// tiles and the padded tail alike).
    func testInstructionSetsAgreeAndRowsDoNotDependOnTheirPosition() {
        let m = 300, nin = 3, H = 20, O = 2
        let net = Net<Float>(inputs: nin, hidden: H, hidden1: 13, outputs: O, seed: 77)
        let x = Tensor<Float>.normal([m, nin], seed: 71), h = Tensor<Float>.normal([m, H], seed: 72) * 0.5
        let c = Tensor<Float>.normal([m, H], seed: 73)
        var results = [(CoordinatewiseKernel.InstructionSet, (out: Tensor<Float>, h: Tensor<Float>, c: Tensor<Float>))]()
        forEachInstructionSet { set in
            let all = CoordinatewiseKernel.forward(x: x, h: h, c: c, w: net.w, u: net.u, b: net.b,
                                                   w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: .identity)
            // Rows 5..<42 alone: they land at other positions of their tiles and in a padded tail.
            let part = CoordinatewiseKernel.forward(x: x.rows(5..<42), h: h.rows(5..<42), c: c.rows(5..<42), w: net.w, u: net.u, b: net.b,
                                                    w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: .identity)
            XCTAssertEqual(part.out, all.out.rows(5..<42), "\(set)")
            XCTAssertEqual(part.h, all.h.rows(5..<42), "\(set)")
            XCTAssertEqual(part.c, all.c.rows(5..<42), "\(set)")
            results.append((set, all))
        }
        let want = reference(net, x: x, h: h, c: c, .identity)
        let tol = floatBound(net, x: x.cast(to: Double.self), h: h.cast(to: Double.self), c: c.cast(to: Double.self),
                             maxOut: Double(want.out.normInf()), .identity)
        for (a, ra) in results {
            for (b, rb) in results where a < b {
                XCTAssertLessThan(Double(ra.out.maxAbsDifference(rb.out)), tol.out, "out, \(a) vs \(b)")
                XCTAssertLessThan(Double(ra.h.maxAbsDifference(rb.h)), tol.h, "h, \(a) vs \(b)")
                XCTAssertLessThan(Double(ra.c.maxAbsDifference(rb.c)), tol.c, "c, \(a) vs \(b)")
            }
        }
    }

    func testInstructionSetNames() throws {
        XCTAssertEqual(CoordinatewiseKernel.InstructionSet(name: "avx2"), .avx2)
        XCTAssertEqual(CoordinatewiseKernel.InstructionSet(name: "avx2-fma"), .avx2)
        XCTAssertEqual(CoordinatewiseKernel.InstructionSet(name: "avx512"), .avx512)
        XCTAssertEqual(CoordinatewiseKernel.InstructionSet(name: "generic"), .generic)
        XCTAssertNil(CoordinatewiseKernel.InstructionSet(name: "sse"))
        XCTAssertEqual(CoordinatewiseKernel.availableInstructionSets.last, CoordinatewiseKernel.bestInstructionSet)
        // Selecting more than the CPU has is refused (nothing to check on a CPU with AVX-512).
        if CoordinatewiseKernel.bestInstructionSet < .avx512 {
            XCTAssertThrowsError(try CoordinatewiseKernel.select(.avx512))
        }
    }

    /// A NaN reaching a network stays NaN in its LSTM state (the activations' clamps must not turn
    /// it into a finite value); as in the composed ops, the hidden ReLU maps it to 0 downstream.
    func testNaNInputsPropagate() {
        let net = Net<Float>(inputs: 2, hidden: 20, hidden1: 20, outputs: 1, seed: 9)
        var x = Tensor<Float>.normal([40, 2], seed: 1)
        x.withUnsafeMutableBufferPointer { $0[2 * 17] = .nan }
        forEachInstructionSet { set in
            let got = CoordinatewiseKernel.forward(x: x, h: .zeros([40, 20]), c: .zeros([40, 20]), w: net.w, u: net.u, b: net.b,
                                                   w1: net.w1, b1: net.b1, w2: net.w2, b2: net.b2, activation: .identity)
            XCTAssertTrue(got.c.rows(17..<18).scalars.allSatisfy(\.isNaN), "\(set)")
            XCTAssertTrue(got.h.rows(17..<18).scalars.allSatisfy(\.isNaN), "\(set)")
            XCTAssertTrue(got.c.rows(0..<17).isFinite && got.c.rows(18..<40).isFinite, "other rows are unaffected, \(set)")
        }
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
        // One Float path (inputs rounded to Float: within the bound's second path) against Double.
        let tol = floatBound(netF, x: x, h: h, c: c, maxOut: want.out.normInf(), .relu)
        XCTAssertLessThan(got.out.maxAbsDifference(want.out), tol.out)
        XCTAssertLessThan(got.c.maxAbsDifference(want.c), tol.c)
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
        forEachInstructionSet { set in
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
            // The same kernel and summation order, and rows do not depend on their position in a
            // block: the same bits.
            XCTAssertEqual(Tensor(shape: [m, O], scalars: out), want.out, "out, m = \(m), \(set)")
            XCTAssertEqual(got.h, want.h, "h, m = \(m), \(set)")
            XCTAssertEqual(got.c, want.c, "c, m = \(m), \(set)")
            XCTAssertGreaterThan(want.out.normInf(), 0.01, "a non-trivial output, m = \(m), \(set)")
        }
        }
    }

    /// The vectorized tanh against the C library's, including saturation and NaN, within the
    /// approximation's error bound (`kernelTanhErrorBound`).
    func testVectorizedTanh() {
        // Saturation and NaN first, so that the vectorized body (8 lanes) sees them, then a sweep
        // and a scalar tail.
        forEachInstructionSet { set in
            var v: [Float] = [-100, 100, .nan, 1e-4, -1e-4, 0, 20, -20] + (0..<203).map { Float($0 - 101) * 0.07 } + [-100, .nan]
            let want = v.map { Foundation.tanh(Double($0)) }
            v.withUnsafeMutableBufferPointer { CoordinatewiseKernel.tanh($0.baseAddress!, count: $0.count) }
            for (k, (got, w)) in zip(v, want).enumerated() {
                if w.isNaN { XCTAssertTrue(got.isNaN, "NaN stays NaN, \(set)"); continue }
                XCTAssertEqual(Double(got), w, accuracy: kernelTanhErrorBound, "element \(k), \(set)")
            }
        }
    }
}
