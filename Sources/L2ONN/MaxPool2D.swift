import L2OCore

/// 2-D max pooling over NCHW batches, as one fused tape node:
/// `y[n, c, oy, ox] = max_{0≤i,j<k} x[n, c, oy·s + i, ox·s + j]` (no padding; windows that do not
/// fit are dropped, so `OH = ⌊(H − k)/s⌋ + 1`). The gradient goes to the first maximising
/// element of each window.
@inlinable
public func maxPool2d<S>(_ x: Variable<S>, kernelSize k: Int, stride: Int? = nil) throws -> Variable<S> {
    let s = stride ?? k
    try requireArgument(k > 0 && s > 0, "maxPool2d", "kernel size and stride must be positive, got \(k), \(s)")
    try requireShape(x.shape, [nil, nil, nil, nil], "maxPool2d input")
    let xv = x.value
    let n = xv.shape[0], c = xv.shape[1], h = xv.shape[2], w = xv.shape[3]
    try requireArgument(h >= k && w >= k, "maxPool2d", "input \(h)×\(w) is smaller than the window \(k)×\(k)")
    let oh = (h - k) / s + 1, ow = (w - k) / s + 1
    var out = [S](repeating: 0, count: n * c * oh * ow)
    var argmax = [Int](repeating: 0, count: out.count)
    xv.scalars.withUnsafeBufferPointer { xp in
        for plane in 0..<(n * c) {
            let base = plane * h * w
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = base + (oy * s) * w + ox * s
                    var m = xp[best]
                    for i in 0..<k {
                        for j in 0..<k {
                            let idx = base + (oy * s + i) * w + ox * s + j
                            if xp[idx] > m { m = xp[idx]; best = idx }
                        }
                    }
                    let o = (plane * oh + oy) * ow + ox
                    out[o] = m
                    argmax[o] = best
                }
            }
        }
    }
    let shape = xv.shape
    return Variable.record(Tensor(shape: [n, c, oh, ow], scalars: out), inputs: [x]) { g in
        var gx = [S](repeating: 0, count: shape.reduce(1, *))
        for (o, idx) in argmax.enumerated() { gx[idx] += g.scalars[o] }
        return [Tensor(shape: shape, scalars: gx)]
    }
}

/// Max pooling layer (no parameters); see `maxPool2d`.
public final class MaxPool2D<Scalar: TensorScalar>: Module {
    public let kernelSize: Int
    public let stride: Int
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }

    public init(kernelSize: Int, stride: Int? = nil) throws {
        try requireArgument(kernelSize > 0 && (stride ?? 1) > 0, "MaxPool2D",
                            "kernel size and stride must be positive, got \(kernelSize), \(stride ?? kernelSize)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        try maxPool2d(x, kernelSize: kernelSize, stride: stride)
    }
}

/// Flattens every dimension after the first: `[N, d₁, …, d_r] → [N, d₁·…·d_r]` (no parameters).
public final class Flatten<Scalar: TensorScalar>: Module {
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }
    public init() {}

    /// Throws `shapeMismatch` for a rank-0 input.
    @inlinable
    public func callAsFunction(_ x: Variable<Scalar>, context: ForwardContext<Scalar>? = nil) throws -> Variable<Scalar> {
        guard x.shape.count >= 1 else {
            throw NNError.shapeMismatch(operation: "Flatten input", expected: "[N, …] (rank ≥ 1)", actual: x.shape)
        }
        return x.reshaped([x.shape[0], x.shape.dropFirst().reduce(1, *)])
    }
}
