import L2OCore
import L2ONN

/// What BADM's pass engine needs from the data: the batches of one pass and the loss gradient of any
/// contiguous range of samples of a batch, at given weights. Independent of file loading.
///
/// `lossAndGradient` is called **concurrently** from several threads (one per sub-batch), so
/// implementations must not share mutable state between calls — in particular not
/// `Parameter.grad` (see `ModelGradientSource`, which uses one tape per call and substitutes the
/// weights for the parameters).
protocol SubBatchGradientSource<Scalar> {
    associatedtype Scalar: TensorScalar
    /// Number of batches `B` in the pass.
    var batchCount: Int { get }
    /// Number of samples `|D_b|` of batch `b`.
    func sampleCount(ofBatch b: Int) -> Int
    /// The mean loss `F_bn(w)` over samples `range` of batch `b` and its gradient `∇F_bn(w)`, one
    /// tensor per weight tensor (same order and shapes as `weights`).
    func lossAndGradient(batch b: Int, samples range: Range<Int>, at weights: [Tensor<Scalar>]) throws
        -> (loss: Scalar, gradient: [Tensor<Scalar>])
}

/// A `SubBatchGradientSource` from closures (tests, synthetic problems).
struct ClosureGradientSource<Scalar: TensorScalar>: SubBatchGradientSource {
    public let batchSizes: [Int]
    let body: (Int, Range<Int>, [Tensor<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>])
    public init(batchSizes: [Int],
                _ body: @escaping (_ batch: Int, _ samples: Range<Int>, _ weights: [Tensor<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>])) {
        self.batchSizes = batchSizes
        self.body = body
    }
    public var batchCount: Int { batchSizes.count }
    public func sampleCount(ofBatch b: Int) -> Int { batchSizes[b] }
    public func lossAndGradient(batch b: Int, samples range: Range<Int>, at weights: [Tensor<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>]) {
        try body(b, range, weights)
    }
}

/// Sub-batch gradients of an `L2ONN` model on in-memory data: `inputs` has the samples along its
/// first axis, `batches` lists the sample indices of each batch (e.g. a shuffled permutation cut
/// into pieces). Each call records on its own `Tape` and substitutes the given weights for the
/// model's parameters through `ForwardContext`, so concurrent calls never touch `Parameter.grad`.
/// Only for models whose forward pass has no side effects (not BatchNorm in training mode).
struct ModelGradientSource<Scalar: TensorScalar, Model: Module<Scalar>>: SubBatchGradientSource {
    public let model: Model
    public let inputs: Tensor<Scalar>
    public let labels: [Int]
    public let batches: [[Int]]
    let forward: (Model, Variable<Scalar>, ForwardContext<Scalar>) throws -> Variable<Scalar>
    let loss: (Variable<Scalar>, [Int]) throws -> Variable<Scalar>
    let parameters: [Parameter<Scalar>]

    public init(model: Model, inputs: Tensor<Scalar>, labels: [Int], batches: [[Int]],
                forward: @escaping (Model, Variable<Scalar>, ForwardContext<Scalar>) throws -> Variable<Scalar>,
                loss: @escaping (Variable<Scalar>, [Int]) throws -> Variable<Scalar> = { try softmaxCrossEntropy(logits: $0, labels: $1) }) {
        self.model = model
        self.inputs = inputs
        self.labels = labels
        self.batches = batches
        self.forward = forward
        self.loss = loss
        self.parameters = model.parameters
    }
    public var batchCount: Int { batches.count }
    public func sampleCount(ofBatch b: Int) -> Int { batches[b].count }
    public func lossAndGradient(batch b: Int, samples range: Range<Int>, at weights: [Tensor<Scalar>]) throws -> (loss: Scalar, gradient: [Tensor<Scalar>]) {
        let index = Array(batches[b][range])
        let tape = Tape<Scalar>()
        let vars = weights.map { tape.variable($0) }
        let context = try ForwardContext(tape: tape, substitutes: Array(zip(parameters, vars)))
        let x = tape.constant(inputs.gatherRows(index))
        let l = try loss(try forward(model, x, context), index.map { labels[$0] })
        tape.backward(l)
        return (l.value.scalar, vars.map { tape.gradient(of: $0) })
    }
}
