import L2OCore
import L2OOptimizees
import L2ODecentralized

/// A batch of LASSO instances laid out for a learned decentralized rule: node `i`'s data of every
/// instance stacked, so one batched product serves the whole batch.
///
/// `gradients` is the tape op `x_i [B, d] ↦ ∇f_i(x_i) = A_iᵀ(A_i x_i − b_i)/N` whose backward is
/// the Hessian-vector product `A_iᵀA_i u/N`: meta-training differentiates *through* the
/// gradient, as the MiLoDo authors do for LASSO.
public struct LassoMetaBatch<Scalar: TensorScalar> {
    public let nodes: Int, dimension: Int, samplesPerNode: Int, batch: Int
    /// Per node: `[B, N, d]`.
    public let a: [Tensor<Scalar>]
    /// Per node: `[B, N, 1]`.
    public let b: [Tensor<Scalar>]
    public let lambda: Scalar
    /// `F*` of every instance (`[B]`), when all of them carry a reference optimum.
    public let optimalValues: Tensor<Scalar>?

    public init(_ instances: [LASSO<Scalar>]) throws {
        guard let first = instances.first else { throw MetaTrainingError.invalid("a meta-batch needs at least one instance") }
        for p in instances where p.A.shape != first.A.shape || p.lambda != first.lambda {
            throw MetaTrainingError.invalid("instances of one meta-batch must share shape and λ: \(p.A.shape), λ=\(p.lambda) vs \(first.A.shape), λ=\(first.lambda)")
        }
        nodes = first.nodes
        dimension = first.dimension
        samplesPerNode = first.samplesPerNode
        batch = instances.count
        lambda = first.lambda
        let N = samplesPerNode, d = dimension
        a = (0..<nodes).map { i in Tensor.concat(instances.map { $0.A.rows(i..<(i + 1)) }, axis: 0) }
        b = (0..<nodes).map { i in Tensor.concat(instances.map { $0.b.rows(i..<(i + 1)).reshaped([1, N, 1]) }, axis: 0) }
        _ = d
        let optima = instances.compactMap(\.referenceOptimum)
        optimalValues = optima.count == instances.count ? Tensor(optima.map { Scalar($0.value) }) : nil
    }

    /// `∇f_i(x_i)` for every node, each `[B, d]`, differentiable with HVP backward.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func gradients(_ xs: [Variable<Scalar>]) -> [Variable<Scalar>] {
        let B = batch, d = dimension, invN = 1 / Scalar(samplesPerNode)
        return xs.enumerated().map { i, x in
            let ai = a[i]
            let r = Tensor.matmul(ai, x.value.reshaped([B, d, 1])) - b[i]  // [B, N, 1]
            let g = (Tensor.matmul(ai, r, transposeA: true) * invN).reshaped([B, d])
            return Variable.record(g, inputs: [x]) { u in
                [(Tensor.matmul(ai, Tensor.matmul(ai, u.reshaped([B, d, 1])), transposeA: true) * invN).reshaped([B, d])]
            }
        }
    }

    /// `F(x̄_b)` for every instance `b` (shape `[B]`), differentiable: `x̄ = (1/n) Σ_i x_i`,
    /// `F = Σ_i ‖A_i x̄ − b_i‖²/(2nN) + λ‖x̄‖₁`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func objectives(_ xs: [Variable<Scalar>]) -> Variable<Scalar> {
        let B = batch, d = dimension
        var xbar = xs[0]
        for x in xs.dropFirst() { xbar = xbar + x }
        xbar = xbar / Scalar(nodes)
        let col = xbar.reshaped([B, d, 1])
        var f: Variable<Scalar>?
        for i in 0..<nodes {
            let r = matmul(Variable(constant: a[i]), col) - b[i]  // [B, N, 1]
            let sq = (r * r).sum(axis: 1).reshaped([B])
            f = f.map { $0 + sq } ?? sq
        }
        return f! / Scalar(2 * nodes * samplesPerNode) + abs(xbar).sum(axis: 1) * lambda
    }
}

extension LassoMetaBatch {
    /// The consensus error `(1/n) Σ_i ‖x_i − x̄‖²` of every instance (shape `[B]`), differentiable.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func consensusErrors(_ xs: [Variable<Scalar>]) -> Variable<Scalar> {
        var xbar = xs[0]
        for x in xs.dropFirst() { xbar = xbar + x }
        xbar = xbar / Scalar(nodes)
        var e: Variable<Scalar>?
        for x in xs {
            let r = x - xbar
            let sq = (r * r).sum(axis: 1)
            e = e.map { $0 + sq } ?? sq
        }
        return e! / Scalar(nodes)
    }
}

extension LassoMetaBatch {
    /// Runs `iterations` of the MiLoDo rule at Exact Diffusion's constants (`p = γ`,
    /// `p_ij,1 = w_ij/(2γ)`, `p_ij,2 = w_ij/2`) from `(x, y)` per node, without a tape:
    /// `z_i = soft(x_i − γ(∇f_i(x_i) + y_i), λγ)`, `y_i += Σ_j w_ij/(2γ)(z_i − z_j)`,
    /// `x_i = z_i − Σ_j w_ij/2 (z_i − z_j)`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func exactDiffusionRun(x: [Tensor<Scalar>], y: [Tensor<Scalar>], iterations: Int, gamma: Scalar,
                                  mixing w: MixingMatrix<Scalar>) -> (x: [Tensor<Scalar>], y: [Tensor<Scalar>]) {
        var x = x, y = y
        let topology = w.topology
        for _ in 0..<iterations {
            let g = gradients(x.map { Variable(constant: $0) }).map(\.value)
            let z = (0..<nodes).map { i -> Tensor<Scalar> in
                var v = x[i]
                v.addScaled(g[i] + y[i], -gamma)
                return softThreshold(v, lambda * gamma)
            }
            for i in 0..<nodes {
                var lap = Tensor<Scalar>.zeros(z[i].shape)
                for j in topology.neighbors[i] { lap.addScaled(z[i] - z[j], Scalar(w.weight(i, j))) }
                y[i].addScaled(lap, 1 / (2 * gamma))
                x[i] = z[i]
                x[i].addScaled(lap, -0.5)
            }
        }
        return (x, y)
    }
}

/// Errors of meta-training and its configuration.
public enum MetaTrainingError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case resume(String)
    public var description: String {
        switch self {
        case .invalid(let m): return "meta-training: \(m)"
        case .resume(let m): return "cannot resume meta-training: \(m)"
        }
    }
}
