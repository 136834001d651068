import L2OCore

/// One LSTM step (Hochreiter & Schmidhuber, 1997), through Core's fused `lstmCell`:
/// ```
/// z = x W + h U + b,   [i, f, g, o] = [σ, σ, tanh, σ](z)
/// c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')
/// ```
/// Shapes: `x [B, in]`, `h, c [B, H]`, `weight_ih = W [in, 4H]`, `weight_hh = U [H, 4H]`,
/// `bias = b [4H]` with gate blocks in the order `i, f, g, o`.
/// Parameter names: `weight_ih`, `weight_hh`, `bias`. Initialisation: `U(−1/√H, 1/√H)`.
public final class LSTMCell<Scalar: TensorScalar>: Module {
    public let inputSize: Int
    public let hiddenSize: Int
    public let weightIH: Parameter<Scalar>
    public let weightHH: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    public var isTraining = true
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }

    public init(inputSize: Int, hiddenSize: Int, rng: inout RandomState) throws {
        try requireArgument(inputSize > 0 && hiddenSize > 0, "LSTMCell",
                            "sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        weightIH = Parameter(Initializer.fanInUniform([inputSize, 4 * hiddenSize], fanIn: hiddenSize, rng: &rng))
        weightHH = Parameter(Initializer.fanInUniform([hiddenSize, 4 * hiddenSize], fanIn: hiddenSize, rng: &rng))
        bias = Parameter(Initializer.fanInUniform([4 * hiddenSize], fanIn: hiddenSize, rng: &rng))
    }

    public var localParameters: NamedParameters<Scalar> {
        [("weight_ih", weightIH), ("weight_hh", weightHH), ("bias", bias)]
    }

    /// The zero state `(h, c)` for a batch of `batchSize` rows, as constants on `tape`.
    public func zeroState(batchSize: Int, tape: Tape<Scalar>? = nil) -> (h: Variable<Scalar>, c: Variable<Scalar>) {
        let z = Tensor<Scalar>.zeros([batchSize, hiddenSize])
        return (Variable(z, tape: tape, id: -1), Variable(z, tape: tape, id: -1))
    }

    /// One step from `state` (zeros when nil); returns the new `(h, c)`.
    /// Throws `shapeMismatch` unless `x` is `[B, in]` and `h, c` are `[B, H]`.
    @inlinable
    public func callAsFunction(
        _ x: Variable<Scalar>, state: (h: Variable<Scalar>, c: Variable<Scalar>)? = nil,
        context: ForwardContext<Scalar>? = nil
    ) throws -> (h: Variable<Scalar>, c: Variable<Scalar>) {
        try requireShape(x.shape, [nil, inputSize], "LSTMCell input")
        let b = x.shape[0]
        let (h, c) = state ?? zeroState(batchSize: b, tape: x.tape)
        try requireShape(h.shape, [b, hiddenSize], "LSTMCell hidden state h")
        try requireShape(c.shape, [b, hiddenSize], "LSTMCell cell state c")
        // Parameters are watched on whichever input carries a tape (features are often constants).
        let ctx = context ?? ForwardContext(tape: x.tape ?? h.tape ?? c.tape)
        return lstmCell(x: x, h: h, c: c, w: ctx.variable(weightIH), u: ctx.variable(weightHH), b: ctx.variable(bias))
    }
}
