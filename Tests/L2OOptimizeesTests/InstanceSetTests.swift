import Foundation
import XCTest
import L2OCore
import L2OCheckpoint
@testable import L2OOptimizees

/// Instances → `ProblemInstanceSet` → HDF5 file → back, as `l2o problems generate` does.
final class InstanceSetTests: XCTestCase {
    func testLASSORoundTripThroughAnHDF5File() throws {
        let family = try LASSOFamily<Double>(nodes: 2, dimension: 6, samplesPerNode: 3, lambda: 0.1, seed: 21)
        let instances = try family.instances(.test, count: 3).map { try $0.withReferenceOptimum() }
        let batch = try ProblemInstanceSet(instances, seed: family.seed)
        XCTAssertEqual(batch.A.shape, [3, 2, 3, 6])
        XCTAssertEqual(batch.fStar?.shape, [3])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-optimizees-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: url) }
        try batch.write(to: url)
        let back = try ProblemInstanceSet<Double>.read(from: url, problem: .lasso).lassoInstances()
        XCTAssertEqual(back.count, 3)
        for (a, b) in zip(back, instances) {
            XCTAssertEqual(a.A, b.A)
            XCTAssertEqual(a.b, b.b)
            XCTAssertEqual(a.lambda, b.lambda)
            let opt = try XCTUnwrap(a.referenceOptimum)
            XCTAssertEqual(opt.x, b.referenceOptimum!.x)
            XCTAssertEqual(opt.value, b.referenceOptimum!.value)
            XCTAssertLessThanOrEqual(opt.kktResidual, 1e-12, "the stored optimum is re-certified on load")
        }
        XCTAssertThrowsError(try batch.logisticInstances())
    }

    func testLogisticBatchWithoutOptimaAndMismatchedShapes() throws {
        let small = try LogisticFamily<Float>(nodes: 2, dimension: 4, samplesPerNode: 3, lambda: 0.1, seed: 1)
        let batch = try ProblemInstanceSet(small.instances(.train, count: 2))
        XCTAssertNil(batch.xStar)
        XCTAssertEqual(try batch.logisticInstances().map(\.b), try small.instances(.train, count: 2).map(\.b))
        let other = try LogisticFamily<Float>(nodes: 2, dimension: 5, samplesPerNode: 3, lambda: 0.1, seed: 1).instance(.train, index: 0)
        XCTAssertThrowsError(try ProblemInstanceSet([small.instance(.train, index: 0), other]))
        XCTAssertThrowsError(try ProblemInstanceSet([LASSO<Float>]()))
    }
}
