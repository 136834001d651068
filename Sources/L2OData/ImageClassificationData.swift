import Foundation
import L2OCore

/// Labelled images flattened to rows: `images [count, height·width·channels]` scaled to [0, 1],
/// `labels` in `0..<classCount`.
public struct ImageClassificationData<Scalar: TensorScalar>: Sendable {
    public var images: Tensor<Scalar>
    public var labels: [Int]
    public var height: Int, width: Int, channels: Int
    public var classCount: Int

    public init(images: Tensor<Scalar>, labels: [Int], height: Int, width: Int, channels: Int = 1, classCount: Int) throws {
        guard images.rank == 2, images.shape[1] == height * width * channels else {
            throw DataError.inconsistent(detail: "images of shape \(images.shape) are not [count, \(height * width * channels)]")
        }
        guard images.shape[0] == labels.count else {
            throw DataError.inconsistent(detail: "\(images.shape[0]) images but \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw DataError.inconsistent(detail: "label \(bad) outside 0..<\(classCount)")
        }
        self.images = images
        self.labels = labels
        self.height = height
        self.width = width
        self.channels = channels
        self.classCount = classCount
    }

    public var count: Int { labels.count }
    public var featureCount: Int { height * width * channels }

    /// Samples `range` (e.g. one node's share).
    public func slice(_ range: Range<Int>) -> ImageClassificationData {
        var copy = self
        copy.images = images.rows(range)
        copy.labels = Array(labels[range])
        return copy
    }
}

/// MNIST-format datasets (gzipped IDX pairs): Fashion-MNIST from Debian `dataset-fashion-mnist`,
/// and the original MNIST in the same layout.
public enum MNISTFormat {
    /// Where Debian's `dataset-fashion-mnist` installs its files.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    public static let fashionMNISTHint = "install the Debian package dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist) or pass the directory holding the four *-ubyte.gz files"

    /// The training (`train-*`, 60,000) or test (`t10k-*`, 10,000) images and labels in `directory`.
    /// Pixels are scaled by 1/255. Throws `fileNotFound` with `hint`, or `malformed`/`inconsistent`.
    public static func load<S: TensorScalar>(
        _: S.Type = S.self, directory: String = fashionMNISTDirectory, train: Bool, hint: String = fashionMNISTHint
    ) throws -> ImageClassificationData<S> {
        let prefix = train ? "train" : "t10k"
        let imagePath = (directory as NSString).appendingPathComponent("\(prefix)-images-idx3-ubyte.gz")
        let labelPath = (directory as NSString).appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz")
        let images = try IDX.read(path: imagePath, hint: hint)
        let labels = try IDX.read(path: labelPath, hint: hint)
        guard images.shape.count == 3, case .uint8 = images.elements else {
            throw DataError.malformed(path: imagePath, detail: "expected UInt8 images of rank 3, got shape \(images.shape)")
        }
        guard labels.shape.count == 1 else {
            throw DataError.malformed(path: labelPath, detail: "expected a rank-1 label array, got shape \(labels.shape)")
        }
        let (count, h, w) = (images.shape[0], images.shape[1], images.shape[2])
        let flat = images.tensor(S.self, scale: 1.0 / 255).reshaped([count, h * w])
        return try ImageClassificationData(images: flat, labels: labels.integers(), height: h, width: w, classCount: 10)
    }
}
