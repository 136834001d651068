import L2OCore
import L2OData
import L2ONN

/// An MLP classifier as an optimizee ([MiLoDo] App. E.2, MLP(n, 13002, N, 0); see `ClassifierOptimizee`
/// for the objective and the oracles). The default architecture is 784-16-16-10 with ReLU
/// (13,002 parameters). Stochastic training draws minibatches of `batchSize` (100) from a node's
/// samples with `minibatchGradient`.
public struct MLPClassification<Scalar: TensorScalar>: ClassifierOptimizee {
    /// The architecture (its own parameter values are the initial point, see `initialPoint`).
    public let model: MLP<Scalar>
    /// Per-node samples.
    public let nodeData: [ImageClassificationData<Scalar>]
    /// Minibatch size of `minibatchGradient`.
    public var batchSize: Int

    /// Node `i` gets samples `[iN, (i+1)N)` of `data` (shuffle first for a random split).
    public init(model: MLP<Scalar>, data: ImageClassificationData<Scalar>, nodes: Int, samplesPerNode: Int, batchSize: Int = 100) throws {
        guard model.sizes.first == data.featureCount, model.sizes.last == data.classCount else {
            throw OptimizeeError.invalidArgument(
                what: "MLP architecture", detail: "sizes \(model.sizes) must start at \(data.featureCount) features and end at \(data.classCount) classes")
        }
        self.model = model
        self.nodeData = try splitOverNodes(data, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize, model: "MLP")
        self.batchSize = batchSize
    }

    public var dimension: Int { model.parameterCount }
    /// The model's initial parameters as a flat vector.
    public var initialPoint: Tensor<Scalar> { model.flatParameters() }

    /// The logits `MLP_x(images)` with the parameters read from the flat `x` (a tape variable).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logits(_ x: Variable<Scalar>, images: Tensor<Scalar>) throws -> Variable<Scalar> {
        let context = model.context(substitutingFlat: x)
        return try model(context.tape!.constant(images), context: context)
    }

    /// Classification accuracy of the network with parameters `x` on `data`.
    public func accuracy(at x: Tensor<Scalar>, on data: ImageClassificationData<Scalar>) throws -> Double {
        try requireCompatible(data)
        let tape = Tape<Scalar>()
        tape.isRecording = false
        return try L2ONN.accuracy(logits: logits(tape.constant(x), images: data.images), labels: data.labels)
    }
}

/// Node `i`'s share `[iN, (i+1)N)` of `data`, after checking the sizes.
func splitOverNodes<S: TensorScalar>(_ data: ImageClassificationData<S>, nodes: Int, samplesPerNode: Int, batchSize: Int, model: String) throws -> [ImageClassificationData<S>] {
    guard nodes >= 1, samplesPerNode >= 1 else {
        throw OptimizeeError.invalidArgument(what: "\(model) optimizee sizes", detail: "nodes \(nodes) and samples per node \(samplesPerNode) must be ≥ 1")
    }
    guard nodes * samplesPerNode <= data.count else {
        throw OptimizeeError.invalidArgument(
            what: "\(model) optimizee sizes", detail: "\(nodes) nodes × \(samplesPerNode) samples need \(nodes * samplesPerNode), the data has \(data.count)")
    }
    guard batchSize >= 1 else { throw OptimizeeError.invalidArgument(what: "batch size", detail: "\(batchSize) must be ≥ 1") }
    return (0..<nodes).map { data.slice(($0 * samplesPerNode)..<(($0 + 1) * samplesPerNode)) }
}

/// `count` samples of `data` drawn without replacement by `rng` (the order of the draws).
func drawSamples<S: TensorScalar>(_ data: ImageClassificationData<S>, count: Int, rng: inout RandomState) -> ImageClassificationData<S> {
    let picks = Array(rng.permutation(data.count).prefix(count))
    return try! ImageClassificationData(
        images: data.images.gatherRows(picks), labels: picks.map { data.labels[$0] },
        height: data.height, width: data.width, channels: data.channels, classCount: data.classCount)
}

/// MLP(n, P, N, 0) instances over one dataset: the instance seed shuffles which samples each node
/// holds and draws the network's initial parameters (PyTorch-style fan-in uniform).
public struct MLPClassificationFamily<Scalar: TensorScalar>: ProblemFamily {
    public let data: ImageClassificationData<Scalar>
    public let sizes: [Int]
    /// The hidden layers' activation (ReLU by default; the LSTM-optimizer experiments of
    /// [L2L] use sigmoid).
    public let activation: Activation
    public let nodes: Int, samplesPerNode: Int, batchSize: Int
    public let seed: UInt64

    /// Default `sizes`: `[features, 16, 16, classes]` (784-16-16-10 on MNIST-format data).
    public init(data: ImageClassificationData<Scalar>, sizes: [Int]? = nil, activation: Activation = .relu, nodes: Int, samplesPerNode: Int,
                batchSize: Int = 100, seed: UInt64) throws {
        self.data = data
        self.activation = activation
        self.sizes = sizes ?? [data.featureCount, 16, 16, data.classCount]
        self.nodes = nodes
        self.samplesPerNode = samplesPerNode
        self.batchSize = batchSize
        self.seed = seed
        var rng = RandomState(seed: 0)
        _ = try MLPClassification(model: MLP<Scalar>(sizes: self.sizes, activation: activation, rng: &rng), data: data, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize)
    }

    public var name: String { "MLP(\(nodes),\(sizes.map(String.init).joined(separator: "-")),\(samplesPerNode),0)" }

    public func instance(seed instanceSeed: UInt64) -> MLPClassification<Scalar> {
        var rng = RandomState(seed: instanceSeed)
        let shuffled = drawSamples(data, count: nodes * samplesPerNode, rng: &rng)
        let model = try! MLP<Scalar>(sizes: sizes, activation: activation, rng: &rng)
        return try! MLPClassification(model: model, data: shuffled, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize)
    }
}
