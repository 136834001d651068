import XCTest
import L2OCore
@testable import L2ONN

/// Every layer and loss run in Float against the same weights in Double: outputs, input gradients
/// and parameter gradients agree within a Float tolerance.
final class FloatDoubleTests: XCTestCase {
    func testLinearAndMLP() throws {
        var r = rng(), rf = rng()
        try checkFloatMatchesDouble(try Linear<Double>(4, 3, rng: &r), try Linear<Float>(4, 3, rng: &rf),
                                    inputs: [.normal([5, 4], seed: 1)],
                                    forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
        var r2 = rng(), rf2 = rng(7)  // different seed: the Float weights come from loadState
        try checkFloatMatchesDouble(
            try MLP<Double>(sizes: [4, 6, 2], activation: .leakyRelu(slope: 0.2), rng: &r2),
            try MLP<Float>(sizes: [4, 6, 2], activation: .leakyRelu(slope: 0.2), rng: &rf2),
            inputs: [.normal([5, 4], seed: 2)], forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
    }

    func testLSTMCell() throws {
        var r = rng(), rf = rng()
        try checkFloatMatchesDouble(
            try LSTMCell<Double>(inputSize: 3, hiddenSize: 4, rng: &r), try LSTMCell<Float>(inputSize: 3, hiddenSize: 4, rng: &rf),
            inputs: [.normal([2, 3], seed: 3), .normal([2, 4], seed: 4), .normal([2, 4], seed: 5)],
            forwardDouble: { m, x in let s = try m(x[0], state: (x[1], x[2])); return Variable.concat([s.h, s.c], axis: 1) },
            forwardFloat: { m, x in let s = try m(x[0], state: (x[1], x[2])); return Variable.concat([s.h, s.c], axis: 1) })
    }

    func testConvPoolFlatten() throws {
        var r = rng(), rf = rng()
        try checkFloatMatchesDouble(
            try Conv2D<Double>(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &r),
            try Conv2D<Float>(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1, rng: &rf),
            inputs: [.normal([2, 2, 6, 5], seed: 6)], forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
        try checkFloatMatchesDouble(
            try MaxPool2D<Double>(kernelSize: 2), try MaxPool2D<Float>(kernelSize: 2),
            inputs: [.normal([2, 2, 4, 4], seed: 7)], forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
        try checkFloatMatchesDouble(
            Flatten<Double>(), Flatten<Float>(),
            inputs: [.normal([2, 2, 3], seed: 8)], forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
    }

    func testBatchNormTrainAndEval() throws {
        let bd = try BatchNorm<Double>(featureCount: 3), bf = try BatchNorm<Float>(featureCount: 3)
        try bd.loadParameters(["weight": Tensor([1.5, -0.5, 2]), "bias": Tensor([0.1, 0.2, -0.3])])
        // Training: the comparison also covers the running statistics both copies update.
        try checkFloatMatchesDouble(bd, bf, inputs: [.normal([4, 3, 2, 2], mean: 1, std: 2, seed: 9)],
                                    forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
        bd.eval()
        bf.eval()
        try checkFloatMatchesDouble(bd, bf, inputs: [.normal([4, 3], seed: 10)],
                                    forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
    }

    func testResidualBlock() throws {
        var r = rng(), rf = rng()
        try checkFloatMatchesDouble(
            try ResidualBlock<Double>(inChannels: 2, outChannels: 3, stride: 2, rng: &r),
            try ResidualBlock<Float>(inChannels: 2, outChannels: 3, stride: 2, rng: &rf),
            inputs: [.normal([2, 2, 4, 4], seed: 11)], tolerance: 3e-4,
            forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
    }

    func testGCN() throws {
        var r = rng(), rf = rng()
        let edges = [(0, 1), (1, 2), (2, 0), (2, 3)]
        let ad = try GCNLayer<Double>.normalizedAdjacency(nodeCount: 4, edges: edges)
        let af = try GCNLayer<Float>.normalizedAdjacency(nodeCount: 4, edges: edges)
        try checkFloatMatchesDouble(
            try GCNLayer<Double>(3, 2, activation: .relu, rng: &r), try GCNLayer<Float>(3, 2, activation: .relu, rng: &rf),
            inputs: [.normal([4, 3], seed: 12)],
            forwardDouble: { try $0($1[0], adjacency: ad) }, forwardFloat: { try $0($1[0], adjacency: af) })
    }

    func testSequentialWithActivationLayer() throws {
        func make<S: TensorScalar>(_ type: S.Type) throws -> Sequential<S> {
            var r = rng()
            return Sequential<S>([
                try Conv2D(inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng: &r),
                try BatchNorm(featureCount: 2), ActivationLayer(.tanh), try MaxPool2D(kernelSize: 2),
                Flatten(), try Linear(8, 3, rng: &r), ActivationLayer(.sigmoid),
            ])
        }
        try checkFloatMatchesDouble(try make(Double.self), try make(Float.self), inputs: [.normal([3, 1, 4, 4], seed: 15)],
                                    forwardDouble: { try $0($1[0]) }, forwardFloat: { try $0($1[0]) })
    }

    func testLosses() throws {
        let labels = [2, 0, 1]
        let logits = Tensor<Double>.normal([3, 4], std: 3, seed: 13)
        let yd = try softmaxCrossEntropy(logits: Variable(constant: logits), labels: labels).value.scalar
        let yf = try softmaxCrossEntropy(logits: Variable(constant: logits.cast(to: Float.self)), labels: labels).value.scalar
        XCTAssertEqual(Double(yf), yd, accuracy: 1e-5 * Swift.max(1, Swift.abs(yd)))

        let targets = Tensor<Double>.uniform([3, 4], seed: 14)
        let bd = try binaryCrossEntropy(logits: Variable(constant: logits), targets: targets).value.scalar
        let bf = try binaryCrossEntropy(logits: Variable(constant: logits.cast(to: Float.self)), targets: targets.cast(to: Float.self)).value.scalar
        XCTAssertEqual(Double(bf), bd, accuracy: 1e-5 * Swift.max(1, Swift.abs(bd)))

        let md = try mseLoss(Variable(constant: logits), targets).value.scalar
        let mf = try mseLoss(Variable(constant: logits.cast(to: Float.self)), targets.cast(to: Float.self)).value.scalar
        XCTAssertEqual(Double(mf), md, accuracy: 1e-5 * Swift.max(1, Swift.abs(md)))
    }
}
