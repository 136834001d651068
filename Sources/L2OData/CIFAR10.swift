import Foundation
import L2OCore

/// The binary version of CIFAR-10 (Krizhevsky, 2009): files `data_batch_1.bin` … `data_batch_5.bin`
/// (10,000 records each) and `test_batch.bin`. A record is 3073 bytes: one label byte (0…9)
/// followed by the 32×32 image as three 1024-byte planes, red, green, blue, each row-major.
///
/// Samples keep that channel-major layout as rows of `ImageClassificationData` (`channels = 3`),
/// pixels scaled by 1/255. CIFAR-10 is not packaged for Debian and cannot be fetched on machines
/// without general network access; the project's ResNet optimizee runs on Fashion-MNIST there.
public enum CIFAR10 {
    public static let side = 32, channels = 3, classCount = 10
    /// Bytes per record: 1 label + 3·32·32 pixels.
    public static let recordSize = 1 + channels * side * side
    public static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"
    public static let hint = "CIFAR-10 is not packaged for Debian: put the binary version (cifar-10-batches-bin) in that directory, or use Fashion-MNIST (Debian dataset-fashion-mnist)"

    /// Decodes the bytes of one batch file; throws `malformed` for a size that is not a whole
    /// number of records or a label outside 0…9.
    public static func decode<S: TensorScalar>(_ bytes: [UInt8], _: S.Type = S.self, source: String = "(in memory)") throws -> ImageClassificationData<S> {
        guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
            throw DataError.malformed(
                path: source, detail: "\(bytes.count) bytes is not a positive multiple of the \(recordSize)-byte record (1 label + 3072 pixels); the file is truncated or not CIFAR-10")
        }
        let count = bytes.count / recordSize, features = recordSize - 1
        var labels = [Int]()
        labels.reserveCapacity(count)
        let table = (0..<256).map { S(Double($0) / 255) }
        let images = Tensor<S>(shape: [count, features]) { out in
            for r in 0..<count {
                let base = r * recordSize
                labels.append(Int(bytes[base]))
                for j in 0..<features { out[r * features + j] = table[Int(bytes[base + 1 + j])] }
            }
        }
        if let (i, bad) = labels.enumerated().first(where: { $0.element >= classCount }).map({ ($0.offset, $0.element) }) {
            throw DataError.malformed(path: source, detail: "record \(i) has label \(bad), outside 0…9")
        }
        return try ImageClassificationData(images: images, labels: labels, height: side, width: side, channels: channels, classCount: classCount)
    }

    /// Reads one batch file.
    public static func read<S: TensorScalar>(path: String, _: S.Type = S.self, hint: String = CIFAR10.hint) throws -> ImageClassificationData<S> {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileNotFound(path: path, hint: hint) }
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError.malformed(path: path, detail: "cannot be read") }
        return try decode([UInt8](data), S.self, source: path)
    }

    /// The five training batches concatenated (50,000 samples), or the test batch (10,000).
    public static func load<S: TensorScalar>(_: S.Type = S.self, directory: String, train: Bool, hint: String = CIFAR10.hint) throws -> ImageClassificationData<S> {
        let parts = try (train ? trainFiles : [testFile]).map {
            try read(path: (directory as NSString).appendingPathComponent($0), S.self, hint: hint)
        }
        guard parts.count > 1 else { return parts[0] }
        return try ImageClassificationData(
            images: Tensor.concat(parts.map(\.images), axis: 0), labels: parts.flatMap(\.labels),
            height: side, width: side, channels: channels, classCount: classCount)
    }
}
