import L2OCore
import L2OData
import L2ONN

/// An MLP classifier as an optimizee (SPEC §1.1, MLP(n, 13002, N, 0)): `x` is the flat parameter
/// vector of the network (`Module.flatParameters()` order), node `i` holds `N` labelled samples and
/// ```
/// f_i(x) = (1/N) Σ_{j ∈ node i} CE(softmax(MLP_x(a_j)), y_j),   α_i = 1/n,   r = 0
/// ```
/// The default architecture is 784-16-16-10 with ReLU (13,002 parameters). Gradients come from the
/// tape (the network's parameters are substituted by slices of `x`, so the model itself is never
/// mutated). Stochastic training draws minibatches of `batchSize` (100) from a node's samples with
/// `minibatchGradient`.
///
/// Neural optimizees are first-order in meta-training (SPEC §1.5): `hessianVectorProduct` is the
/// central difference `(∇f(x + hv) − ∇f(x − hv)) / 2h`, `h = ε^{1/3}·max(1, ‖x‖)/‖v‖` — an
/// approximation (ReLU networks are piecewise linear), there to satisfy the protocol.
public struct MLPClassification<Scalar: TensorScalar>: Optimizee {
    /// The architecture (its own parameter values are the initial point, see `initialPoint`).
    public let model: MLP<Scalar>
    /// Per-node samples.
    public let nodeData: [ImageClassificationData<Scalar>]
    /// Minibatch size of `minibatchGradient`.
    public var batchSize: Int
    public var referenceOptimum: ReferenceOptimum<Scalar>? { nil }

    /// Node `i` gets samples `[iN, (i+1)N)` of `data` (shuffle first for a random split).
    public init(model: MLP<Scalar>, data: ImageClassificationData<Scalar>, nodes: Int, samplesPerNode: Int, batchSize: Int = 100) throws {
        guard nodes >= 1, samplesPerNode >= 1 else {
            throw OptimizeeError.invalidArgument(what: "MLP optimizee sizes", detail: "nodes \(nodes) and samples per node \(samplesPerNode) must be ≥ 1")
        }
        guard nodes * samplesPerNode <= data.count else {
            throw OptimizeeError.invalidArgument(
                what: "MLP optimizee sizes", detail: "\(nodes) nodes × \(samplesPerNode) samples need \(nodes * samplesPerNode), the data has \(data.count)")
        }
        guard model.sizes.first == data.featureCount, model.sizes.last == data.classCount else {
            throw OptimizeeError.invalidArgument(
                what: "MLP architecture", detail: "sizes \(model.sizes) must start at \(data.featureCount) features and end at \(data.classCount) classes")
        }
        guard batchSize >= 1 else { throw OptimizeeError.invalidArgument(what: "batch size", detail: "\(batchSize) must be ≥ 1") }
        self.model = model
        self.nodeData = (0..<nodes).map { data.slice(($0 * samplesPerNode)..<(($0 + 1) * samplesPerNode)) }
        self.batchSize = batchSize
    }

    public var dimension: Int { model.parameterCount }
    public var shardCount: Int { nodeData.count }
    public var shardWeights: [Scalar] { [Scalar](repeating: 1 / Scalar(nodeData.count), count: nodeData.count) }
    public var regularizer: Regularizer<Scalar> { .none }
    /// The model's initial parameters as a flat vector.
    public var initialPoint: Tensor<Scalar> { model.flatParameters() }

    /// The logits `MLP_x(images)` with the parameters read from the flat `x` (a tape variable).
    public func logits(_ x: Variable<Scalar>, images: Tensor<Scalar>) -> Variable<Scalar> {
        precondition(x.shape == [dimension], "MLPClassification: x must be [\(dimension)], got \(x.shape)")
        var offset = 0
        var pairs = [(Parameter<Scalar>, Variable<Scalar>)]()
        for (_, p) in model.namedParameters() {
            let n = p.value.count
            pairs.append((p, x.rows(offset..<(offset + n)).reshaped(p.shape)))
            offset += n
        }
        let tape = x.tape ?? Tape<Scalar>()
        let context = try! ForwardContext(tape: tape, substitutes: pairs)
        return try! model(tape.constant(images), context: context)
    }

    /// Mean cross-entropy and its gradient with respect to `x` on the given samples.
    public func lossAndGradient(at x: Tensor<Scalar>, images: Tensor<Scalar>, labels: [Int]) -> (loss: Scalar, gradient: Tensor<Scalar>) {
        let tape = Tape<Scalar>()
        let xv = tape.variable(x)
        let loss = try! softmaxCrossEntropy(logits: logits(xv, images: images), labels: labels)
        tape.backward(loss)
        return (loss.value.scalar, tape.gradient(of: xv))
    }

    public func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar {
        let tape = Tape<Scalar>()
        tape.isRecording = false
        return try! softmaxCrossEntropy(logits: logits(tape.constant(x), images: nodeData[s].images), labels: nodeData[s].labels).value.scalar
    }

    public func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar> {
        lossAndGradient(at: x, images: nodeData[s].images, labels: nodeData[s].labels).gradient
    }

    /// The gradient on `batchSize` samples of node `s` drawn without replacement by `rng`.
    public func minibatchGradient(shard s: Int, at x: Tensor<Scalar>, rng: inout RandomState) -> (loss: Scalar, gradient: Tensor<Scalar>) {
        let data = nodeData[s]
        let picks = Array(rng.permutation(data.count).prefix(Swift.min(batchSize, data.count)))
        return lossAndGradient(at: x, images: data.images.gatherRows(picks), labels: picks.map { data.labels[$0] })
    }

    /// Central difference of gradients (see the type's documentation).
    public func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        let vn = v.norm()
        guard vn > 0 else { return .zeros([dimension]) }
        let h = Scalar.pow(Scalar.epsilon, 1 / 3) * Swift.max(1, x.norm()) / vn
        return (gradient(shard: s, at: x + v * h) - gradient(shard: s, at: x - v * h)) * (1 / (2 * h))
    }

    /// Classification accuracy of the network with parameters `x` on `data`.
    public func accuracy(at x: Tensor<Scalar>, on data: ImageClassificationData<Scalar>) -> Double {
        let tape = Tape<Scalar>()
        tape.isRecording = false
        return (try? L2ONN.accuracy(logits: logits(tape.constant(x), images: data.images), labels: data.labels)) ?? 0
    }
}

/// MLP(n, P, N, 0) instances over one dataset: the instance seed shuffles which samples each node
/// holds and draws the network's initial parameters (PyTorch-style fan-in uniform).
public struct MLPClassificationFamily<Scalar: TensorScalar>: ProblemFamily {
    public let data: ImageClassificationData<Scalar>
    public let sizes: [Int]
    public let nodes: Int, samplesPerNode: Int, batchSize: Int
    public let seed: UInt64

    /// Default `sizes`: `[features, 16, 16, classes]` (784-16-16-10 on MNIST-format data).
    public init(data: ImageClassificationData<Scalar>, sizes: [Int]? = nil, nodes: Int, samplesPerNode: Int, batchSize: Int = 100, seed: UInt64) throws {
        self.data = data
        self.sizes = sizes ?? [data.featureCount, 16, 16, data.classCount]
        self.nodes = nodes
        self.samplesPerNode = samplesPerNode
        self.batchSize = batchSize
        self.seed = seed
        var rng = RandomState(seed: 0)
        _ = try MLPClassification(model: MLP<Scalar>(sizes: self.sizes, rng: &rng), data: data, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize)
    }

    public var name: String { "MLP(\(nodes),\(sizes.map(String.init).joined(separator: "-")),\(samplesPerNode),0)" }

    public func instance(seed instanceSeed: UInt64) -> MLPClassification<Scalar> {
        var rng = RandomState(seed: instanceSeed)
        let picks = Array(rng.permutation(data.count).prefix(nodes * samplesPerNode))
        let shuffled = try! ImageClassificationData(
            images: data.images.gatherRows(picks), labels: picks.map { data.labels[$0] },
            height: data.height, width: data.width, channels: data.channels, classCount: data.classCount)
        let model = try! MLP<Scalar>(sizes: sizes, rng: &rng)
        return try! MLPClassification(model: model, data: shuffled, nodes: nodes, samplesPerNode: samplesPerNode, batchSize: batchSize)
    }
}
