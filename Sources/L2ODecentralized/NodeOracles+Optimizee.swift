import L2OCore
import L2OOptimizees

extension NodeOracles {
    /// The oracles of a node-sharded optimizee whose shard `i` is node `i`,
    /// ```
    /// F(x) = (1/n) Σ_i f_i(x) + r(x),   G(X) = [∇f_i(x_i)]_i,   prox_{t·r}(V) row-wise
    /// ```
    /// (LASSO, logistic regression): `G` is `problem.gradients(at:)` (one fused pass where the problem
    /// has one), the prox is `problem.regularizer`'s and `l1Weight` is its λ (0 for `r = 0`).
    /// Throws `OptimizeeError.invalidArgument` unless every shard weight is `α_i = 1/n`, the weighting
    /// the decentralized methods solve for.
    @inlinable
    public init<P: Optimizee>(_ problem: P) throws where P.Scalar == Scalar {
        let n = problem.shardCount
        let uniform = 1 / Scalar(n)
        let weights = problem.shardWeights
        guard weights.count == n, weights.allSatisfy({ Swift.abs($0 - uniform) <= 4 * Scalar.ulpOfOne * uniform }) else {
            throw OptimizeeError.invalidArgument(
                what: "decentralized problem", detail: "shard weights must all be 1/n = \(uniform) (F = (1/n) Σ_i f_i + r); got \(weights.prefix(4))…")
        }
        let r = problem.regularizer
        self.init(nodeCount: n, dimension: problem.dimension, gradients: { problem.gradients(at: $0) },
                  prox: { v, t in r.prox(v, step: t) }, l1Weight: r.lambda)
    }
}
