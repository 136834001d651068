import L2OCore
import L2ODecentralized
import L2OOptimizees

extension EvaluationInstance {
    /// The evaluation instance of a node-sharded optimizee `F(x) = (1/n) Σ_i f_i(x) + r(x)` (LASSO,
    /// logistic regression): the methods see `NodeOracles(problem)`; the gap `F(x̄) − F*` is read on
    /// `reference`, the same problem in Double, with `F* = problem.referenceOptimum.value`.
    /// Throws `OptimizeeError.invalidArgument` when `problem` has no reference optimum or the shard
    /// weights are not `1/n`.
    public init<P: Optimizee, D: Optimizee>(name: String, problem: P, reference: D) throws
    where P.Scalar == Scalar, D.Scalar == Double {
        guard let optimum = problem.referenceOptimum else {
            throw OptimizeeError.invalidArgument(
                what: "evaluation instance \(name)", detail: "no reference optimum; compute it first (withReferenceOptimum())")
        }
        self.init(name: name, oracles: try NodeOracles(problem), objective: { reference.value($0.cast(to: Double.self)) },
                  optimalValue: optimum.value)
    }
}
