/// A tensor value together with its place on a `Tape`.
///
/// A variable with `id < 0` is a constant: operations on constants record nothing. Results are
/// recorded only when some input is recorded and the tape is recording.
public struct Variable<Scalar: TensorScalar> {
    public let value: Tensor<Scalar>
    public let tape: Tape<Scalar>?
    public let id: Int
    /// The tape's `generation` when this variable was recorded.
    public let generation: Int

    @inlinable
    public init(_ value: Tensor<Scalar>, tape: Tape<Scalar>?, id: Int, generation: Int? = nil) {
        self.value = value
        self.tape = tape
        self.id = id
        self.generation = generation ?? tape?.generation ?? 0
    }
    /// A constant not attached to any tape.
    @inlinable public init(constant value: Tensor<Scalar>) { self.init(value, tape: nil, id: -1) }

    @inlinable public var shape: [Int] { value.shape }
    /// Whether gradients flow into this variable.
    @inlinable public var isRecorded: Bool { id >= 0 }
    /// The same value cut from the graph (no gradient flows back through the result).
    @inlinable public func detached() -> Variable { Variable(value, tape: tape, id: -1) }

    /// Records a custom differentiable operation.
    ///
    /// `pullback` maps the gradient of the output to the gradients of `inputs` (same order; nil for
    /// an input that receives none). This is how other modules add fused ops — e.g. an optimizee's
    /// gradient whose backward is a Hessian-vector product.
    @inlinable
    public static func record(
        _ value: Tensor<Scalar>, inputs: [Variable],
        pullback: @escaping (Tensor<Scalar>) -> [Tensor<Scalar>?]
    ) -> Variable {
        guard let tape = commonTape(inputs), tape.isRecording else {
            return Variable(value, tape: inputs.lazy.compactMap(\.tape).first, id: -1)
        }
        let ids = inputs.map(\.id)
        let id = tape.record(shape: value.shape) { g, t in
            let gs = pullback(g)
            for (k, pid) in ids.enumerated() where pid >= 0 {
                if let gk = gs[k] { t.accumulate(pid, gk) }
            }
        }
        return Variable(value, tape: tape, id: id)
    }

    /// The tape shared by the recorded inputs, or nil if none is recorded.
    @inlinable
    static func commonTape(_ inputs: [Variable]) -> Tape<Scalar>? {
        var tape: Tape<Scalar>?
        for v in inputs where v.id >= 0 {
            precondition(v.generation == v.tape?.generation,
                         "Variable: an input was recorded before Tape.reset(); call detached() on state carried across truncation windows")
            if let t = tape {
                precondition(t === v.tape, "Variable: inputs recorded on different tapes")
            } else {
                tape = v.tape
            }
        }
        return tape
    }

    /// Records a one-input operation.
    @inlinable
    static func unary(_ x: Variable, _ value: Tensor<Scalar>, _ pullback: @escaping (Tensor<Scalar>) -> Tensor<Scalar>) -> Variable {
        guard x.id >= 0, let tape = x.tape, tape.isRecording else { return Variable(value, tape: x.tape, id: -1) }
        precondition(x.generation == tape.generation,
                     "Variable: an input was recorded before Tape.reset(); call detached() on state carried across truncation windows")
        let xid = x.id
        let id = tape.record(shape: value.shape) { g, t in t.accumulate(xid, pullback(g)) }
        return Variable(value, tape: tape, id: id)
    }

    /// Records a two-input operation; `pullback` returns the two input gradients (computed lazily
    /// per input: `needA`/`needB` say which are wanted).
    @inlinable
    static func binary(
        _ a: Variable, _ b: Variable, _ value: Tensor<Scalar>,
        _ pullback: @escaping (Tensor<Scalar>, _ needA: Bool, _ needB: Bool) -> (Tensor<Scalar>?, Tensor<Scalar>?)
    ) -> Variable {
        guard let tape = commonTape([a, b]), tape.isRecording else {
            return Variable(value, tape: a.tape ?? b.tape, id: -1)
        }
        let aid = a.id, bid = b.id
        let id = tape.record(shape: value.shape) { g, t in
            let (ga, gb) = pullback(g, aid >= 0, bid >= 0)
            if let ga { t.accumulate(aid, ga) }
            if let gb { t.accumulate(bid, gb) }
        }
        return Variable(value, tape: tape, id: id)
    }
}

extension Variable: CustomStringConvertible {
    public var description: String { "Variable(id: \(id), \(value))" }
}
