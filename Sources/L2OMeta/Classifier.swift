import L2OCore
import L2ONN

/// The architectures `l2o train` offers, as data (stored in checkpoints' config).
public enum ClassifierArchitecture: Codable, Equatable, Sendable, CustomStringConvertible {
    /// `features → hidden… → classes` with ReLU (the BADM paper's DNN is `hidden: [32, 32]`).
    case mlp(hidden: [Int])
    /// `[conv 3×3 (padding 1) → ReLU → max-pool 2×2]` per entry of `channels`, then a dense
    /// hidden layer of `dense` units with ReLU and the output layer.
    case cnn(channels: [Int], dense: Int)

    /// 784-32-32-10 on 28×28 images: the DNN of the BADM paper's Fashion-MNIST experiment.
    public static let paperMLP = ClassifierArchitecture.mlp(hidden: [32, 32])
    /// conv-pool ×2 (8 and 16 channels) + dense 64.
    public static let smallCNN = ClassifierArchitecture.cnn(channels: [8, 16], dense: 64)

    public var description: String {
        switch self {
        case .mlp(let hidden): return "MLP " + (["in"] + hidden.map(String.init) + ["out"]).joined(separator: "-")
        case .cnn(let channels, let dense):
            return "CNN " + channels.map { "conv\($0)-pool" }.joined(separator: "-") + "-dense\(dense)"
        }
    }

    /// Builds the classifier for images of `height × width × channels` (rows of the data matrix,
    /// channel-major as `ImageClassificationData` stores them) and `classCount` classes.
    /// Throws `TrainingError.invalidSetting` for sizes the architecture cannot take.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func make<Scalar: TensorScalar>(
        _: Scalar.Type = Scalar.self, height: Int, width: Int, channels: Int = 1, classCount: Int, rng: inout RandomState
    ) throws -> Classifier<Scalar> {
        let features = height * width * channels
        guard features > 0, classCount >= 2 else {
            throw TrainingError.invalidSetting(name: "data", message: "need at least one feature and two classes, got \(features) features and \(classCount) classes")
        }
        switch self {
        case .mlp(let hidden):
            guard hidden.allSatisfy({ $0 >= 1 }) else {
                throw TrainingError.invalidSetting(name: "hidden sizes", message: "every hidden layer needs ≥ 1 unit, got \(hidden)")
            }
            let mlp = try MLP<Scalar>(sizes: [features] + hidden + [classCount], rng: &rng)
            return Classifier(architecture: self, module: mlp) { x, ctx in try mlp(x, context: ctx) }
        case .cnn(let widths, let dense):
            guard !widths.isEmpty, widths.allSatisfy({ $0 >= 1 }), dense >= 1 else {
                throw TrainingError.invalidSetting(name: "CNN sizes", message: "need ≥ 1 conv block with ≥ 1 channel and a dense layer of ≥ 1 unit, got channels \(widths), dense \(dense)")
            }
            var layers = [any UnaryModule<Scalar>]()
            var (h, w, c) = (height, width, channels)
            for out in widths {
                guard h >= 2, w >= 2 else {
                    throw TrainingError.invalidSetting(name: "CNN sizes", message: "\(widths.count) pooling stages need images of at least \(1 << widths.count)×\(1 << widths.count), got \(height)×\(width)")
                }
                layers.append(try Conv2D<Scalar>(inChannels: c, outChannels: out, kernelSize: 3, padding: 1, rng: &rng))
                layers.append(ActivationLayer<Scalar>(.relu))
                layers.append(try MaxPool2D<Scalar>(kernelSize: 2))
                (h, w, c) = (h / 2, w / 2, out)
            }
            layers.append(Flatten<Scalar>())
            layers.append(try Linear<Scalar>(h * w * c, dense, rng: &rng))
            layers.append(ActivationLayer<Scalar>(.relu))
            layers.append(try Linear<Scalar>(dense, classCount, rng: &rng))
            let net = Sequential<Scalar>(layers)
            let shape = [channels, height, width]
            return Classifier(architecture: self, module: net) { x, ctx in
                try net(x.reshaped([x.shape[0]] + shape), context: ctx)
            }
        }
    }
}

/// A classification model ready for the `Trainer`: the module (its named parameters and buffers
/// are what optimizers and checkpoints see) and its forward pass from data rows `[n, features]`
/// to logits `[n, classes]`.
public struct Classifier<Scalar: TensorScalar> {
    public let architecture: ClassifierArchitecture
    public let module: any Module<Scalar>
    /// Rows `[n, features]` → logits `[n, classes]`, with parameters taken from the context.
    public let forward: (Variable<Scalar>, ForwardContext<Scalar>) throws -> Variable<Scalar>

    public init(architecture: ClassifierArchitecture, module: any Module<Scalar>,
                forward: @escaping (Variable<Scalar>, ForwardContext<Scalar>) throws -> Variable<Scalar>) {
        self.architecture = architecture
        self.module = module
        self.forward = forward
    }
}
