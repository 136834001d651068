import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// A LASSO instance set with count 2, n 3, N 4, d 5 and reference optima.
func sampleInstanceSet<S: TensorScalar>(_ type: S.Type, problem: ProblemInstanceSet<S>.Problem = .lasso) throws -> ProblemInstanceSet<S> {
    var rng = RandomState(seed: 3)
    func values(_ n: Int) -> [S] { (0..<n).map { _ in S(Double(rng.next() % 1000) / 100 - 5) } }
    return try ProblemInstanceSet(
        problem: problem, lambda: 0.1,
        A: Tensor(shape: [2, 3, 4, 5], scalars: values(120)), b: Tensor(shape: [2, 3, 4], scalars: values(24)),
        xStar: Tensor(shape: [2, 5], scalars: values(10)), fStar: Tensor([1.5, 2.5]), seed: 77)
}

/// Problem-instance sets: round trips, validation, and files from other tools.
final class InstanceSetTests: XCTestCase {
    func testRoundTripInBothPrecisions() throws {
        let folder = try makeTemporaryFolder(self)
        let float = try sampleInstanceSet(Float.self)
        try float.write(to: folder.appendingPathComponent("f.h5"))
        XCTAssertEqual(try ProblemInstanceSet<Float>.read(from: folder.appendingPathComponent("f.h5"), problem: .lasso), float)
        let double = try sampleInstanceSet(Double.self, problem: .logistic)
        try double.write(to: folder.appendingPathComponent("d.h5"))
        let back = try ProblemInstanceSet<Double>.read(from: folder.appendingPathComponent("d.h5"))
        XCTAssertEqual(back, double)
        XCTAssertEqual([back.count, back.nodes, back.samplesPerNode, back.dimension], [2, 3, 4, 5])
        XCTAssertEqual(back.seed, 77)
        let second = back.instance(1)
        XCTAssertEqual(second.A.shape, [3, 4, 5])
        XCTAssertEqual(second.A.scalars, Array(double.A.scalars[60..<120]))
        XCTAssertEqual(second.b.scalars, Array(double.b.scalars[12..<24]))
        XCTAssertEqual(second.xStar?.scalars, Array(double.xStar?.scalars[5..<10] ?? []))
        XCTAssertEqual(second.fStar, 2.5)
    }

    func testValidationRejectsInconsistentSets() throws {
        let good = try sampleInstanceSet(Double.self)
        var badB = good
        badB.b = Tensor.zeros([2, 3, 5])
        XCTAssertEqual(assertCheckpointError(try badB.validate()),
                       .shapeMismatch(file: "(in memory)", dataset: "/b", expected: [2, 3, 4], found: [2, 3, 5]))
        var badX = good
        badX.xStar = Tensor.zeros([2, 4])
        XCTAssertEqual(assertCheckpointError(try badX.validate()),
                       .shapeMismatch(file: "(in memory)", dataset: "/x_star", expected: [2, 5], found: [2, 4]))
        var badF = good
        badF.fStar = Tensor([1])
        guard case .shapeMismatch? = assertCheckpointError(try badF.validate()) else { return XCTFail() }
        var nonFinite = good
        nonFinite.A.scalars[7] = .nan
        XCTAssertEqual(assertCheckpointError(try nonFinite.validate()), .nonFiniteValues(file: "(in memory)", dataset: "/A", count: 1))
        var negative = good
        negative.lambda = -1
        guard case .invalidInstanceSet? = assertCheckpointError(try negative.validate()) else { return XCTFail() }
        var flat = good
        flat.A = Tensor.zeros([2, 60])
        guard case .invalidInstanceSet? = assertCheckpointError(try flat.validate()) else { return XCTFail() }
        let url = try makeTemporaryFolder(self).appendingPathComponent("bad.h5")
        guard case .shapeMismatch? = assertCheckpointError(try badB.write(to: url)) else { return XCTFail() }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "invalid sets are never written")
    }

    func testForeignFileWithMinimalSchemaAndFloat64DataLoadsAsFloat() throws {
        // What a user writes by hand with another tool: no format attributes, float64 data, lambda as integer.
        let url = try makeTemporaryFolder(self).appendingPathComponent("foreign.h5")
        let root = HDF5Group(
            attributes: ["problem": .string("logistic"), "lambda": .integer(1)],
            children: [
                "A": .dataset(HDF5Dataset(.float64(Tensor(shape: [1, 2, 2, 1], scalars: [0.1, 0.2, 0.3, 0.4])))),
                "b": .dataset(HDF5Dataset(.float64(Tensor(shape: [1, 2, 2], scalars: [1, 0, 0, 1])))),
            ])
        try HDF5File.write(root, to: url)
        let set = try ProblemInstanceSet<Float>.read(from: url)
        XCTAssertEqual(set.problem, .logistic)
        XCTAssertEqual(set.lambda, 1)
        XCTAssertEqual(set.A.scalars, [0.1, 0.2, 0.3, 0.4])
        XCTAssertNil(set.xStar)
        XCTAssertEqual(assertCheckpointError(try ProblemInstanceSet<Float>.read(from: url, problem: .lasso)),
                       .wrongKind(file: url.path, expected: "lasso", found: "logistic"))
    }

    func testSchemaViolationsInFiles() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("v.h5")
        let good = try sampleInstanceSet(Double.self).hdf5Root()
        func expect(_ mutate: (inout HDF5Group) -> Void) throws -> CheckpointError? {
            var root = good
            mutate(&root)
            try HDF5File.write(root, to: url)
            return assertCheckpointError(try ProblemInstanceSet<Double>.read(from: url))
        }
        XCTAssertEqual(try expect { $0.children["b"] = nil }, .missingDataset(file: url.path, dataset: "/b"))
        XCTAssertEqual(try expect { $0.attributes["lambda"] = nil }, .missingAttribute(file: url.path, object: "/", attribute: "lambda"))
        XCTAssertEqual(try expect { $0.attributes["format"] = .string("l2o-checkpoint") },
                       .wrongFormat(file: url.path, expected: "l2o-instances", found: "l2o-checkpoint"))
        XCTAssertEqual(try expect { $0.children["x_star"] = .dataset(HDF5Dataset(.float64(Tensor.zeros([3, 5])))) },
                       .shapeMismatch(file: url.path, dataset: "/x_star", expected: [2, 5], found: [3, 5]))
        guard case .attributeTypeMismatch? = try expect({ $0.attributes["problem"] = .string("svm") }) else { return XCTFail() }
        // A checkpoint is not an instance set.
        try sampleResumeCheckpoint().write(to: url)
        guard case .wrongFormat? = assertCheckpointError(try ProblemInstanceSet<Double>.read(from: url)) else { return XCTFail() }
    }
}
