import XCTest
import L2OCore
@testable import L2ONN

final class ResNetTests: XCTestCase {
    func testGlobalAveragePoolAndResNetGradients() throws {
        let pooled = gradientCheck([.normal([2, 3, 4, 5], seed: 1)]) { try! globalAveragePool2d($0[0]) }
        XCTAssertTrue(pooled.passed, "\(pooled)")
        let x = Tensor<Double>.normal([2, 3, 2, 2], seed: 2)
        let y = try globalAveragePool2d(Variable(constant: x)).value
        XCTAssertEqual(y.shape, [2, 3])
        XCTAssertEqual(y.scalars[4], (0..<4).map { x.scalars[16 + $0] }.reduce(0, +) / 4, accuracy: 1e-15)
        var r = RandomState(seed: 4)
        let net = try ResNet<Double>(inChannels: 2, widths: [2, 3], classCount: 3, rng: &r)
        checkModuleGradients(net, inputs: [.normal([3, 2, 4, 4], seed: 5)], tolerance: 1e-5) { m, x, ctx in try m(x[0], context: ctx) }
        XCTAssertThrowsError(try net(Variable(constant: .zeros([1, 3, 4, 4]))))
        XCTAssertThrowsError(try globalAveragePool2d(Variable(constant: Tensor<Double>.zeros([2, 3]))))
    }

    func testRunningStatisticsTrackingAndMomentum() throws {
        let x = Variable(constant: Tensor<Double>.normal([4, 2, 3, 3], mean: 1, seed: 6))
        let bn = try BatchNorm<Double>(featureCount: 2)
        bn.tracksRunningStatistics = false
        let off = try bn(x).value
        XCTAssertEqual(bn.runningMean.value, .zeros([2]), "not tracking: the buffers stay as they were")
        XCTAssertEqual(bn.runningVariance.value, .ones([2]))
        bn.tracksRunningStatistics = true
        XCTAssertEqual(try bn(x).value, off, "tracking does not change the training-mode output")
        XCTAssertNotEqual(bn.runningMean.value, .zeros([2]))
        // Momentum 1: the running statistics are exactly the last batch's (unbiased variance).
        var r = RandomState(seed: 7)
        let net = try ResNet<Double>(inChannels: 2, widths: [2], classCount: 2, batchNormMomentum: 1, rng: &r)
        XCTAssertTrue(net.batchNormLayers.allSatisfy { $0.momentum == 1 })
        XCTAssertEqual(net.batchNormLayers.count, 3, "stem + two in the block")
        _ = try net(x)
        let h = try net.conv1(x).value  // what the stem's BatchNorm sees: [4, 2, 3, 3]
        for c in 0..<2 {
            let v = (0..<4).flatMap { n in (0..<9).map { h.scalars[(n * 2 + c) * 9 + $0] } }
            let mean = v.reduce(0, +) / 36
            let unbiased = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 35
            XCTAssertEqual(net.bn1.runningMean.value.scalars[c], mean, accuracy: 1e-12)
            XCTAssertEqual(net.bn1.runningVariance.value.scalars[c], unbiased, accuracy: 1e-12)
        }
        net.trackRunningStatistics(false)
        XCTAssertTrue(net.batchNormLayers.allSatisfy { !$0.tracksRunningStatistics })
    }
}
