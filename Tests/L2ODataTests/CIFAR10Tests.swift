import Foundation
import XCTest
import L2OCore
@testable import L2OData

final class CIFAR10Tests: TemporaryDirectoryTestCase {
    /// A record whose pixel at (channel c, row y, column x) is `(c·64 + y·2 + x) mod 256`.
    func record(label: UInt8) -> [UInt8] {
        var r = [label]
        for c in 0..<3 { for y in 0..<32 { for x in 0..<32 { r.append(UInt8((c * 64 + y * 2 + x) % 256)) } } }
        return r
    }

    func testRecordsDecodeChannelMajorAndScaled() throws {
        let bytes = record(label: 7) + record(label: 0) + [3] + [UInt8](repeating: 255, count: 3072)
        let path = directory.appendingPathComponent("test_batch.bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let data = try CIFAR10.load(Double.self, directory: directory.path, train: false)
        XCTAssertEqual(data.labels, [7, 0, 3])
        XCTAssertEqual(data.images.shape, [3, 3072])
        XCTAssertEqual([data.channels, data.height, data.width, data.classCount], [3, 32, 32, 10])
        // Row layout: channel planes, each row-major — element c·1024 + y·32 + x.
        for (c, y, x) in [(0, 0, 0), (0, 5, 9), (1, 31, 31), (2, 17, 4)] {
            XCTAssertEqual(data.images.scalars[c * 1024 + y * 32 + x], Double((c * 64 + y * 2 + x) % 256) / 255)
        }
        XCTAssertEqual(data.images.rows(2..<3).scalars, [Double](repeating: 1, count: 3072))
    }

    func testTrainingBatchesConcatenateAndBadFilesFail() throws {
        for k in 1...5 {
            try Data(record(label: UInt8(k))).write(to: directory.appendingPathComponent("data_batch_\(k).bin"))
        }
        let train = try CIFAR10.load(Float.self, directory: directory.path, train: true)
        XCTAssertEqual(train.labels, [1, 2, 3, 4, 5])
        // Truncated file, bad label, missing file.
        let cut = directory.appendingPathComponent("cut.bin").path
        try Data(Array(record(label: 1).dropLast())).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try CIFAR10.read(path: cut, Float.self)) {
            XCTAssertTrue("\($0)".contains("3072 bytes is not a positive multiple of the 3073-byte record"), "\($0)")
        }
        XCTAssertThrowsError(try CIFAR10.decode(record(label: 1) + record(label: 10), Float.self)) {
            XCTAssertTrue("\($0)".contains("record 1 has label 10"), "\($0)")
        }
        XCTAssertThrowsError(try CIFAR10.decode([], Float.self))
        XCTAssertThrowsError(try CIFAR10.load(Float.self, directory: directory.path, train: false)) {
            guard case .fileNotFound(_, let hint)? = $0 as? DataError else { return XCTFail("\($0)") }
            XCTAssertTrue(hint.contains("Fashion-MNIST"))
        }
    }
}
