import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// Every supported dataset type, shape and attribute type survives write + read bit-exactly.
final class HDF5RoundTripTests: XCTestCase {
    let shapes: [[Int]] = [[], [1], [7], [0], [2, 3], [3, 0], [2, 3, 4], [1, 2, 1, 3], [2, 1, 2, 1, 2]]

    private func roundTrip<S: TensorScalar>(_ type: S.Type) throws {
        let folder = try makeTemporaryFolder(self)
        var root = HDF5Group()
        var expected: [String: Tensor<S>] = [:]
        for (i, shape) in shapes.enumerated() {
            let t = Tensor<S>(shape: shape, scalars: awkwardScalars(shape.reduce(1, *), seed: UInt64(i)))
            expected["rank\(shape.count)/t\(i)"] = t
            try root.insert(.dataset(HDF5Dataset(AnyTensor(t))), at: "rank\(shape.count)/t\(i)")
        }
        let url = folder.appendingPathComponent("tensors.h5")
        try HDF5File.write(root, to: url)
        let back = try HDF5File.read(from: url)
        XCTAssertEqual(back.allDatasets.count, shapes.count)
        for (path, t) in expected {
            guard let stored = back.dataset(at: path)?.tensor else { return XCTFail("missing \(path)") }
            XCTAssertEqual(stored.dtypeName, S.dtypeName, path)
            assertBitIdentical(stored.tensor(as: S.self), t)
        }
    }

    func testFloatTensorsOfEveryRankRoundTripBitExactly() throws { try roundTrip(Float.self) }
    func testDoubleTensorsOfEveryRankRoundTripBitExactly() throws { try roundTrip(Double.self) }

    func testAttributesOfEveryTypeRoundTrip() throws {
        let folder = try makeTemporaryFolder(self)
        let attributes: [String: HDF5AttributeValue] = [
            "empty": .string(""), "unicode": .string("λ = 0.1 · ‖x‖₁ ✓"), "json": .string(#"{"a": [1, 2.5, null]}"#),
            "zero": .integer(0), "min": .integer(.min), "max": .integer(.max), "negative": .integer(-42),
            "pi": .double(.pi), "tiny": .double(.leastNonzeroMagnitude), "negzero": .double(-0.0),
            "inf": .double(-.infinity), "with.dot and space": .double(1e300),
        ]
        let dataset = HDF5Dataset(.float32(Tensor<Float>([1, 2])), attributes: ["unit": .string("m/s"), "n": .integer(3)])
        let root = HDF5Group(
            attributes: attributes,
            children: ["g": .group(HDF5Group(attributes: attributes, children: ["d": .dataset(dataset)]))])
        let url = folder.appendingPathComponent("attrs.h5")
        try HDF5File.write(root, to: url)
        let back = try HDF5File.read(from: url)
        XCTAssertEqual(back, root)
        XCTAssertEqual(back.attributes["negzero"]?.doubleValue?.sign, .minus)
        XCTAssertEqual(back.dataset(at: "g/d")?.attributes["unit"], .string("m/s"))
        // NaN is never == itself, so compare its bit pattern separately.
        let nan = Double(nan: 0x2A, signaling: false)
        try HDF5File.write(HDF5Group(attributes: ["nan": .double(nan)]), to: url)
        XCTAssertEqual(try HDF5File.read(from: url).attributes["nan"]?.doubleValue?.bitPattern, nan.bitPattern)
    }

    func testNestedGroupsMirrorNamesAndEmptyGroupsSurvive() throws {
        let folder = try makeTemporaryFolder(self)
        var root = HDF5Group()
        try root.insert(.dataset(HDF5Dataset(.float64(Tensor<Double>(3)))), at: "milodo/node3/M/lstm/weight")
        try root.insert(.dataset(HDF5Dataset(.float64(Tensor<Double>(4)))), at: "/milodo/node3/M/lstm/bias")
        try root.insert(.group(HDF5Group(attributes: ["note": .string("empty")])), at: "milodo/empty")
        let url = folder.appendingPathComponent("nested.h5")
        try HDF5File.write(root, to: url)
        let back = try HDF5File.read(from: url)
        XCTAssertEqual(back, root)
        XCTAssertEqual(back.group(at: "milodo/node3/M")?.children.keys.sorted(), ["lstm"])
        XCTAssertEqual(back.dataset(at: "milodo/node3/M/lstm/weight")?.tensor, .float64(Tensor<Double>(3)))
        XCTAssertEqual(back.group(at: "milodo/empty")?.children.count, 0)
    }

    func testInsertRejectsConflictsAndMalformedPaths() throws {
        var root = HDF5Group()
        try root.insert(.dataset(HDF5Dataset(.float32(Tensor<Float>(1)))), at: "a/b")
        XCTAssertEqual(assertCheckpointError(try root.insert(.group(HDF5Group()), at: "a/b")),
                       .nameConflict(path: "a/b", reason: "an object with this name already exists"))
        guard case .nameConflict? = assertCheckpointError(try root.insert(.group(HDF5Group()), at: "a/b/c")) else {
            return XCTFail("a dataset must not become a group")
        }
        for bad in ["a//b", "a/./b", "", "x/"] {
            guard case .invalidName? = assertCheckpointError(try root.insert(.group(HDF5Group()), at: bad)) else {
                return XCTFail("\(bad) accepted")
            }
        }
        XCTAssertNotNil(root.dataset(at: "a/b"), "failed inserts must leave the tree unchanged")
    }
}
