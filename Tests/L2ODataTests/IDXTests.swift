import Foundation
import XCTest
import L2OCore
@testable import L2OData

final class IDXTests: TemporaryDirectoryTestCase {
    func testEveryElementTypeRoundTripsCompressedAndPlain() throws {
        let arrays: [IDXArray] = try [
            IDXArray(shape: [2, 3], elements: .uint8([0, 1, 127, 128, 254, 255])),
            IDXArray(shape: [3], elements: .int8([-128, 0, 127])),
            IDXArray(shape: [2], elements: .int16([-30000, 12345])),
            IDXArray(shape: [2, 1], elements: .int32([Int32.min, 7])),
            IDXArray(shape: [2], elements: .float32([-1.5, .ulpOfOne])),
            IDXArray(shape: [1, 1, 2], elements: .float64([.pi, -0.0])),
            IDXArray(shape: [0], elements: .uint8([])),
        ]
        for (k, a) in arrays.enumerated() {
            for compressed in [true, false] {
                let p = path("a\(k)\(compressed ? ".gz" : "")")
                try IDX.write(a, to: p, compressed: compressed)
                XCTAssertEqual(try IDX.read(path: p), a)
            }
        }
        // The byte layout of the format: magic, big-endian extents, big-endian elements.
        XCTAssertEqual(IDX.encode(arrays[2]), [0, 0, 0x0B, 1, 0, 0, 0, 2, 0x8A, 0xD0, 0x30, 0x39])
        XCTAssertEqual(arrays[0].tensor(Double.self, scale: 1.0 / 255).scalars.last, 1)
        XCTAssertEqual(arrays[1].tensor(Float.self).scalars, [-128, 0, 127])
    }

    func testMalformedFilesGiveClearErrors() throws {
        XCTAssertThrowsError(try IDX.decode([0, 0, 8])) { XCTAssertTrue("\($0)".contains("shorter than the 4-byte magic")) }
        XCTAssertThrowsError(try IDX.decode([1, 0, 8, 1, 0, 0, 0, 0])) { XCTAssertTrue("\($0)".contains("magic starts with 0x0100")) }
        XCTAssertThrowsError(try IDX.decode([0, 0, 0x42, 1, 0, 0, 0, 0])) { XCTAssertTrue("\($0)".contains("unknown element type 0x42")) }
        XCTAssertThrowsError(try IDX.decode([0, 0, 8, 1, 0, 0, 0, 3, 1, 2])) { XCTAssertTrue("\($0)".contains("truncated or extra data")) }
        XCTAssertThrowsError(try IDX.decode([0, 0, 8, 2, 0, 0])) { XCTAssertTrue("\($0)".contains("header of rank 2 is truncated")) }
        // A damaged gzip stream.
        let good = path("g.gz")
        try IDX.write(IDXArray(shape: [4096], elements: .uint8((0..<4096).map { UInt8($0 % 251) })), to: good)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good)))
        bytes.removeLast(bytes.count / 2)
        let bad = path("bad.gz")
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        XCTAssertThrowsError(try IDX.read(path: bad))
        XCTAssertThrowsError(try IDX.read(path: path("missing.gz"), hint: "install X")) {
            XCTAssertEqual($0 as? DataError, .fileNotFound(path: self.path("missing.gz"), hint: "install X"))
        }
        XCTAssertThrowsError(try IDXArray(shape: [2, 2], elements: .uint8([1])))
        // Dimensions whose product overflows (2³¹·2³¹·4 wraps to 0): refused, not read out of bounds.
        let hostile: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 4, 0x80, 0, 0, 0, 0x80, 0, 0, 0]
        XCTAssertThrowsError(try IDX.decode(hostile)) { XCTAssertTrue("\($0)".contains("more elements than a 64-bit count holds"), "\($0)") }
        XCTAssertThrowsError(try IDXArray(shape: [1 << 62, 4], elements: .uint8([])))
    }

    func writeMNIST(prefix: String, count: Int, labels: [UInt8]? = nil) throws {
        let pixels = (0..<(count * 28 * 28)).map { UInt8(($0 * 7) % 256) }
        try IDX.write(IDXArray(shape: [count, 28, 28], elements: .uint8(pixels)), to: path("\(prefix)-images-idx3-ubyte.gz"))
        let l = labels ?? (0..<count).map { UInt8($0 % 10) }
        try IDX.write(IDXArray(shape: [l.count], elements: .uint8(l)), to: path("\(prefix)-labels-idx1-ubyte.gz"))
    }

    func testMNISTFormatLoaderOnSmallFiles() throws {
        try writeMNIST(prefix: "train", count: 12)
        try writeMNIST(prefix: "t10k", count: 5)
        let train = try MNISTFormat.load(Float.self, directory: directory.path, train: true)
        XCTAssertEqual(train.images.shape, [12, 784])
        XCTAssertEqual(train.labels, (0..<12).map { $0 % 10 })
        XCTAssertEqual(train.images.scalars[1], 7.0 / 255)
        XCTAssertLessThanOrEqual(train.images.max(), 1)
        XCTAssertEqual(try MNISTFormat.load(Double.self, directory: directory.path, train: false).count, 5)
        XCTAssertEqual(train.slice(2..<4).labels, [2, 3])
        // Mismatched counts and bad labels are reported.
        try writeMNIST(prefix: "train", count: 3, labels: [1, 2])
        XCTAssertThrowsError(try MNISTFormat.load(Float.self, directory: directory.path, train: true)) {
            XCTAssertEqual($0 as? DataError, .inconsistent(detail: "3 images but 2 labels"))
        }
        try writeMNIST(prefix: "train", count: 2, labels: [1, 10])
        XCTAssertThrowsError(try MNISTFormat.load(Float.self, directory: directory.path, train: true))
    }

    func testMissingDatasetSaysWhatToInstall() {
        XCTAssertThrowsError(try MNISTFormat.load(Float.self, directory: path("nowhere"), train: true)) {
            XCTAssertTrue("\($0)".contains("dataset-fashion-mnist"), "\($0)")
        }
    }

    func testRealFashionMNISTWhenInstalled() throws {
        let dir = MNISTFormat.fashionMNISTDirectory
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dir + "/t10k-labels-idx1-ubyte.gz"),
                          "Debian dataset-fashion-mnist is not installed")
        let test = try MNISTFormat.load(Float.self, directory: dir, train: false)
        XCTAssertEqual(test.images.shape, [10000, 784])
        XCTAssertEqual(Set(test.labels), Set(0..<10))
    }
}
