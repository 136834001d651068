import Foundation
import XCTest
import L2OCore
import L2OData
import L2ONN
@testable import L2OOptimizees

final class MLPOptimizeeTests: XCTestCase {
    /// Synthetic 3-class data with 6 features: class = argmax of three fixed projections.
    func syntheticData(count: Int, seed: UInt64) throws -> ImageClassificationData<Double> {
        let images = Tensor<Double>.uniform([count, 6], seed: seed)
        let labels = (0..<count).map { i -> Int in
            let r = Array(images.scalars[(i * 6)..<(i * 6 + 6)])
            return [r[0] + r[1], r[2] + r[3], r[4] + r[5]].enumerated().max { $0.element < $1.element }!.offset
        }
        return try ImageClassificationData(images: images, labels: labels, height: 2, width: 3, classCount: 3)
    }

    func testGradientMatchesFiniteDifferences() throws {
        let family = try MLPClassificationFamily(data: syntheticData(count: 40, seed: 1), sizes: [6, 5, 4, 3], nodes: 2, samplesPerNode: 8, batchSize: 4, seed: 3)
        let p = try family.instance(.train, index: 0)
        XCTAssertEqual(p.dimension, 6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3)
        let x = p.initialPoint
        for s in 0..<2 {
            let g = p.gradient(shard: s, at: x)
            XCTAssertGreaterThan(g.norm(), 0)
            XCTAssertLessThan(relativeError(g, numericGradient(x) { p.smoothValue(shard: s, at: $0) }), 1e3 * fdTolerance,
                              "smooth between ReLU kinks: central differences are O(h²) accurate there")
            XCTAssertEqual(try p.lossAndGradient(at: x, images: p.nodeData[s].images, labels: p.nodeData[s].labels).loss, p.smoothValue(shard: s, at: x))
        }
        // The full-node minibatch (batch = N) is the full gradient; smaller batches differ.
        var big = p
        big.batchSize = 8
        var rng = RandomState(seed: 5)
        XCTAssertLessThan(relativeError(big.minibatchGradient(shard: 1, at: x, rng: &rng).gradient, p.gradient(shard: 1, at: x)), 1e2 * Double.epsilon)
        XCTAssertGreaterThan(p.minibatchGradient(shard: 1, at: x, rng: &rng).gradient.maxAbsDifference(p.gradient(shard: 1, at: x)), 0)
        // The HVP approximation agrees with a directional difference of the gradient.
        let v = Tensor<Double>.normal([p.dimension], seed: 6)
        let hv = p.hessianVectorProduct(shard: 0, at: x, direction: v)
        XCTAssertLessThan(relativeError(hv, numericDirectional(x, v) { p.gradient(shard: 0, at: $0) }), 1e-4)
    }

    func testGradientDescentLowersTheLossAndNodesHoldDisjointSamples() throws {
        let data = try syntheticData(count: 60, seed: 2)
        let family = try MLPClassificationFamily(data: data, sizes: [6, 8, 3], nodes: 3, samplesPerNode: 20, seed: 4)
        let p = try family.instance(.test, index: 1)
        // Together the nodes hold 60 distinct samples (a permutation of the data).
        let all = p.nodeData.flatMap { d in (0..<d.count).map { Array(d.images.scalars[($0 * 6)..<($0 * 6 + 6)]) } }
        XCTAssertEqual(Set(all.map { $0.description }).count, 60)
        var x = p.initialPoint
        let start = p.value(x)
        for _ in 0..<100 { x = x - p.smoothGradient(at: x) * 0.5 }
        XCTAssertLessThan(p.value(x), start * 0.9)
        let acc = try p.accuracy(at: x, on: data)
        XCTAssertGreaterThan(acc, 0.5, "better than chance (1/3) on the training data")
        XCTAssertEqual(try family.instance(.test, index: 1).initialPoint, p.initialPoint, "deterministic")
        XCTAssertNotEqual(try family.instance(.train, index: 1).initialPoint, p.initialPoint)
    }

    func testPaperArchitectureHas13002Parameters() throws {
        let images = Tensor<Float>.uniform([4, 784], seed: 1)
        let data = try ImageClassificationData(images: images, labels: [0, 1, 2, 3], height: 28, width: 28, classCount: 10)
        let family = try MLPClassificationFamily(data: data, nodes: 2, samplesPerNode: 2, seed: 1)
        XCTAssertEqual(try family.instance(.train, index: 0).dimension, 13_002)
        XCTAssertEqual(family.name, "MLP(2,784-16-16-10,2,0)")
        XCTAssertThrowsError(try MLPClassificationFamily(data: data, nodes: 3, samplesPerNode: 2, seed: 1)) {
            XCTAssertTrue("\($0)".contains("need 6, the data has 4"), "\($0)")
        }
    }

    func testFashionMNISTWhenInstalled() throws {
        let dir = MNISTFormat.fashionMNISTDirectory
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dir + "/t10k-images-idx3-ubyte.gz"),
                          "Debian dataset-fashion-mnist is not installed")
        let test = try MNISTFormat.load(Float.self, directory: dir, train: false)
        let family = try MLPClassificationFamily(data: test, nodes: 2, samplesPerNode: 500, seed: 1)
        let p = try family.instance(.train, index: 0)
        var x = p.initialPoint
        var rng = RandomState(seed: 2)
        for k in 0..<60 { x = x - p.minibatchGradient(shard: k % 2, at: x, rng: &rng).gradient * 0.5 }
        XCTAssertGreaterThan(try p.accuracy(at: x, on: test.slice(9000..<10000)), 0.3, "well above chance (0.1) after 60 SGD steps")
    }
}
