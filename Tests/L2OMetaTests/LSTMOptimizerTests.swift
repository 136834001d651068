import Foundation
import XCTest
import L2OCore
import L2ONN
import L2OData
import L2OCheckpoint
import L2OOptimizees
import L2OOptimizers
@testable import L2OMeta

/// The coordinate-wise LSTM optimizer [Andrychowicz et al. 2016] as a second learned rule of the
/// generic meta-trainer: preprocessing, the first-order objective op, the tape-free optimizer
/// against the unrolled step, and meta-training end to end on small classifiers.
final class LSTMOptimizerTests: XCTestCase {
    func testGradientPreprocessingFollowsThePaper() throws {
        var rng = RandomState(seed: 1)
        let net = try LSTMOptimizerNet<Double>(rng: &rng)
        let g = Tensor<Double>([0.5, -2, 1e-6, -1e-6, 0])
        // |g| = 1e-6 < e^{-10} ≈ 4.5e-5 takes the small branch (−1, e^{10} g); 0 too.
        let expected: [Double] = [Foundation.log(0.5) / 10, 1, Foundation.log(2) / 10, -1, -1, 1e-6 * Foundation.exp(10.0), -1, -1e-6 * Foundation.exp(10.0), -1, 0]
        let p = net.preprocess(g)
        XCTAssertEqual(p.shape, [5, 2])
        for (a, b) in zip(p.scalars, expected) { XCTAssertEqual(a, b, accuracy: 4 * Double.ulpOfOne * Swift.max(1, abs(b))) }
    }

    /// A small classification family: a 16-8-4 sigmoid MLP on synthetic 4×4 images in 4 classes.
    func family(samples: Int = 64) throws -> MLPClassificationFamily<Double> {
        let data = try SyntheticImages.generate(Double.self, count: 256, height: 4, width: 4, classCount: 4, noise: 0.5, seed: 3, split: .train)
        return try MLPClassificationFamily(data: data, sizes: [16, 8, 4], activation: .sigmoid, nodes: 1, samplesPerNode: samples, batchSize: 16, seed: 5)
    }

    func testObjectiveOpsBackwardIsTheMinibatchGradient() throws {
        var rng = RandomState(seed: 2)
        let rule = LSTMOptimizerRule(net: try LSTMOptimizerNet<Double>(hiddenSize: 5, rng: &rng))
        let f = try family()
        let task = try rule.task(try f.instances(.train, count: 2), indices: [0, 1])
        let tape = Tape<Double>()
        let state = try rule.initialState(for: task, tape: tape, rng: &rng)
        let x = tape.variable(state.x.value)
        var s = state
        s.x = x
        let obj = rule.objectives(s, on: task)
        XCTAssertEqual(obj.shape, [2])
        let loss = (obj * Variable(constant: Tensor([0.3, 0.7]))).sum()
        tape.backward(loss)
        // The same minibatches (those the next step takes its gradient from) by direct evaluation.
        var streams = state.gradientStreams
        let (losses, g) = rule.minibatch(state.x.value, task, &streams)
        XCTAssertEqual(obj.value.scalars, losses)
        let d = task.dimension
        let expected = Tensor.concat([g.rows(0..<d) * 0.3, g.rows(d..<(2 * d)) * 0.7], axis: 0)
        XCTAssertEqual(tape.gradient(of: x), expected)
        // Problem 0's slice is its own minibatch gradient at its own parameters.
        var r1 = state.gradientStreams[0]
        let direct = task.problems[0].minibatchGradient(shard: 0, at: state.x.value.rows(0..<d), rng: &r1)
        XCTAssertEqual(direct.gradient, g.rows(0..<d))
        XCTAssertGreaterThan(direct.gradient.normInf(), 0)
    }

    /// The tape-free optimizer (states kept in slots) takes exactly the unrolled step's updates.
    func testTapeFreeOptimizerMatchesTheUnrolledStep() throws {
        var rng = RandomState(seed: 4)
        let net = try LSTMOptimizerNet<Double>(hiddenSize: 6, rng: &rng)
        let opt = LSTMOptimizer(net: net)
        let p = Parameter(Tensor<Double>.normal([3, 4], seed: 7))
        let params: NamedParameters<Double> = [("w", p)]
        var state = opt.makeState(for: params)
        var x = p.value
        var netState = net.zeroState(rows: 12, tape: nil)
        for k in 0..<4 {
            let g = Tensor<Double>.normal([3, 4], seed: 100 + UInt64(k)) * 0.1
            p.grad = g
            try opt.step(&state, parameters: params, context: StepContext(iteration: k))
            let (delta, next) = try net.step(gradient: g, state: netState, context: ForwardContext(tape: nil))
            x = x + delta.value.reshaped([3, 4])
            netState = next
            XCTAssertEqual(p.value.maxAbsDifference(x), 0, "step \(k)")
        }
        // The state round-trips through export/import (a checkpoint).
        let restored = try opt.importState(opt.exportState(state), for: params)
        XCTAssertEqual(restored.slots, state.slots)
        XCTAssertEqual(opt.slotNames.count, 4 * 6)
        XCTAssertThrowsError(try { var o = opt; try o.setHyperParameter("lr", to: 0.1) }())
        // It has no learning rate, so no prox step: on a problem with r ≠ 0 it says so.
        let lasso = try LASSOFamily<Double>(nodes: 1, dimension: 12, samplesPerNode: 5, lambda: 0.1, seed: 1).instance(.train, index: 0)
        XCTAssertThrowsError(try minimize(opt, on: lasso, iterations: 1)) { XCTAssertTrue("\($0)".contains("prox"), "\($0)") }
    }

    /// Meta-training through the generic trainer lowers the meta-loss on held-out problems,
    /// resumes bit for bit, and the result is an `Optimizer` the one driver runs.
    func testMetaTrainingTheLSTMOptimizerWithTheGenericTrainer() throws {
        let f = try family()
        let training = try f.instances(.train, count: 8)
        let curriculum = Curriculum(name: "tiny-lstm", stages: [.init(metaLearningRate: 1e-2, truncation: 5, horizon: 20, epochs: 6)])
        var settings = MetaTrainingSettings()
        settings.batchSize = 4
        settings.seed = 9
        func makeTrainer() throws -> MetaTrainer<LSTMOptimizerRule<Double>> {
            var rng = RandomState(seed: 11)
            return try MetaTrainer(rule: LSTMOptimizerRule(net: try LSTMOptimizerNet<Double>(hiddenSize: 8, rng: &rng)),
                                   training: training, curriculum: curriculum, settings: settings)
        }
        // Mean loss after 20 steps on held-out problems, before and after meta-training.
        let heldOut = try f.instances(.test, count: 4)
        func heldOutLoss(_ rule: LSTMOptimizerRule<Double>) throws -> Double {
            var total = 0.0
            for p in heldOut {
                let r = try minimize(try rule.makeOptimizer(), on: p, from: p.initialPoint, iterations: 20, recordEvery: 20)
                total += r.objective.last!.value
            }
            return total / Double(heldOut.count)
        }
        let trainer = try makeTrainer()
        let before = try heldOutLoss(trainer.rule)
        let config = LSTMOptimizerConfig(net: trainer.rule.net, trainedOn: "test", curriculum: curriculum, settings: settings)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lstm-\(UUID().uuidString).resume.h5")
        defer { try? FileManager.default.removeItem(at: file) }
        var saves = 0
        struct Killed: Error {}
        XCTAssertThrowsError(try trainer.run(checkpointEvery: 0) { t in
            try t.resumeCheckpoint(config: config).write(to: file)
            saves += 1
            if saves == 3 { throw Killed() }
        })
        let resumed = try makeTrainer()
        try resumed.restore(from: try Checkpoint.read(from: file, kind: LSTMOptimizerCheckpoint.kind, requireResume: true), config: config)
        try resumed.run()
        let straight = try makeTrainer()
        try straight.run()
        for (name, t) in straight.rule.net.parameterTensors() { XCTAssertEqual(resumed.rule.net.parameterTensors()[name], t, name) }
        XCTAssertEqual(straight.history.count, 6)
        // Killed mid-epoch, the resumed run's epoch summaries still cover every window of each epoch.
        XCTAssertEqual(resumed.history.map(\.meanLoss), straight.history.map(\.meanLoss))
        XCTAssertEqual(resumed.history.map(\.finalObjective), straight.history.map(\.finalObjective))
        let after = try heldOutLoss(straight.rule)
        XCTAssertLessThan(after, before, "meta-training improves the held-out loss after 20 steps (\(before) → \(after))")
        // A weights checkpoint rebuilds the same optimizer.
        let weights = FileManager.default.temporaryDirectory.appendingPathComponent("lstm-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: weights) }
        try LSTMOptimizerCheckpoint.weights(net: straight.rule.net, config: config).write(to: weights)
        let loaded = try LSTMOptimizerCheckpoint.load(from: weights, as: Double.self)
        XCTAssertEqual(loaded.net.parameterTensors(), straight.rule.net.parameterTensors())
        XCTAssertEqual(loaded.config, config)
    }
}
