import Foundation
import L2O

/// Model-training benchmarks: one Adam step of the BADM paper's MLP (the JAX peer's
/// `mlp-adam-step`) and one training pass with BADM and with Adam through the `Trainer`.
extension Benchmarks {
    /// One training step of the 784-32-32-10 ReLU MLP at batch 128 in Float: forward, softmax
    /// cross-entropy `−(1/B)Σ_b log softmax(z_b)[y_b]`, backward, Adam update (lr 1e-3,
    /// β = (0.9, 0.999), ε = 1e-8) — what `jax_bench.py mlp-adam-step` times.
    static func mlpAdamStep(_ s: BenchSettings) -> [JSONLine] {
        let batch = 128, sizes = [784, 32, 32, 10]
        var rng = RandomState(seed: 3)
        let mlp = try! MLP<Float>(sizes: sizes, rng: &rng)
        let x = Tensor<Float>.normal([batch, sizes[0]], rng: &rng)
        let labels = (0..<batch).map { _ in rng.int(below: sizes[3]) }
        let adam = try! Adam<Float>()
        let named = mlp.namedParameters()
        var state = adam.makeState(for: named)
        var losses = [Float]()
        let ms = Timing.median(reps: s.reps ?? 200, warmup: s.warmup) {
            mlp.zeroGrad()
            let tape = Tape<Float>()
            let logits = try! mlp(tape.constant(x), context: ForwardContext(tape: tape))
            let loss = try! softmaxCrossEntropy(logits: logits, labels: labels)
            tape.backward(loss)
            let r = try! adam.step(&state, parameters: named, context: StepContext(iteration: state.step, loss: loss.value.scalar))
            precondition(r.applied, "mlp-adam-step: the step was skipped (\(r.skipReason ?? ""))")
            losses.append(loss.value.scalar)
        }
        // The same batch over and over: the loss must fall, or the benchmark timed a broken step.
        precondition(losses.allSatisfy(\.isFinite) && losses.last! < losses.first!, "mlp-adam-step: loss did not decrease")
        var j = JSONLine("mlp-adam-step")
        j.add("batch", batch); j.add("sizes", sizes)
        j.add("scalar", "float32")
        j.add("parameters", mlp.parameterCount)
        j.add("median_ms", ms, digits: 5)
        return [j]
    }

    /// One pass (epoch) of `Trainer` over 6,000 synthetic 28×28 images (Fashion-MNIST's shape,
    /// 10 classes) for the 784-32-32-10 MLP at batch 128: BADM with its defaults (8 sub-batches
    /// of 16, run in parallel) and Adam with its defaults, alternating epoch by epoch so both see
    /// the same machine load. Times are the trainer's own training seconds (evaluation excluded).
    /// `badm-pass` times both and prints both lines, the BADM one with the ratio; `adam-pass`
    /// times Adam alone.
    static func trainingPasses(_ names: [String], _ s: BenchSettings) -> [JSONLine] {
        let samples = 6000, batch = 128
        let train = try! SyntheticImages.generate(Float.self, count: samples, noise: 0.9, seed: 2024, split: .train)
        let test = try! SyntheticImages.generate(Float.self, count: 100, noise: 0.9, seed: 2024, split: .test)
        let trainers = names.map { name -> Trainer<Float> in
            var rng = RandomState(seed: 0)
            let model: Classifier<Float> = try! ClassifierArchitecture.paperMLP.make(height: 28, width: 28, classCount: 10, rng: &rng)
            return try! Trainer(classifier: model, optimizer: try! TrainingOptimizers.make(name), train: train, test: test,
                                settings: TrainingSettings(batchSize: batch, seed: 0))
        }
        var times = [[Double]](repeating: [], count: names.count)
        for rep in 0..<(s.warmup + (s.reps ?? 7)) {
            for (k, t) in trainers.enumerated() {
                let before = t.seconds
                try! t.run(epochs: t.completedEpochs + 1)
                if rep >= s.warmup { times[k].append(1e3 * (t.seconds - before)) }
            }
        }
        let medians = times.map(Timing.median)
        var out = [JSONLine]()
        for (k, name) in names.enumerated() {
            let h = trainers[k].history
            precondition(h.last!.trainLoss.isFinite && (h.count < 3 || h.last!.trainLoss < h[1].trainLoss),
                         "\(name)-pass: the training loss did not fall")
            var j = JSONLine("\(name)-pass")
            j.add("samples", samples); j.add("batch", batch)
            if let badm = trainers[k].optimizer as? BADM<Float> { j.add("sub_batches", badm.subBatchCount); j.add("workers", Parallel.workers) }
            j.add("model", "mlp-784-32-32-10")
            j.add("scalar", "float32")
            j.add("median_ms", medians[k])
            j.add("final_train_loss", h.last!.trainLoss)
            if name == "badm", let a = names.firstIndex(of: "adam") { j.add("ratio_to_adam", medians[k] / medians[a]) }
            out.append(j)
        }
        return out
    }
}
