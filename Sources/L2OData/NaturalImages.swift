import Foundation
import L2OCore

/// A named grayscale image with values in [0, 1], shape `[height, width]`.
public struct GrayImage: Sendable, Equatable {
    public var name: String
    public var pixels: Tensor<Double>
    public var height: Int { pixels.shape[0] }
    public var width: Int { pixels.shape[1] }

    public init(name: String, pixels: Tensor<Double>) throws {
        guard pixels.rank == 2, pixels.count > 0 else {
            throw DataError.inconsistent(detail: "image \(name) must be a non-empty [height, width] array, got \(pixels.shape)")
        }
        self.name = name
        self.pixels = pixels
    }
}

/// The natural photographs and textures Debian's `python3-skimage` ships as PNG files
/// (`skimage/data/*.png`), a stand-in for BSDS500 in sparse-coding experiments. `make data`
/// extracts just these files from the package's `.deb` into `Data/natural-images` (the package
/// itself pulls in a large Python stack and is not installed).
public enum NaturalImages {
    /// The images the patch dictionaries are drawn from.
    public static let dictionaryImages = ["astronaut", "brick", "chelsea", "coffee", "grass"]
    /// The images the target patches are drawn from (disjoint from `dictionaryImages`).
    public static let targetImages = ["camera", "coins", "gravel", "moon"]
    /// Every file `make data` extracts.
    public static var allImages: [String] { dictionaryImages + targetImages }

    public static let hint = "run `make deps` (or `make data`), which downloads the Debian package python3-skimage with apt-get download and extracts its PNG images into Data/natural-images; or set L2O_DATA_DIR to a directory containing natural-images/"

    /// Reads `name.png` from `directory` as grayscale (`PNGImage.grayscale`).
    public static func load(_ name: String, directory: String = DataDirectory.path("natural-images"), hint: String = NaturalImages.hint) throws -> GrayImage {
        let path = (directory as NSString).appendingPathComponent(name + ".png")
        return try GrayImage(name: name, pixels: PNG.read(path: path, hint: hint).grayscale(Double.self))
    }

    /// Reads every image of `names`.
    public static func load(_ names: [String], directory: String = DataDirectory.path("natural-images"), hint: String = NaturalImages.hint) throws -> [GrayImage] {
        try names.map { try load($0, directory: directory, hint: hint) }
    }
}
