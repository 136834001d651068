import XCTest
import L2OCore
@testable import L2ONN

/// Finite-difference gradient checks (Double) of every layer and loss, with respect to the
/// inputs and all parameters.
final class GradientTests: XCTestCase {
    func testLinear() throws {
        var r = rng()
        let layer = try Linear<Double>(3, 2, rng: &r)
        checkModuleGradients(layer, inputs: [.normal([4, 3], seed: 1)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testMLPEveryActivation() throws {
        for act in [Activation.tanh, .relu, .leakyRelu(slope: 0.1), .sigmoid] {
            var r = rng()
            let mlp = try MLP<Double>(sizes: [3, 4, 2], activation: act, outputActivation: .tanh, rng: &r)
            checkModuleGradients(mlp, inputs: [.normal([3, 3], seed: 2)]) { m, x, ctx in try m(x[0], context: ctx) }
        }
    }

    func testLSTMCell() throws {
        var r = rng()
        let cell = try LSTMCell<Double>(inputSize: 3, hiddenSize: 2, rng: &r)
        // Output depends on both h' and c' so both pullbacks are exercised.
        checkModuleGradients(cell, inputs: [.normal([2, 3], seed: 3), .normal([2, 2], seed: 4), .normal([2, 2], seed: 5)]) { m, x, ctx in
            let (h, c) = try m(x[0], state: (x[1], x[2]), context: ctx)
            return Variable.concat([h, c], axis: 1)
        }
    }

    func testConv2DStride2Padding1() throws {
        var r = rng()
        let conv = try Conv2D<Double>(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &r)
        checkModuleGradients(conv, inputs: [.normal([2, 2, 5, 4], seed: 6)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testConv2DNoBiasStride1() throws {
        var r = rng()
        let conv = try Conv2D<Double>(inChannels: 1, outChannels: 2, kernelSize: 2, bias: false, rng: &r)
        checkModuleGradients(conv, inputs: [.normal([1, 1, 3, 3], seed: 7)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testMaxPool() throws {
        let pool = try MaxPool2D<Double>(kernelSize: 2)
        checkModuleGradients(pool, inputs: [.normal([2, 2, 4, 5], seed: 8)]) { m, x, ctx in try m(x[0], context: ctx) }
        let overlapping = try MaxPool2D<Double>(kernelSize: 3, stride: 1)
        checkModuleGradients(overlapping, inputs: [.normal([1, 2, 4, 4], seed: 9)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testFlatten() throws {
        let flat = Flatten<Double>()
        checkModuleGradients(flat, inputs: [.normal([2, 2, 3], seed: 10)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testBatchNormTrainFeaturesAndImages() throws {
        let bn = try BatchNorm<Double>(featureCount: 3)
        try bn.loadParameters(["weight": Tensor([1.5, -0.5, 2]), "bias": Tensor([0.1, 0.2, -0.3])])
        checkModuleGradients(bn, inputs: [.normal([4, 3], seed: 11)]) { m, x, ctx in try m(x[0], context: ctx) }
        checkModuleGradients(bn, inputs: [.normal([2, 3, 2, 3], seed: 12)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testBatchNormEval() throws {
        let bn = try BatchNorm<Double>(featureCount: 2)
        try bn.loadState(["weight": Tensor([1.5, -0.5]), "bias": Tensor([0.1, 0.2]),
                          "running_mean": Tensor([0.3, -0.2]), "running_var": Tensor([0.5, 2])])
        bn.eval()
        checkModuleGradients(bn, inputs: [.normal([3, 2, 2, 2], seed: 13)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testResidualBlockWithProjection() throws {
        var r = rng()
        let block = try ResidualBlock<Double>(inChannels: 2, outChannels: 3, stride: 2, rng: &r)
        XCTAssertNotNil(block.downsample)
        checkModuleGradients(block, inputs: [.normal([2, 2, 4, 4], seed: 14)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testResidualBlockIdentity() throws {
        var r = rng()
        let block = try ResidualBlock<Double>(inChannels: 2, outChannels: 2, rng: &r)
        XCTAssertNil(block.downsample)
        checkModuleGradients(block, inputs: [.normal([2, 2, 3, 3], seed: 15)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testGCNLayer() throws {
        var r = rng()
        let a = try GCNLayer<Double>.normalizedAdjacency(nodeCount: 5, edges: [(0, 1), (1, 2), (2, 3), (3, 0), (1, 4)])
        for act in [Activation.identity, .tanh] {
            let gcn = try GCNLayer<Double>(3, 2, activation: act, rng: &r)
            try gcn.loadParameters(["weight": gcn.weight.value, "bias": Tensor([0.3, -0.1])])
            checkModuleGradients(gcn, inputs: [.normal([5, 3], seed: 16)]) { m, x, ctx in try m(x[0], adjacency: a, context: ctx) }
        }
    }

    func testSequential() throws {
        var r = rng()
        let net = Sequential<Double>([
            try Conv2D(inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng: &r),
            try BatchNorm(featureCount: 2), ActivationLayer(.relu), try MaxPool2D(kernelSize: 2),
            Flatten(), try Linear(8, 3, rng: &r),
        ])
        checkModuleGradients(net, inputs: [.normal([2, 1, 4, 4], seed: 17)]) { m, x, ctx in try m(x[0], context: ctx) }
    }

    func testMSELoss() {
        let r = gradientCheck([.normal([3, 2], seed: 18), .normal([3, 2], seed: 19)]) { v in try! mseLoss(v[0], v[1]) }
        XCTAssertEqual(r.maxErrors.count, 2)
        XCTAssertTrue(r.passed, "\(r)")
    }

    func testSoftmaxCrossEntropy() {
        let r = gradientCheck([.normal([4, 3], std: 2, seed: 20)]) { v in try! softmaxCrossEntropy(logits: v[0], labels: [0, 2, 1, 2]) }
        XCTAssertEqual(r.maxErrors.count, 1)
        XCTAssertTrue(r.passed, "\(r)")
    }

    func testBinaryCrossEntropy() {
        let targets = Tensor<Double>.uniform([3, 2], seed: 21)
        let r = gradientCheck([.normal([3, 2], std: 3, seed: 22), targets]) { v in try! binaryCrossEntropy(logits: v[0], targets: v[1]) }
        XCTAssertEqual(r.maxErrors.count, 2)
        XCTAssertTrue(r.passed, "\(r)")
    }
}
