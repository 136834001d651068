/// A reverse-mode autodiff tape.
///
/// Every differentiable operation on `Variable`s appends one node: the node's pullback receives
/// the gradient of the output and adds the gradients of its inputs with `accumulate`. `backward`
/// walks the nodes in reverse. Parameters (`Parameter`) live outside the tape, so `reset()` — used
/// between truncation windows of meta-training — drops every recorded node without touching them.
///
/// A tape is not thread-safe: use one tape per thread.
public final class Tape<Scalar: TensorScalar> {
    public typealias Pullback = (Tensor<Scalar>, Tape<Scalar>) -> Void

    @usableFromInline var pullbacks: [Pullback?] = []
    @usableFromInline var shapes: [[Int]] = []
    @usableFromInline var grads: [Tensor<Scalar>?] = []
    /// When false, operations compute values only and record nothing (constant memory).
    public var isRecording = true
    /// Incremented by `reset()`: variables recorded before a reset are stale and may not be used
    /// as recorded inputs afterwards (their ids would name other nodes).
    public private(set) var generation = 0

    public init() { Runtime.configure() }

    /// Number of recorded nodes.
    public var nodeCount: Int { pullbacks.count }

    /// Appends a node and returns its id. `pullback` is nil for leaves.
    @inlinable
    public func record(shape: [Int], _ pullback: Pullback?) -> Int {
        pullbacks.append(pullback)
        shapes.append(shape)
        grads.append(nil)
        return pullbacks.count - 1
    }

    /// Adds `g` to the gradient of node `id` (ignored for constants, `id < 0`).
    @inlinable
    public func accumulate(_ id: Int, _ g: Tensor<Scalar>) {
        guard id >= 0 else { return }
        precondition(g.shape == shapes[id], "Tape: gradient of shape \(g.shape) for a node of shape \(shapes[id])")
        if grads[id] == nil { grads[id] = g } else { grads[id]! += g }
    }

    /// Backpropagates from `output` (a scalar unless `seed` gives the output's gradient).
    /// Gradients of leaves (`variable(_:)`) remain readable with `gradient(of:)`;
    /// parameters receive theirs in `Parameter.grad`. Intermediate gradients are freed on the way.
    public func backward(_ output: Variable<Scalar>, seed: Tensor<Scalar>? = nil) {
        precondition(output.tape === self && output.id >= 0, "backward: the output was not recorded on this tape")
        precondition(output.generation == generation, "backward: the output was recorded before Tape.reset()")
        let s = seed ?? Tensor(shape: output.shape, scalars: [Scalar](repeating: 1, count: output.value.count))
        precondition(s.shape == output.shape, "backward: seed shape \(s.shape) for output \(output.shape)")
        precondition(seed != nil || output.value.count == 1, "backward: output of shape \(output.shape) is not a scalar; pass a seed")
        let wasRecording = isRecording
        isRecording = false
        defer { isRecording = wasRecording }
        accumulate(output.id, s)
        var i = output.id
        while i >= 0 {
            if let pb = pullbacks[i], let g = grads[i] {
                grads[i] = nil
                pb(g, self)
            }
            i -= 1
        }
    }

    /// The accumulated gradient of a leaf created by `variable(_:)` (zeros if nothing reached it).
    public func gradient(of v: Variable<Scalar>) -> Tensor<Scalar> {
        guard v.tape === self, v.id >= 0, v.generation == generation else { return .zeros(v.shape) }
        return grads[v.id] ?? .zeros(v.shape)
    }

    /// A differentiable leaf holding `value`.
    public func variable(_ value: Tensor<Scalar>) -> Variable<Scalar> {
        Variable(value, tape: self, id: isRecording ? record(shape: value.shape, nil) : -1, generation: generation)
    }

    /// A differentiable view of a parameter: gradients flowing into it are added to `p.grad`.
    public func watch(_ p: Parameter<Scalar>) -> Variable<Scalar> {
        guard isRecording else { return Variable(p.value, tape: self, id: -1) }
        let id = record(shape: p.value.shape) { g, _ in p.accumulateGrad(g) }
        return Variable(p.value, tape: self, id: id, generation: generation)
    }

    /// A constant on this tape (no gradient flows into it).
    public func constant(_ value: Tensor<Scalar>) -> Variable<Scalar> { Variable(value, tape: self, id: -1) }

    /// Drops every recorded node and gradient; parameters and their `grad` are untouched.
    public func reset() {
        generation += 1
        pullbacks.removeAll(keepingCapacity: true)
        shapes.removeAll(keepingCapacity: true)
        grads.removeAll(keepingCapacity: true)
    }

    /// Runs `body` without recording (no-grad scope): values only, constant memory.
    @inlinable
    public func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        let was = isRecording
        isRecording = false
        defer { isRecording = was }
        return try body()
    }
}

/// A trainable tensor with a stable identity and an accumulated gradient.
public final class Parameter<Scalar: TensorScalar> {
    public var value: Tensor<Scalar>
    /// Sum of the gradients received since the last `zeroGrad()`; nil when none arrived.
    public var grad: Tensor<Scalar>?

    public init(_ value: Tensor<Scalar>) { self.value = value }

    public var shape: [Int] { value.shape }

    @inlinable
    public func accumulateGrad(_ g: Tensor<Scalar>) {
        precondition(g.shape == value.shape, "Parameter: gradient shape \(g.shape) for parameter shape \(value.shape)")
        if grad == nil { grad = g } else { grad! += g }
    }
    public func zeroGrad() { grad = nil }
}
