import L2OCore

/// A graph convolution layer (Kipf & Welling, 2017, "Semi-Supervised Classification with Graph
/// Convolutional Networks"):
/// ```
/// H' = act( Â X Θ + b ),   Â = D̃^{−1/2} (A + I) D̃^{−1/2},   D̃_ii = Σ_j (A + I)_ij
/// ```
/// Shapes: `X [n, in]`, `Θ [in, out]`, `b [out]`, `Â [n, n]` (sparse, a constant).
/// Parameters: `weight` (Θ, Glorot uniform) and, unless `bias: false`, `bias` (zeros).
/// The product is `Â (X Θ)`: Core's fused `linear` and one sparse–dense product.
public final class GCNLayer<Scalar: TensorScalar>: Module {
    public let inputSize: Int
    public let outputSize: Int
    public let activation: Activation
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?
    public var isTraining = true
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [] }

    public init(_ inputSize: Int, _ outputSize: Int, activation: Activation = .identity, bias: Bool = true,
                rng: inout RandomState) throws {
        try requireArgument(inputSize > 0 && outputSize > 0, "GCNLayer",
                            "sizes must be positive, got \(inputSize) → \(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.activation = activation
        weight = Parameter(Initializer.glorotUniform([inputSize, outputSize], fanIn: inputSize, fanOut: outputSize, rng: &rng))
        self.bias = bias ? Parameter(.zeros([outputSize])) : nil
    }

    public var localParameters: NamedParameters<Scalar> {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// `act(Â X Θ + b)`. Throws `shapeMismatch` unless `x` is `[n, in]` with `n = Â.rows` and
    /// `Â` is square.
    @inlinable
    public func callAsFunction(
        _ x: Variable<Scalar>, adjacency: SparseMatrix<Scalar>, context: ForwardContext<Scalar>? = nil
    ) throws -> Variable<Scalar> {
        guard adjacency.rows == adjacency.cols else {
            throw NNError.shapeMismatch(operation: "GCNLayer adjacency", expected: "[n, n]", actual: [adjacency.rows, adjacency.cols])
        }
        try requireShape(x.shape, [adjacency.rows, inputSize], "GCNLayer(\(inputSize) → \(outputSize)) node features")
        let ctx = context ?? .default(for: x)
        var h = matmul(adjacency, linear(x, ctx.variable(weight)))
        if let bias { h = h + ctx.variable(bias) }
        return activation(h)
    }

    /// `Â = D̃^{−1/2}(A + I)D̃^{−1/2}` for an undirected graph on `nodeCount` nodes.
    ///
    /// Each edge `(i, j)` with weight `w` (1 when `weights` is nil) adds `w` to `A_ij` and `A_ji`;
    /// repeated edges add up; a self-loop `(i, i)` adds `w` once to `A_ii` (on top of the `+I`).
    /// Throws `invalidArgument` for an out-of-range node, a weight count that differs from the
    /// edge count, or a node whose degree `D̃_ii` is not positive.
    public static func normalizedAdjacency(
        nodeCount n: Int, edges: [(Int, Int)], weights: [Scalar]? = nil
    ) throws -> SparseMatrix<Scalar> {
        try requireArgument(n > 0, "GCNLayer.normalizedAdjacency", "node count must be positive, got \(n)")
        if let weights {
            try requireArgument(weights.count == edges.count, "GCNLayer.normalizedAdjacency",
                                "\(edges.count) edges but \(weights.count) weights")
        }
        var triplets = [(Int, Int, Scalar)]()
        triplets.reserveCapacity(2 * edges.count + n)
        for (k, (i, j)) in edges.enumerated() {
            try requireArgument(i >= 0 && i < n && j >= 0 && j < n, "GCNLayer.normalizedAdjacency",
                                "edge \(k) = (\(i), \(j)) has a node outside 0..<\(n)")
            let w = weights?[k] ?? 1
            triplets.append((i, j, w))
            if i != j { triplets.append((j, i, w)) }
        }
        return try normalized(SparseMatrix(rows: n, cols: n, triplets: triplets))
    }

    /// `Â = D̃^{−1/2}(A + I)D̃^{−1/2}` from a dense adjacency matrix `A [n, n]` (used as given, so
    /// pass a symmetric one for an undirected graph; `D̃` holds the row sums of `A + I`).
    public static func normalizedAdjacency(dense a: Tensor<Scalar>) throws -> SparseMatrix<Scalar> {
        guard a.rank == 2, a.shape[0] == a.shape[1] else {
            throw NNError.shapeMismatch(operation: "GCNLayer.normalizedAdjacency", expected: "[n, n]", actual: a.shape)
        }
        let n = a.shape[0]
        var triplets = [(Int, Int, Scalar)]()
        for i in 0..<n { for j in 0..<n where a.scalars[i * n + j] != 0 { triplets.append((i, j, a.scalars[i * n + j])) } }
        return try normalized(SparseMatrix(rows: n, cols: n, triplets: triplets))
    }

    /// `D̃^{−1/2}(A + I)D̃^{−1/2}` for a sparse square `A`.
    public static func normalized(_ a: SparseMatrix<Scalar>) throws -> SparseMatrix<Scalar> {
        guard a.rows == a.cols else {
            throw NNError.shapeMismatch(operation: "GCNLayer.normalized", expected: "[n, n]", actual: [a.rows, a.cols])
        }
        let n = a.rows
        var triplets = [(Int, Int, Scalar)]()
        triplets.reserveCapacity(a.nonzeroCount + n)
        for i in 0..<n {
            triplets.append((i, i, 1))
            for e in a.rowStart[i]..<a.rowStart[i + 1] { triplets.append((i, a.colIndex[e], a.values[e])) }
        }
        let withLoops = SparseMatrix(rows: n, cols: n, triplets: triplets)
        var invSqrtDegree = [Scalar](repeating: 0, count: n)
        for i in 0..<n {
            var d: Scalar = 0
            for e in withLoops.rowStart[i]..<withLoops.rowStart[i + 1] { d += withLoops.values[e] }
            try requireArgument(d > 0, "GCNLayer.normalizedAdjacency",
                                "node \(i) has degree \(d) in A + I; edge weights must keep degrees positive")
            invSqrtDegree[i] = 1 / Scalar.sqrt(d)
        }
        var values = withLoops.values
        for i in 0..<n {
            for e in withLoops.rowStart[i]..<withLoops.rowStart[i + 1] {
                values[e] *= invSqrtDegree[i] * invSqrtDegree[withLoops.colIndex[e]]
            }
        }
        return SparseMatrix(rows: n, cols: n, rowStart: withLoops.rowStart, colIndex: withLoops.colIndex, values: values)
    }
}
