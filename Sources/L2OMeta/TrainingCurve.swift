import L2OCore
import L2ONN
import L2OOptimizees
import L2OOptimizers

/// Training curves of parameter optimizers on classifier-training tasks, as the LSTM-optimizer
/// experiments report them [L2L], §3.2: `steps` minibatch steps from the
/// task's initial weights, the loss on all of the task's samples recorded at `marks`.
public enum TrainingCurve {
    /// The full-data losses after each of `marks` steps (a non-finite value once the run diverged).
    public static func run<O: ParameterOptimizer, S: TensorScalar>(
        _ optimizer: O, on task: MLPClassification<S>, steps: Int, marks: [Int], seed: UInt64
    ) throws -> [Double] where O.Scalar == S {
        guard steps >= 1, marks.allSatisfy({ $0 >= 0 && $0 <= steps }), zip(marks, marks.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw MetaTrainingError.invalid("training curve: steps must be ≥ 1 and the marks increasing, within 0…steps")
        }
        let x = Parameter(task.initialPoint)
        let params: NamedParameters<S> = [("x", x)]
        var state = optimizer.makeState(for: params)
        var rng = RandomState(seed: seed)
        var out = [Double]()
        func record() { out.append(Double(task.smoothValue(shard: 0, at: x.value))) }
        if marks.contains(0) { record() }
        for t in 1...steps {
            let (loss, g) = task.minibatchGradient(shard: 0, at: x.value, rng: &rng)
            x.grad = g
            try optimizer.step(&state, parameters: params, context: StepContext(iteration: t - 1, loss: loss))
            if marks.contains(t) { record() }
            if !x.value.scalars.allSatisfy(\.isFinite) {
                while out.count < marks.count { out.append(.nan) }
                break
            }
        }
        return out
    }
}
