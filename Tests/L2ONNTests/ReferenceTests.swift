import Foundation
import XCTest
import L2OCore
@testable import L2ONN

/// Layers and losses against direct (naive) formulas and hand-computed values.
final class ReferenceTests: XCTestCase {
    /// Direct convolution, one output element at a time.
    func naiveConv(_ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>?, stride s: Int, padding p: Int) -> Tensor<Double> {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
        let o = w.shape[0], kh = w.shape[2], kw = w.shape[3]
        let oh = (h + 2 * p - kh) / s + 1, ow = (wd + 2 * p - kw) / s + 1
        var y = Tensor<Double>.zeros([n, o, oh, ow])
        for bi in 0..<n { for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
            var acc = b?[oc] ?? 0
            for ic in 0..<c { for i in 0..<kh { for j in 0..<kw {
                let iy = oy * s - p + i, ix = ox * s - p + j
                if iy >= 0 && iy < h && ix >= 0 && ix < wd { acc += w[oc, ic, i, j] * x[bi, ic, iy, ix] }
            } } }
            y[bi, oc, oy, ox] = acc
        } } } }
        return y
    }

    func testConv2DMatchesDirectConvolution() throws {
        for (k, s, p, bias) in [(3, 2, 1, true), (3, 1, 0, false), (2, 3, 2, true), (1, 2, 0, false)] {
            var r = rng()
            let conv = try Conv2D<Double>(inChannels: 2, outChannels: 3, kernelSize: k, stride: s, padding: p, bias: bias, rng: &r)
            let x = Tensor<Double>.normal([2, 2, 5, 6], seed: 1)
            let y = try conv(Variable(constant: x))
            let ref = naiveConv(x, conv.weight.value, conv.bias?.value, stride: s, padding: p)
            XCTAssertEqual(y.shape, ref.shape)
            let o = conv.outputSize(height: 5, width: 6)
            XCTAssertEqual(Array(y.shape.suffix(2)), [o.height, o.width])
            XCTAssertLessThan(y.value.maxAbsDifference(ref), 1e-12, "kernel \(k) stride \(s) padding \(p)")
        }
        // A hand-checkable case: 1 channel, 2×2 all-ones kernel, no padding = 2×2 window sums.
        let ones = Tensor<Double>.ones([1, 1, 2, 2])
        let x = Tensor<Double>(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(try conv2d(Variable(constant: x), weight: Variable(constant: ones)).value.scalars, [12, 16, 24, 28])
    }

    func testMaxPoolMatchesReference() throws {
        let x = Tensor<Double>(shape: [1, 1, 4, 4], scalars: [1, 5, 2, 0, 3, 4, 8, 7, -1, -2, 6, 6, -3, -4, 9, 1])
        let y = try MaxPool2D<Double>(kernelSize: 2)(Variable(constant: x))
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.value.scalars, [5, 8, -1, 9])
        let tape = Tape<Double>()
        let xv = tape.variable(x)
        tape.backward(try maxPool2d(xv, kernelSize: 2).sum())
        XCTAssertEqual(tape.gradient(of: xv).scalars, [0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    }

    func testGCNNormalisationMatchesDenseFormula() throws {
        let n = 5
        let edges = [(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)]
        let weights: [Double] = [1, 2, 0.5, 1, 3]
        let ahat = try GCNLayer<Double>.normalizedAdjacency(nodeCount: n, edges: edges, weights: weights)
        var a = Tensor<Double>.eye(n)
        for ((i, j), w) in zip(edges, weights) { a[i, j] += w; a[j, i] += w }
        let d = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + a[i, $1] } }
        var ref = Tensor<Double>.zeros([n, n])
        for i in 0..<n { for j in 0..<n { ref[i, j] = a[i, j] / (d[i] * d[j]).squareRoot() } }
        XCTAssertLessThan(ahat.toDense().maxAbsDifference(ref), 1e-15)
        // Node 1 has neighbours 0 (w 1) and 2 (w 2): D̃₁₁ = 1 + 1 + 2 = 4; node 0: 1 + 1 + 1 = 3.
        XCTAssertEqual(ahat.toDense()[0, 1], 1 / (3.0 * 4).squareRoot(), accuracy: 1e-15)
        // The dense-adjacency builder agrees (A without the identity).
        var dense = Tensor<Double>.zeros([n, n])
        for ((i, j), w) in zip(edges, weights) { dense[i, j] += w; dense[j, i] += w }
        XCTAssertLessThan(try GCNLayer<Double>.normalizedAdjacency(dense: dense).toDense().maxAbsDifference(ref), 1e-15)

        // Forward: Â X Θ + b, then the activation.
        var r = rng()
        let gcn = try GCNLayer<Double>(3, 2, activation: .relu, rng: &r)
        try gcn.loadParameters(["weight": gcn.weight.value, "bias": Tensor([0.5, -0.5])])
        let x = Tensor<Double>.normal([n, 3], seed: 2)
        let y = try gcn(Variable(constant: x), adjacency: ahat)
        let expected = relu(Tensor.matmul(Tensor.matmul(ref, x), gcn.weight.value) + Tensor([0.5, -0.5]))
        XCTAssertLessThan(y.value.maxAbsDifference(expected), 1e-12)
    }

    func testGCNAdjacencyRejectsBadInput() {
        assertThrowsMessage(containing: ["(0, 7)", "0..<3"]) { try GCNLayer<Double>.normalizedAdjacency(nodeCount: 3, edges: [(0, 7)]) }
        assertThrowsMessage(containing: ["2 edges", "1 weights"]) {
            try GCNLayer<Double>.normalizedAdjacency(nodeCount: 3, edges: [(0, 1), (1, 2)], weights: [1])
        }
        assertThrowsMessage(containing: ["node 0", "degree"]) {
            try GCNLayer<Double>.normalizedAdjacency(nodeCount: 2, edges: [(0, 1)], weights: [-3])
        }
        assertThrows(.shapeMismatch(operation: "GCNLayer.normalizedAdjacency", expected: "[n, n]", actual: [2, 3])) {
            try GCNLayer<Double>.normalizedAdjacency(dense: .zeros([2, 3]))
        }
    }

    func testBatchNormTrainingStatisticsAndRunningUpdate() throws {
        let bn = try BatchNorm<Double>(featureCount: 2)
        try bn.loadParameters(["weight": Tensor([2, 1]), "bias": Tensor([0, 1])])
        // Channel 0: 1, 2, 3, 6 → mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3.
        // Channel 1: 0, 0, 4, 4 → mean 2, biased var 4, unbiased 16/3.
        let x = Tensor<Double>(rows: [[1, 0], [2, 0], [3, 4], [6, 4]])
        let y = try bn(Variable(constant: x)).value
        let eps = 1e-5
        for b in 0..<4 {
            XCTAssertEqual(y[b, 0], 2 * (x[b, 0] - 3) / (3.5 + eps).squareRoot(), accuracy: 1e-12)
            XCTAssertEqual(y[b, 1], (x[b, 1] - 2) / (4 + eps).squareRoot() + 1, accuracy: 1e-12)
        }
        XCTAssertEqual(bn.runningMean.value.scalars[0], 0.1 * 3, accuracy: 1e-15)
        XCTAssertEqual(bn.runningMean.value.scalars[1], 0.1 * 2, accuracy: 1e-15)
        XCTAssertEqual(bn.runningVariance.value.scalars[0], 0.9 + 0.1 * 14 / 3, accuracy: 1e-15)
        XCTAssertEqual(bn.runningVariance.value.scalars[1], 0.9 + 0.1 * 16 / 3, accuracy: 1e-15)
        // A second step compounds the momentum.
        _ = try bn(Variable(constant: x))
        XCTAssertEqual(bn.runningMean.value.scalars[0], 0.9 * 0.3 + 0.1 * 3, accuracy: 1e-15)

        // Image layout: statistics over batch and pixels of each channel.
        let img = try BatchNorm<Double>(featureCount: 2)
        let xi = Tensor<Double>.normal([3, 2, 2, 2], mean: 4, std: 2, seed: 3)
        let yi = try img(Variable(constant: xi)).value
        for c in 0..<2 {
            var vals = [Double](), outs = [Double]()
            for b in 0..<3 { for q in 0..<4 { vals.append(xi.scalars[(b * 2 + c) * 4 + q]); outs.append(yi.scalars[(b * 2 + c) * 4 + q]) } }
            let mean = vals.reduce(0, +) / 12
            let varB = vals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 12
            XCTAssertEqual(outs.reduce(0, +) / 12, 0, accuracy: 1e-12)
            XCTAssertEqual(img.runningMean.value.scalars[c], 0.1 * mean, accuracy: 1e-12)
            XCTAssertEqual(img.runningVariance.value.scalars[c], 0.9 + 0.1 * varB * 12 / 11, accuracy: 1e-12)
        }
    }

    func testBatchNormEvalUsesRunningStatisticsAndLeavesThemAlone() throws {
        let bn = try BatchNorm<Double>(featureCount: 2)
        try bn.loadState(["weight": Tensor([2, 1]), "bias": Tensor([0, 1]),
                          "running_mean": Tensor([1, -1]), "running_var": Tensor([4, 0.25])])
        let x = Tensor<Double>(rows: [[1, 0], [2, 0], [3, 4]])
        let trainOut = try bn(Variable(constant: x)).value
        try bn.loadBuffers(["running_mean": Tensor([1, -1]), "running_var": Tensor([4, 0.25])])
        bn.eval()
        let evalOut = try bn(Variable(constant: x)).value
        for b in 0..<3 {
            XCTAssertEqual(evalOut[b, 0], 2 * (x[b, 0] - 1) / (4 + 1e-5).squareRoot(), accuracy: 1e-12)
            XCTAssertEqual(evalOut[b, 1], (x[b, 1] + 1) / (0.25 + 1e-5).squareRoot() + 1, accuracy: 1e-12)
        }
        XCTAssertGreaterThan(trainOut.maxAbsDifference(evalOut), 0.1, "train and eval must differ here")
        XCTAssertEqual(bn.runningMean.value, Tensor([1, -1]), "eval must not update running statistics")
        XCTAssertEqual(bn.runningVariance.value, Tensor([4, 0.25]))
        // A single sample is fine in eval mode, but not in training mode.
        XCTAssertEqual(try bn(Variable(constant: Tensor(rows: [[1, 2]]))).shape, [1, 2])
        bn.train()
        assertThrowsMessage(containing: ["more than one value per channel", "[1, 2]"]) {
            try bn(Variable(constant: Tensor(rows: [[1, 2]])))
        }
    }

    func testSoftmaxCrossEntropyHandValue() throws {
        let logits = Tensor<Double>(rows: [[1, 2, 3], [1, 1, 1]])
        // Row 0: log(e + e² + e³) − 3 = 0.4076059644…; row 1: log 3 = 1.0986122886….
        let l = try softmaxCrossEntropy(logits: Variable(constant: logits), labels: [2, 0])
        XCTAssertEqual(l.value.scalar, (0.40760596444438 + 1.09861228866811) / 2, accuracy: 1e-12)
        // Gradient (softmax − onehot)/B for row 1: (1/3 − 1, 1/3, 1/3)/2.
        let tape = Tape<Double>()
        let z = tape.variable(logits)
        tape.backward(try softmaxCrossEntropy(logits: z, labels: [2, 0]))
        let g = tape.gradient(of: z)
        XCTAssertEqual(g[1, 0], (1.0 / 3 - 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(g[1, 2], 1.0 / 6, accuracy: 1e-12)
        // Stability: huge logits give the same finite value as the shifted ones.
        let big = try softmaxCrossEntropy(logits: Variable(constant: logits + 1000), labels: [2, 0]).value.scalar
        XCTAssertEqual(big, l.value.scalar, accuracy: 1e-9)
        let bigF = try softmaxCrossEntropy(logits: Variable(constant: (logits * 100).cast(to: Float.self)), labels: [0, 1]).value.scalar
        XCTAssertTrue(bigF.isFinite)
        // Row 0: lse(100, 200, 300) − 100 ≈ 200; row 1: log 3.
        XCTAssertEqual(Double(bigF), (200 + 1.0986122886681098) / 2, accuracy: 1e-3)
    }

    func testBinaryCrossEntropyMatchesNaiveAndIsStable() throws {
        let z = Tensor<Double>([-2, -0.5, 0, 0.7, 3])
        let y = Tensor<Double>([0, 1, 0.3, 1, 0])
        var naive = 0.0
        for i in 0..<5 {
            let s = 1 / (1 + Foundation.exp(-z.scalars[i]))
            naive += -y.scalars[i] * Foundation.log(s) - (1 - y.scalars[i]) * Foundation.log(1 - s)
        }
        XCTAssertEqual(try binaryCrossEntropy(logits: Variable(constant: z), targets: y).value.scalar, naive / 5, accuracy: 1e-12)
        // |z| = 1000: the naive form overflows to inf/NaN, the stable one gives ≈ |z| for the wrong label.
        let l = try binaryCrossEntropy(logits: Variable(constant: Tensor<Float>([1000, -1000])), targets: Tensor<Float>([0, 0]))
        XCTAssertEqual(l.value.scalar, 500, accuracy: 1e-3)
    }

    func testMSEAndAccuracy() throws {
        let p = Tensor<Double>(rows: [[1, 2], [3, 4]]), t = Tensor<Double>(rows: [[0, 2], [5, 4]])
        XCTAssertEqual(try mseLoss(Variable(constant: p), t).value.scalar, (1 + 0 + 4 + 0) / 4.0)
        let logits = Tensor<Double>(rows: [[0.1, 0.9, 0], [2, 1, 0], [0, 0, 5], [1, 1, 0]])
        XCTAssertEqual(try accuracy(logits: logits, labels: [1, 0, 1, 0]), 0.75)
        XCTAssertEqual(try accuracy(logits: logits, labels: [0, 1, 0, 1]), 0)
        assertThrows(.labelOutOfRange(operation: "accuracy", label: 3, index: 2, classCount: 3)) {
            try accuracy(logits: logits, labels: [1, 0, 3, 0])
        }
    }
}
