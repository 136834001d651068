import L2OCore
import L2OData
import L2ONN

/// A small ResNet classifier as an optimizee ([MiLoDo] App. E.2, ResNet(5, 78042, N, 0); see
/// `ClassifierOptimizee` for the objective and the oracles): `x` is the flat vector of the
/// network's trainable parameters — convolution and linear weights, BatchNorm's γ and β. The
/// default architecture is `ResNet` with widths 16/32/64 and one block per stage (78,042
/// parameters on 3-channel 32×32 CIFAR-10 images, 77,754 on 1-channel 28×28 Fashion-MNIST).
///
/// BatchNorm's running statistics are not optimization variables. The loss and its gradient use
/// training-mode BatchNorm (statistics of the samples in the batch), a deterministic function of
/// `x` and the samples; the model's running statistics are never written, so the oracles are pure
/// and may run concurrently. `accuracy(at:on:)` evaluates in inference mode with statistics
/// re-estimated at `x`: one training-mode pass over the first `calibrationSize` samples of the
/// nodes (node order) sets every BatchNorm layer's statistics to those of its input, then the
/// evaluation data runs through the network with them.
public struct ResNetClassification<Scalar: TensorScalar>: ClassifierOptimizee {
    /// The architecture (its own parameter values are the initial point, see `initialPoint`).
    public let model: ResNet<Scalar>
    public let nodeData: [ImageClassificationData<Scalar>]
    public var batchSize: Int
    /// Samples whose BatchNorm statistics `accuracy` evaluates with.
    public var calibrationSize: Int
    /// Rows per forward pass of `accuracy`.
    public var evaluationChunk = 500

    /// Node `i` gets samples `[iN, (i+1)N)` of `data` (shuffle first for a random split). Throws
    /// unless the images have the model's channels and its classes and are at least 2×2, and
    /// nodes and minibatches hold at least 2 samples. Puts `model` in training mode and turns off
    /// its running-statistics tracking.
    public init(model: ResNet<Scalar>, data: ImageClassificationData<Scalar>, nodes: Int, samplesPerNode: Int, batchSize: Int = 100,
                calibrationSize: Int = 500) throws {
        guard model.inChannels == data.channels, model.classCount == data.classCount, data.height >= 2, data.width >= 2 else {
            throw OptimizeeError.invalidArgument(
                what: "ResNet architecture",
                detail: "the model takes \(model.inChannels)-channel images in \(model.classCount) classes, the data has \(data.channels)-channel \(data.height)×\(data.width) images in \(data.classCount) classes")
        }
        guard calibrationSize >= 2 else {
            throw OptimizeeError.invalidArgument(what: "ResNet calibration size", detail: "\(calibrationSize) must be ≥ 2 (BatchNorm statistics need two samples)")
        }
        self.nodeData = try splitOverNodes(data, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize, model: "ResNet")
        guard samplesPerNode >= 2, batchSize >= 2 else {
            throw OptimizeeError.invalidArgument(
                what: "ResNet optimizee sizes", detail: "training-mode BatchNorm needs ≥ 2 samples per node and per minibatch, got \(samplesPerNode) and \(batchSize)")
        }
        model.train()
        model.trackRunningStatistics(false)
        self.model = model
        self.batchSize = batchSize
        self.calibrationSize = calibrationSize
    }

    public var dimension: Int { model.parameterCount }
    /// The model's initial parameters as a flat vector.
    public var initialPoint: Tensor<Scalar> { model.flatParameters() }

    /// The logits of `images` (rows, channel-major) with training-mode BatchNorm and the
    /// parameters read from the flat `x`.
    public func logits(_ x: Variable<Scalar>, images: Tensor<Scalar>) throws -> Variable<Scalar> {
        try forward(model, x, images: images)
    }

    /// The network's forward pass (specialized: the layers' kernels and their backward closures
    /// run on concrete scalars).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(_ network: ResNet<Scalar>, _ x: Variable<Scalar>, images: Tensor<Scalar>) throws -> Variable<Scalar> {
        let reference = nodeData[0]
        let shape = [reference.channels, reference.height, reference.width]
        guard images.rank == 2, images.shape[1] == shape.reduce(1, *) else {
            throw OptimizeeError.shapeMismatch(what: "ResNet images", expected: "[count, \(shape.reduce(1, *))]", found: images.shape)
        }
        let context = network.context(substitutingFlat: x)
        return try network(context.tape!.constant(images.reshaped([images.shape[0]] + shape)), context: context)
    }

    /// Accuracy in inference mode with BatchNorm statistics estimated at `x` (see the type's documentation).
    public func accuracy(at x: Tensor<Scalar>, on data: ImageClassificationData<Scalar>) throws -> Double {
        try requireCompatible(data)
        var rng = RandomState(seed: 0)
        let network = try ResNet<Scalar>(inChannels: model.inChannels, widths: model.widths, blocksPerStage: model.blocksPerStage,
                                         classCount: model.classCount, batchNormMomentum: 1, rng: &rng)
        let tape = Tape<Scalar>()
        tape.isRecording = false
        let xv = tape.constant(x)
        let pool = nodeData.count == 1 ? nodeData[0].images : Tensor.concat(nodeData.map(\.images), axis: 0)
        _ = try forward(network, xv, images: pool.rows(0..<Swift.min(calibrationSize, pool.shape[0])))
        network.eval()
        var correct = 0.0
        for start in stride(from: 0, to: data.count, by: Swift.max(1, evaluationChunk)) {
            let part = data.slice(start..<Swift.min(data.count, start + Swift.max(1, evaluationChunk)))
            correct += try L2ONN.accuracy(logits: forward(network, xv, images: part.images), labels: part.labels) * Double(part.count)
        }
        return data.count == 0 ? 0 : correct / Double(data.count)
    }
}

/// ResNet(n, P, N, 0) instances over one dataset: the instance seed shuffles which samples each
/// node holds and draws the network's initial parameters (fan-in uniform; BatchNorm γ = 1, β = 0).
public struct ResNetClassificationFamily<Scalar: TensorScalar>: ProblemFamily {
    public let data: ImageClassificationData<Scalar>
    public let widths: [Int], blocksPerStage: Int
    public let nodes: Int, samplesPerNode: Int, batchSize: Int
    public let seed: UInt64

    public init(data: ImageClassificationData<Scalar>, widths: [Int] = [16, 32, 64], blocksPerStage: Int = 1, nodes: Int, samplesPerNode: Int,
                batchSize: Int = 100, seed: UInt64) throws {
        self.data = data
        self.widths = widths
        self.blocksPerStage = blocksPerStage
        self.nodes = nodes
        self.samplesPerNode = samplesPerNode
        self.batchSize = batchSize
        self.seed = seed
        var rng = RandomState(seed: 0)
        _ = try ResNetClassification(model: ResNet<Scalar>(inChannels: data.channels, widths: widths, blocksPerStage: blocksPerStage,
                                                           classCount: data.classCount, rng: &rng),
                                     data: data, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize)
    }

    /// The parameter count `P` of the architecture on this data.
    public var dimension: Int {
        var rng = RandomState(seed: 0)
        return try! ResNet<Scalar>(inChannels: data.channels, widths: widths, blocksPerStage: blocksPerStage, classCount: data.classCount, rng: &rng).parameterCount
    }

    public var name: String { "ResNet(\(nodes),\(widths.map(String.init).joined(separator: "-")),\(samplesPerNode),0)" }

    public func instance(seed instanceSeed: UInt64) -> ResNetClassification<Scalar> {
        var rng = RandomState(seed: instanceSeed)
        let shuffled = drawSamples(data, count: nodes * samplesPerNode, rng: &rng)
        let model = try! ResNet<Scalar>(inChannels: data.channels, widths: widths, blocksPerStage: blocksPerStage, classCount: data.classCount, rng: &rng)
        return try! ResNetClassification(model: model, data: shuffled, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize)
    }
}
