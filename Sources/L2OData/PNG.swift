import CPNG
import Foundation
import L2OCore

/// An 8-bit image decoded from a PNG file: `height × width` pixels of `channels` interleaved
/// samples, rows top to bottom. `channels` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
public struct PNGImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// Row-major samples, `pixels[(y·width + x)·channels + c]`.
    public var pixels: [UInt8]

    /// Checks `channels ∈ 1…4`, positive extents and `pixels.count = width·height·channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard (1...4).contains(channels), width >= 1, height >= 1, pixels.count == width * height * channels else {
            throw DataError.inconsistent(
                detail: "a PNG image needs 1…4 channels, positive extents and width·height·channels samples; got \(width)×\(height)×\(channels) with \(pixels.count) samples")
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Whether the image has colour channels (RGB or RGBA).
    public var isColor: Bool { channels >= 3 }

    /// The luminance in [0, 1], shape `[height, width]`:
    /// ```
    /// gray:  Y = G/255
    /// color: Y = (0.2126·R + 0.7152·G + 0.0722·B)/255      (Rec. 709 luma weights)
    /// ```
    /// An alpha channel is ignored (the stored colour values are used as they are).
    public func grayscale<S: TensorScalar>(_: S.Type = S.self) -> Tensor<S> {
        let c = channels, color = isColor
        return Tensor(shape: [height, width]) { out in
            pixels.withUnsafeBufferPointer { p in
                for i in 0..<(width * height) {
                    let base = i * c
                    let y = color
                        ? (0.2126 * Double(p[base]) + 0.7152 * Double(p[base + 1]) + 0.0722 * Double(p[base + 2])) / 255
                        : Double(p[base]) / 255
                    out[i] = S(y)
                }
            }
        }
    }
}

/// PNG files through libpng's simplified API (`png_image_*`; Debian `libpng-dev`).
///
/// Reading keeps the file's own layout (gray or colour, with or without alpha) at 8 bits per
/// sample: palette images are expanded to RGB(A), low bit depths to 8 bits, 16-bit samples are
/// converted to 8-bit sRGB values by libpng.
public enum PNG {
    /// Decodes `path`. Throws `fileNotFound` (with `hint`) or `malformed` with libpng's message.
    public static func read(path: String, hint: String = "check the path") throws -> PNGImage {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileNotFound(path: path, hint: hint) }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw DataError.malformed(path: path, detail: "libpng: \(message(image))")
        }
        defer { png_image_free(&image) }
        let native = image.format
        let alpha = native & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let color = native & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        image.format = format(color: color, alpha: alpha)
        let channels = (color ? 3 : 1) + (alpha ? 1 : 0)
        let (width, height) = (Int(image.width), Int(image.height))
        guard width >= 1, height >= 1, width * height <= 1 << 28 else {
            throw DataError.malformed(path: path, detail: "image of \(width)×\(height) pixels is empty or too large")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        guard l2o_png_image_size(&image) == pixels.count else {
            throw DataError.malformed(path: path, detail: "libpng reports an unexpected buffer size for \(width)×\(height)×\(channels)")
        }
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw DataError.malformed(path: path, detail: "libpng: \(message(image))") }
        return try PNGImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Writes `image` as an 8-bit PNG (gray, gray + alpha, RGB or RGBA after `channels`).
    public static func write(_ image: PNGImage, to path: String) throws {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = format(color: image.isColor, alpha: image.channels % 2 == 0)
        let ok = image.pixels.withUnsafeBytes { png_image_write_to_file(&png, path, 0, $0.baseAddress, 0, nil) }
        defer { png_image_free(&png) }
        guard ok != 0 else { throw DataError.writeFailed(path: path, detail: "libpng: \(message(png))") }
    }

    /// The simplified API's 8-bit format code.
    static func format(color: Bool, alpha: Bool) -> UInt32 {
        (color ? UInt32(PNG_FORMAT_FLAG_COLOR) : 0) | (alpha ? UInt32(PNG_FORMAT_FLAG_ALPHA) : 0)
    }

    static func message(_ image: png_image) -> String {
        var copy = image
        return String(cString: l2o_png_image_message(&copy))
    }
}
