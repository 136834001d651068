import L2OCore
import L2OOptimizees

/// The state of BADM minimizing an `Optimizee`: the iterate and BADM's duals and second moments.
public struct BADMRun<Scalar: TensorScalar> {
    public var x: Tensor<Scalar>
    public var badm: BADMState<Scalar>
}

/// BADM on an `Optimizee` [BADM, Alg. 1]: one step is one pass over one batch whose samples are
/// the problem's shards, split into `min(N_b, shardCount)` contiguous sub-batches; a sub-batch's
/// loss and gradient are the `α_s`-weighted means of its shards'. With one sub-batch the fixed
/// point is a stationary point of the smooth part; with several, the aggregation (7) weights each
/// dual by `m^{-1/2}`, so BADM stops where `Σ_n α_n m_n^{-1/2} ⊙ π_n = 0`. A non-zero `r` is applied
/// as a proximal step with BADM's local step `1/(ρ+σ)` after each pass.
extension BADM: Optimizer {
    public func makeState<P: Optimizee>(for problem: P, from x0: Tensor<Scalar>?) throws -> BADMRun<Scalar> where P.Scalar == Scalar {
        let x = try startingPoint(x0, for: problem, method: name)
        return BADMRun(x: x, badm: makeState(for: [("x", Parameter(x))]))
    }

    @discardableResult
    public func step<P: Optimizee>(_ state: inout BADMRun<Scalar>, on problem: P) throws -> StepReport where P.Scalar == Scalar {
        let weights = problem.shardWeights
        let source = ClosureGradientSource<Scalar>(batchSizes: [problem.shardCount]) { _, shards, w in
            var total: Scalar = 0, loss: Scalar = 0
            var g = Tensor<Scalar>.zeros([problem.dimension])
            for s in shards {
                total += weights[s]
                loss += weights[s] * problem.smoothValue(shard: s, at: w[0])
                g.addScaled(problem.gradient(shard: s, at: w[0]), weights[s])
            }
            return (loss / total, [g * (1 / total)])
        }
        let parameter = Parameter(state.x)
        let report = try pass(&state.badm, parameters: [("x", parameter)], source: source)
        let step = 1 / (rho + sigma)
        let applied = report.skippedBatches == 0
        if applied {
            state.x = parameter.value
            if problem.regularizer.lambda != 0 { state.x = problem.prox(state.x, step: Scalar(step)) }
        }
        return StepReport(applied: applied, skipReason: applied ? nil : "non-finite sub-batch loss or update",
                          learningRate: step, gradientNorm: .nan, clipped: false)
    }

    public func solution(_ state: BADMRun<Scalar>) -> Tensor<Scalar> { state.x }
}
