import Foundation
import XCTest
import L2OCore
@testable import L2OData

final class PNGTests: TemporaryDirectoryTestCase {
    /// Writes base64 bytes of a PNG built by hand (signature, IHDR, PLTE, IDAT, IEND) to `name`.
    func file(_ name: String, base64: String) throws -> String {
        let p = path(name)
        try XCTUnwrap(Data(base64Encoded: base64)).write(to: URL(fileURLWithPath: p))
        return p
    }

    func testKnownFilesDecodeToTheirPixels() throws {
        // 3×2, 8-bit gray, rows [0, 128, 255] and [17, 34, 51].
        let gray = try PNG.read(path: file("gray.png", base64: "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAAAAAC4HznGAAAAEElEQVR4nGNgaPjPIKhkDAAIrQHmNPU/vAAAAABJRU5ErkJggg=="))
        XCTAssertEqual(gray, try PNGImage(width: 3, height: 2, channels: 1, pixels: [0, 128, 255, 17, 34, 51]))
        XCTAssertEqual(gray.grayscale(Double.self), Tensor(shape: [2, 3], scalars: [0, 128, 255, 17, 34, 51].map { Double($0) / 255 }))
        // 2×2 palette image at 2 bits per pixel: red, green / blue, white.
        let palette = try PNG.read(path: file("palette.png", base64: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACAgMAAAAP2OW3AAAADFBMVEX/AAAA/wAAAP/////7AGD2AAAADElEQVR4nGMQYNgAAADkAMEnqOhXAAAAAElFTkSuQmCC"))
        XCTAssertEqual(palette, try PNGImage(width: 2, height: 2, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]))
        let luma = palette.grayscale(Double.self)
        XCTAssertEqual(luma.scalars[0], 0.2126, accuracy: 1e-15)
        XCTAssertEqual(luma.scalars[1], 0.7152, accuracy: 1e-15)
        XCTAssertEqual(luma.scalars[2], 0.0722, accuracy: 1e-15)
        XCTAssertEqual(luma.scalars[3], 1, accuracy: 1e-15)
        // 2×1 16-bit gray (0 and 65535) becomes 8 bits.
        let deep = try PNG.read(path: file("gray16.png", base64: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABEAAAAACB2fwVAAAADUlEQVR4nGNgYPj/HwADAgH/5ncLrgAAAABJRU5ErkJggg=="))
        XCTAssertEqual(deep.pixels, [0, 255])
    }

    func testEveryLayoutRoundTripsThroughLibpng() throws {
        var rng = RandomState(seed: 3)
        for channels in 1...4 {
            let (w, h) = (5, 3)
            let pixels = (0..<(w * h * channels)).map { _ in UInt8(rng.int(below: 256)) }
            let image = try PNGImage(width: w, height: h, channels: channels, pixels: pixels)
            let p = path("c\(channels).png")
            try PNG.write(image, to: p)
            XCTAssertEqual(try PNG.read(path: p), image, "\(channels) channel(s)")
            let y = image.grayscale(Float.self)
            XCTAssertEqual(y.shape, [h, w])
            XCTAssertTrue(y.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        // Alpha is ignored: RGBA and RGB with the same colours have the same luminance.
        let rgba = try PNGImage(width: 1, height: 1, channels: 4, pixels: [10, 200, 30, 0])
        let rgb = try PNGImage(width: 1, height: 1, channels: 3, pixels: [10, 200, 30])
        XCTAssertEqual(rgba.grayscale(Double.self), rgb.grayscale(Double.self))
        XCTAssertEqual(rgb.grayscale(Double.self).scalars[0], (0.2126 * 10 + 0.7152 * 200 + 0.0722 * 30) / 255, accuracy: 1e-15)
    }

    func testBadFilesGiveClearErrors() throws {
        XCTAssertThrowsError(try PNG.read(path: path("missing.png"), hint: "install X")) {
            XCTAssertEqual($0 as? DataError, .fileNotFound(path: self.path("missing.png"), hint: "install X"))
        }
        let junk = path("junk.png")
        try Data("not a png at all".utf8).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try PNG.read(path: junk)) { error in
            guard case .malformed(let p, let detail)? = error as? DataError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, junk)
            XCTAssertTrue(detail.hasPrefix("libpng: "), detail)
        }
        // A truncated image stream.
        let good = try PNGImage(width: 64, height: 64, channels: 1, pixels: (0..<4096).map { UInt8(($0 * 7) % 256) })
        try PNG.write(good, to: path("good.png"))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path("good.png"))))
        bytes.removeLast(bytes.count / 2)
        try Data(bytes).write(to: URL(fileURLWithPath: path("cut.png")))
        XCTAssertThrowsError(try PNG.read(path: path("cut.png")))
        XCTAssertThrowsError(try PNGImage(width: 2, height: 2, channels: 5, pixels: [UInt8](repeating: 0, count: 20)))
        XCTAssertThrowsError(try PNGImage(width: 2, height: 2, channels: 1, pixels: [0]))
        XCTAssertThrowsError(try PNG.write(good, to: path("no/such/dir/x.png"))) {
            guard case .writeFailed? = $0 as? DataError else { return XCTFail("\($0)") }
        }
    }

    func testShippedImagesWhenFetched() throws {
        let dir = realDataDirectory("natural-images")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dir + "/camera.png"), "run `make data` to fetch the natural images")
        let images = try NaturalImages.load(NaturalImages.allImages, directory: dir)
        XCTAssertEqual(images.map(\.name), NaturalImages.allImages)
        let camera = images.first { $0.name == "camera" }!
        XCTAssertEqual(camera.pixels.shape, [512, 512])
        for image in images {
            XCTAssertGreaterThanOrEqual(image.pixels.min(), 0)
            XCTAssertLessThanOrEqual(image.pixels.max(), 1)
            XCTAssertGreaterThan(image.pixels.max() - image.pixels.min(), 0.3, "\(image.name) has contrast")
        }
        XCTAssertTrue(try PNG.read(path: dir + "/astronaut.png").isColor)
        XCTAssertThrowsError(try NaturalImages.load("camera", directory: directory.path)) {
            XCTAssertTrue("\($0)".contains("make deps"), "\($0)")
        }
    }
}
