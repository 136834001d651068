import L2OCore

/// The raw draws of one synthetic instance, in Double, before conversion to the working scalar.
public struct SyntheticData: Sendable {
    /// `A`, shape `[n, N, d]` (rows `[iN, (i+1)N)` of the full `nN × d` matrix belong to node i).
    public var A: Tensor<Double>
    /// Targets or labels, shape `[n, N]`.
    public var b: Tensor<Double>
    /// The planted sparse signal `x*`, shape `[d]`.
    public var plantedSignal: Tensor<Double>
    /// The noise `ε` added to `b` (zeros for logistic regression), shape `[n, N]`.
    public var noise: Tensor<Double>
}

/// The generation recipes of [MiLoDo] App. E.2. Draw order from one `RandomState(seed:)`: all `nN·d`
/// entries of `A` (row-major), then the `d` entries of `x*`, then (LASSO) the `nN` noise draws.
public enum Recipes {
    /// Fraction of `x*` set to zero.
    public static let sparsity = 0.75
    /// Standard deviation of the LASSO noise.
    public static let noiseLevel = 0.1

    /// Number of zeroed entries of a `d`-vector: `⌊3d/4⌋`.
    public static func zeroCount(dimension d: Int) -> Int { (3 * d) / 4 }

    /// `x* ~ N(0, I_d)` with the `⌊3d/4⌋` entries of smallest magnitude set to 0 (ties, which have
    /// probability zero, broken by index).
    public static func sparseSignal(dimension d: Int, rng: inout RandomState) -> Tensor<Double> {
        var x = (0..<d).map { _ in rng.normal() }
        let order = (0..<d).sorted { (abs(x[$0]), $0) < (abs(x[$1]), $1) }
        for j in order.prefix(zeroCount(dimension: d)) { x[j] = 0 }
        return Tensor(x)
    }

    /// LASSO: `A` iid N(0,1) of shape `[nN, d]`, sparse `x*`, `b = A x* + 0.1·ε`, `ε ~ N(0, I)`.
    public static func lasso(nodes n: Int, dimension d: Int, samplesPerNode N: Int, seed: UInt64) -> SyntheticData {
        var rng = RandomState(seed: seed)
        let A = Tensor<Double>.normal([n * N, d], rng: &rng)
        let x = sparseSignal(dimension: d, rng: &rng)
        let eps = Tensor<Double>.normal([n * N], rng: &rng)
        let b = Tensor.matvec(A, x) + eps * noiseLevel
        return SyntheticData(A: A.reshaped([n, N, d]), b: b.reshaped([n, N]), plantedSignal: x, noise: eps.reshaped([n, N]))
    }

    /// Logistic regression: `A` iid N(0,1) of shape `[nN, d]`, sparse `x*`, `b_j = 1[a_jᵀx* ≥ 0]`.
    public static func logistic(nodes n: Int, dimension d: Int, samplesPerNode N: Int, seed: UInt64) -> SyntheticData {
        var rng = RandomState(seed: seed)
        let A = Tensor<Double>.normal([n * N, d], rng: &rng)
        let x = sparseSignal(dimension: d, rng: &rng)
        let b = Tensor.matvec(A, x).map { $0 >= 0 ? 1 : 0 }
        return SyntheticData(A: A.reshaped([n, N, d]), b: b.reshaped([n, N]), plantedSignal: x, noise: .zeros([n, N]))
    }
}
