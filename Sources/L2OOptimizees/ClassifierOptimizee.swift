import L2OCore
import L2OData
import L2ONN

/// A neural classifier as an optimizee ([MiLoDo] App. E.2's MLP and ResNet): `x` is the network's flat
/// parameter vector (`Module.flatParameters()` order), node `i` holds `N` labelled samples and
/// ```
/// f_i(x) = (1/N) Σ_{j ∈ node i} CE(softmax(net_x(a_j)), y_j),   α_i = 1/n,   r = 0
/// ```
/// Conformers give the network's forward pass with parameters read from `x` (`logits`); the
/// oracles, minibatches and accuracy follow here. Gradients come from the tape with the network's
/// parameters substituted by slices of `x`, so the model itself is never mutated and the oracles
/// may run concurrently.
///
/// Neural optimizees are first-order in meta-training ([MiLoDo] §4.3 and App. E.3): `hessianVectorProduct` is the
/// central difference `(∇f(x + hv) − ∇f(x − hv)) / 2h`, `h = ε^{1/3}·max(1, ‖x‖)/‖v‖` — an
/// approximation (ReLU networks are piecewise linear), there to satisfy the protocol.
public protocol ClassifierOptimizee<Scalar>: Optimizee {
    /// Per-node samples.
    var nodeData: [ImageClassificationData<Scalar>] { get }
    /// Minibatch size of `minibatchGradient`.
    var batchSize: Int { get }
    /// The logits `[B, classes]` of sample rows `images [B, features]` with the network's
    /// parameters read from the flat `x` (a tape variable of shape `[dimension]`).
    func logits(_ x: Variable<Scalar>, images: Tensor<Scalar>) throws -> Variable<Scalar>
    /// The fraction of `data` classified correctly by the network with parameters `x`.
    func accuracy(at x: Tensor<Scalar>, on data: ImageClassificationData<Scalar>) throws -> Double
}

extension ClassifierOptimizee {
    public var shardCount: Int { nodeData.count }
    public var shardWeights: [Scalar] { [Scalar](repeating: 1 / Scalar(nodeData.count), count: nodeData.count) }
    public var regularizer: Regularizer<Scalar> { .none }
    public var referenceOptimum: ReferenceOptimum<Scalar>? { nil }

    /// Mean cross-entropy and its gradient with respect to `x` on the given samples.
    public func lossAndGradient(at x: Tensor<Scalar>, images: Tensor<Scalar>, labels: [Int]) throws -> (loss: Scalar, gradient: Tensor<Scalar>) {
        let tape = Tape<Scalar>()
        let xv = tape.variable(x)
        let loss = try softmaxCrossEntropy(logits: logits(xv, images: images), labels: labels)
        tape.backward(loss)
        return (loss.value.scalar, tape.gradient(of: xv))
    }

    public func smoothValue(shard s: Int, at x: Tensor<Scalar>) -> Scalar {
        let tape = Tape<Scalar>()
        tape.isRecording = false
        return try! softmaxCrossEntropy(logits: logits(tape.constant(x), images: nodeData[s].images), labels: nodeData[s].labels).value.scalar
    }

    public func gradient(shard s: Int, at x: Tensor<Scalar>) -> Tensor<Scalar> {
        try! lossAndGradient(at: x, images: nodeData[s].images, labels: nodeData[s].labels).gradient
    }

    /// The gradient on `batchSize` samples of node `s` drawn without replacement by `rng`.
    public func minibatchGradient(shard s: Int, at x: Tensor<Scalar>, rng: inout RandomState) -> (loss: Scalar, gradient: Tensor<Scalar>) {
        let data = nodeData[s]
        let picks = Array(rng.permutation(data.count).prefix(Swift.min(batchSize, data.count)))
        return try! lossAndGradient(at: x, images: data.images.gatherRows(picks), labels: picks.map { data.labels[$0] })
    }

    /// Central difference of gradients (see the protocol's documentation).
    public func hessianVectorProduct(shard s: Int, at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        let vn = v.norm()
        guard vn > 0 else { return .zeros([dimension]) }
        let h = Scalar.pow(Scalar.epsilon, 1 / 3) * Swift.max(1, x.norm()) / vn
        return (gradient(shard: s, at: x + v * h) - gradient(shard: s, at: x - v * h)) * (1 / (2 * h))
    }

    /// Checks that `data` has the node data's image layout and classes.
    func requireCompatible(_ data: ImageClassificationData<Scalar>) throws {
        let reference = nodeData[0]
        guard [data.channels, data.height, data.width] == [reference.channels, reference.height, reference.width], data.classCount == reference.classCount else {
            throw OptimizeeError.invalidArgument(
                what: "evaluation data",
                detail: "\(data.channels)×\(data.height)×\(data.width) images in \(data.classCount) classes, the optimizee was built for \(reference.channels)×\(reference.height)×\(reference.width) in \(reference.classCount)")
        }
    }
}

extension Module {
    /// A forward context in which the parameters are the consecutive slices of the flat `x`, in
    /// `namedParameters()` order (`x` has `parameterCount` entries).
    func context(substitutingFlat x: Variable<Scalar>) -> ForwardContext<Scalar> {
        precondition(x.shape == [parameterCount], "flat parameters must be [\(parameterCount)], got \(x.shape)")
        var offset = 0
        var pairs = [(Parameter<Scalar>, Variable<Scalar>)]()
        for (_, p) in namedParameters() {
            let n = p.value.count
            pairs.append((p, x.rows(offset..<(offset + n)).reshaped(p.shape)))
            offset += n
        }
        return try! ForwardContext(tape: x.tape ?? Tape<Scalar>(), substitutes: pairs)
    }
}
