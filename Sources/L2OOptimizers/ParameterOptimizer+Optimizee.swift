import L2OCore
import L2OOptimizees

/// The state of a `ParameterOptimizer` minimizing an `Optimizee`: the iterate and the optimizer's
/// per-parameter state for the one parameter `x`.
public struct FlatParameterState<Scalar: TensorScalar> {
    public var x: Tensor<Scalar>
    public var inner: OptimizerState<Scalar>
    public init(x: Tensor<Scalar>, inner: OptimizerState<Scalar>) {
        self.x = x
        self.inner = inner
    }
}

extension ParameterOptimizer {
    /// The single parameter name under which `x` is stepped.
    static var flatParameterName: String { "x" }

    public func makeState<P: Optimizee>(for problem: P, from x0: Tensor<Scalar>?) throws -> FlatParameterState<Scalar> where P.Scalar == Scalar {
        let x = try startingPoint(x0, for: problem, method: name)
        return FlatParameterState(x: x, inner: makeState(for: [(Self.flatParameterName, Parameter(x))]))
    }

    /// `x ← prox_{lr_t·r}(x − update(∇f(x)))`: the optimizer's update from the smooth gradient
    /// `Σ_s α_s ∇f_s(x)`, then the proximal step of `r` with the step's learning rate (the
    /// proximal gradient method for SGD; for adaptive methods the usual proximal variant).
    ///
    /// An optimizer that `needsSubBatchGradients` (BADM [BADM, Alg. 1]) gets the problem's shards
    /// as the samples of one batch: the loss and gradient of a range of shards are the
    /// `α_s`-weighted means of theirs, at the weights it asks for.
    @discardableResult
    public func step<P: Optimizee>(_ state: inout FlatParameterState<Scalar>, on problem: P) throws -> StepReport where P.Scalar == Scalar {
        let parameter = Parameter(state.x)
        var context = StepContext<Scalar>(iteration: state.inner.step + state.inner.skippedSteps)
        if needsSubBatchGradients {
            let weights = problem.shardWeights
            context.subBatches = SubBatchOracle(sampleCount: problem.shardCount) { shards, w in
                var total: Scalar = 0, loss: Scalar = 0
                var g = Tensor<Scalar>.zeros([problem.dimension])
                for s in shards {
                    total += weights[s]
                    loss += weights[s] * problem.smoothValue(shard: s, at: w[0])
                    g.addScaled(problem.gradient(shard: s, at: w[0]), weights[s])
                }
                return (loss / total, [g * (1 / total)])
            }
        } else {
            parameter.grad = problem.smoothGradient(at: state.x)
            context.loss = problem.smoothValue(at: state.x)
        }
        let report = try step(&state.inner, parameters: [(Self.flatParameterName, parameter)], context: context)
        guard report.applied else { return report }
        if problem.regularizer.lambda != 0 {
            guard report.learningRate.isFinite, report.learningRate > 0 else {
                throw OptimizerError.invalidArgument(
                    operation: "\(name).step",
                    message: "the problem has a non-smooth regularizer r, whose prox needs the step's learning rate, and this optimizer reports none; use it on problems without r (λ = 0)")
            }
            state.x = problem.prox(parameter.value, step: Scalar(report.learningRate))
        } else {
            state.x = parameter.value
        }
        return report
    }

    public func solution(_ state: FlatParameterState<Scalar>) -> Tensor<Scalar> { state.x }
}
