import Foundation
import XCTest
import L2OCore
import L2OData
import L2ONN
@testable import L2OOptimizees

final class ResNetOptimizeeTests: XCTestCase {
    /// A tiny ResNet problem: 6×6 one-channel images in 3 classes, widths 2/3/4.
    func tinyFamily(nodes: Int = 2, samplesPerNode: Int = 4, batchSize: Int = 3, seed: UInt64 = 3) throws -> ResNetClassificationFamily<Double> {
        let data = try SyntheticImages.generate(Double.self, count: 30, height: 6, width: 6, classCount: 3, noise: 0.3, seed: 1, split: .train)
        return try ResNetClassificationFamily(data: data, widths: [2, 3, 4], nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize, seed: seed)
    }

    func testGradientMatchesFiniteDifferences() throws {
        let p = try tinyFamily().instance(.train, index: 0)
        // conv1 1·2·9 + bn 2·2; block 2→2: 2·(2·2·9) + 2·2·2; block 2→3 (stride 2): 2·3·9 + 3·3·9 + 2·2·3 + 1×1 proj 2·3 + bn 2·3;
        // block 3→4: 3·4·9 + 4·4·9 + 2·2·4 + 3·4 + 2·4; fc 4·3 + 3.
        XCTAssertEqual(p.dimension, 18 + 4 + 80 + 159 + 288 + 15)
        let x = p.initialPoint
        let g = p.gradient(shard: 0, at: x)
        XCTAssertGreaterThan(g.norm(), 0)
        XCTAssertLessThan(relativeError(g, numericGradient(x) { p.smoothValue(shard: 0, at: $0) }), 1e3 * fdTolerance,
                          "smooth between ReLU kinks: central differences are O(h²) accurate there")
        // The whole-node minibatch is the node gradient; the HVP approximation agrees with a directional difference.
        var rng = RandomState(seed: 5)
        var full = p
        full.batchSize = 4
        XCTAssertLessThan(relativeError(full.minibatchGradient(shard: 1, at: x, rng: &rng).gradient, p.gradient(shard: 1, at: x)), 1e2 * Double.epsilon)
        let v = Tensor<Double>.normal([p.dimension], seed: 6)
        XCTAssertLessThan(relativeError(p.hessianVectorProduct(shard: 0, at: x, direction: v), numericDirectional(x, v) { p.gradient(shard: 0, at: $0) }), 1e-4)
        // Float and Double agree on the same data and parameters.
        let pf = try ResNetClassificationFamily(
            data: SyntheticImages.generate(Float.self, count: 30, height: 6, width: 6, classCount: 3, noise: 0.3, seed: 1, split: .train),
            widths: [2, 3, 4], nodes: 2, samplesPerNode: 4, batchSize: 3, seed: 3).instance(.train, index: 0)
        XCTAssertEqual(Double(pf.smoothValue(shard: 0, at: x.cast())), p.smoothValue(shard: 0, at: x), accuracy: 1e-4)
    }

    func testBatchNormStatisticsAreNotVariablesAndOraclesArePure() throws {
        let p = try tinyFamily().instance(.test, index: 1)
        let names = p.model.parameterNames
        XCTAssertEqual(names.first, "conv1.weight")
        XCTAssertTrue(names.contains("layer2.0.downsample.0.weight") && names.contains("layer3.0.bn2.bias"))
        XCTAssertEqual(names.last, "fc.bias")
        XCTAssertFalse(names.contains { $0.contains("running") }, "running statistics are buffers, not coordinates of x")
        XCTAssertEqual(p.model.namedBuffers().count, 2 * p.model.batchNormLayers.count)
        let before = p.model.bufferTensors()
        let x = p.initialPoint + Tensor<Double>.normal([p.dimension], std: 0.1, seed: 2)
        let g1 = p.gradient(shard: 0, at: x)
        _ = p.smoothValue(shard: 1, at: x)
        _ = try p.accuracy(at: x, on: p.nodeData[0])
        XCTAssertEqual(p.model.bufferTensors(), before, "no oracle writes the model's running statistics")
        XCTAssertEqual(p.gradient(shard: 0, at: x), g1, "the same x gives the same gradient")
        XCTAssertEqual(p.initialPoint, p.model.flatParameters(), "the model's parameters are never replaced")
    }

    func testAccuracyEvaluatesWithStatisticsEstimatedAtX() throws {
        var p = try tinyFamily(nodes: 3, samplesPerNode: 8).instance(.train, index: 2)
        let pool = try ImageClassificationData(images: Tensor.concat(p.nodeData.map(\.images), axis: 0), labels: p.nodeData.flatMap(\.labels),
                                               height: 6, width: 6, classCount: 3)
        p.calibrationSize = pool.count
        p.evaluationChunk = 7
        var x = p.initialPoint
        for _ in 0..<60 { x = x - p.smoothGradient(at: x) * 0.3 }
        // Inference with statistics estimated on the same samples reproduces training-mode
        // predictions on them (up to the unbiased-variance factor m/(m − 1) of the running variance).
        let tape = Tape<Double>()
        tape.isRecording = false
        let trainingMode = try L2ONN.accuracy(logits: p.logits(tape.constant(x), images: pool.images), labels: pool.labels)
        XCTAssertEqual(try p.accuracy(at: x, on: pool), trainingMode)
        XCTAssertGreaterThan(trainingMode, 0.6, "60 gradient steps fit the 24 training samples better than chance (1/3)")
        XCTAssertLessThan(p.value(x), p.value(p.initialPoint))
        XCTAssertThrowsError(try p.accuracy(at: x, on: SyntheticImages.generate(Double.self, count: 4, height: 5, width: 6, classCount: 3, seed: 1, split: .test))) {
            XCTAssertTrue("\($0)".contains("the optimizee was built for 1×6×6 in 3"), "\($0)")
        }
    }

    func testPaperArchitectureAndBadInput() throws {
        var rng = RandomState(seed: 1)
        XCTAssertEqual(try ResNet<Float>(inChannels: 3, classCount: 10, rng: &rng).parameterCount, 78_042, "ResNet(5, 78042, N, 0) of [MiLoDo] App. E.2 on CIFAR-10")
        XCTAssertEqual(try ResNet<Float>(inChannels: 1, classCount: 10, rng: &rng).parameterCount, 77_754, "the same network on Fashion-MNIST")
        let data = try SyntheticImages.generate(Float.self, count: 10, height: 8, width: 8, classCount: 4, seed: 2, split: .train)
        let family = try ResNetClassificationFamily(data: data, nodes: 2, samplesPerNode: 5, seed: 1)
        XCTAssertEqual(family.name, "ResNet(2,16-32-64,5,0)")
        XCTAssertEqual(family.dimension, 77_754 - 64 * 10 - 10 + 64 * 4 + 4)
        XCTAssertThrowsError(try ResNetClassificationFamily(data: data, nodes: 2, samplesPerNode: 1, seed: 1)) {
            XCTAssertTrue("\($0)".contains("≥ 2 samples per node"), "\($0)")
        }
        XCTAssertThrowsError(try ResNetClassificationFamily(data: data, nodes: 3, samplesPerNode: 4, seed: 1)) {
            XCTAssertTrue("\($0)".contains("need 12, the data has 10"), "\($0)")
        }
        XCTAssertThrowsError(try ResNetClassification(model: ResNet<Float>(inChannels: 3, classCount: 4, rng: &rng), data: data, nodes: 1, samplesPerNode: 4)) {
            XCTAssertTrue("\($0)".contains("3-channel images in 4 classes, the data has 1-channel 8×8"), "\($0)")
        }
        XCTAssertThrowsError(try ResNet<Float>(inChannels: 1, widths: [], classCount: 4, rng: &rng))
        let p = try family.instance(.train, index: 0)
        XCTAssertThrowsError(try p.logits(Variable(constant: p.initialPoint), images: .zeros([2, 63])))
    }

    func testFashionMNISTWhenInstalled() throws {
        let dir = MNISTFormat.fashionMNISTDirectory
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dir + "/t10k-images-idx3-ubyte.gz"),
                          "Debian dataset-fashion-mnist is not installed")
        let test = try MNISTFormat.load(Float.self, directory: dir, train: false)
        let family = try ResNetClassificationFamily(data: test.slice(0..<5000), nodes: 2, samplesPerNode: 8, batchSize: 4, seed: 1)
        var p = try family.instance(.train, index: 0)
        XCTAssertEqual(p.dimension, 77_754)
        p.calibrationSize = 16
        var x = p.initialPoint
        var rng = RandomState(seed: 2)
        let start = p.value(x)
        for k in 0..<4 { x = x - p.minibatchGradient(shard: k % 2, at: x, rng: &rng).gradient * 0.1 }
        XCTAssertLessThan(p.value(x), start, "four SGD steps lower the training loss")
        let accuracy = try p.accuracy(at: x, on: test.slice(9950..<10000))
        XCTAssertTrue((0...1).contains(accuracy))
    }
}
