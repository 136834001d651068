import Foundation
import XCTest
@testable import L2OMeta
import L2OCheckpoint
import L2OCore
import L2OData
import L2ONN
import L2OOptimizers

/// The `Trainer` on tiny synthetic images (6×6, 3 classes): learning, exact resume after a
/// simulated kill, checkpoint contents, and rejected settings.
final class TrainerTests: XCTestCase {
    static let train = try! SyntheticImages.generate(Float.self, count: 96, height: 6, width: 6, classCount: 3, noise: 0.5, seed: 11, split: .train)
    static let test = try! SyntheticImages.generate(Float.self, count: 48, height: 6, width: 6, classCount: 3, noise: 0.5, seed: 11, split: .test)

    func makeTrainer(_ algorithm: any ParameterOptimizer<Float>, architecture: ClassifierArchitecture = .mlp(hidden: [8]),
                     seed: UInt64 = 3) throws -> Trainer<Float> {
        var rng = RandomState(seed: seed)
        let model: Classifier<Float> = try architecture.make(height: 6, width: 6, classCount: 3, rng: &rng)
        return try Trainer(classifier: model, optimizer: algorithm, train: Self.train, test: Self.test,
                           settings: TrainingSettings(batchSize: 16, seed: seed))
    }

    func temporaryFile(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-trainer-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir.appendingPathComponent(name)
    }

    func testDataOrderDependsOnlyOnSeedAndEpoch() {
        let a = Trainer<Float>.batches(seed: 5, epoch: 2, sampleCount: 50, batchSize: 16)
        XCTAssertEqual(a, Trainer<Float>.batches(seed: 5, epoch: 2, sampleCount: 50, batchSize: 16))
        XCTAssertEqual(a.map(\.count), [16, 16, 16, 2])
        XCTAssertEqual(a.flatMap { $0 }.sorted(), Array(0..<50), "every sample exactly once per epoch")
        XCTAssertNotEqual(a, Trainer<Float>.batches(seed: 5, epoch: 3, sampleCount: 50, batchSize: 16))
        XCTAssertNotEqual(a, Trainer<Float>.batches(seed: 6, epoch: 2, sampleCount: 50, batchSize: 16))
    }

    func testAdamAndBADMLearnTheSyntheticClasses() throws {
        for algorithm in [try TrainingOptimizers.make("adam", settings: ["lr": 1e-2], as: Float.self),
                          try TrainingOptimizers.make("badm", settings: ["rho": 20, "sigma": 80, "sub_batches": 4], as: Float.self)] {
            let trainer = try makeTrainer(algorithm)
            var progressCalls = 0
            try trainer.run(epochs: 4, progress: { p in
                progressCalls += 1
                XCTAssertEqual(p.batchesTotal, 4 * trainer.batchesPerEpoch)
            })
            XCTAssertEqual(progressCalls, 4 * 6)
            XCTAssertEqual(trainer.history.map(\.epoch), [0, 1, 2, 3, 4])
            let first = trainer.history[1].trainLoss, last = trainer.history[4].trainLoss
            XCTAssertLessThan(last, 0.5 * first, "\(algorithm.name): training loss should more than halve, got \(first) → \(last)")
            XCTAssertGreaterThan(trainer.history[4].testAccuracy, 0.9, "\(algorithm.name)")
            XCTAssertLessThan(trainer.history[0].testAccuracy, 0.7, "\(algorithm.name): the untrained model should be far from solved")
            XCTAssertTrue(trainer.curveCSV.hasPrefix("epoch,train_loss,test_loss,test_accuracy,seconds,skipped\n0,,"))
            XCTAssertEqual(trainer.curveCSV.split(separator: "\n").count, 6)
        }
    }

    /// Kill after k epochs (the in-memory trainer is discarded), resume a fresh trainer — built
    /// from a *different* initialization seed, so only the file can make it right — from the
    /// checkpoint on disk, finish, and compare bit for bit with an uninterrupted run.
    func testResumeFromEpochCheckpointEqualsUninterruptedRun() throws {
        let cases: [(any ParameterOptimizer<Float>, ClassifierArchitecture)] = [
            (try TrainingOptimizers.make("adam", settings: ["lr": 5e-3], as: Float.self), .mlp(hidden: [8])),
            (try TrainingOptimizers.make("nadam", as: Float.self), .mlp(hidden: [8])),
            (try TrainingOptimizers.make("badm", settings: ["rho": 20, "sigma": 80, "sub_batches": 3], as: Float.self), .mlp(hidden: [8])),
            (try TrainingOptimizers.make("momentum", settings: ["lr": 0.05], as: Float.self), .cnn(channels: [2], dense: 8)),
        ]
        for (algorithm, architecture) in cases {
            let config = "{\"optimizer\":\"\(algorithm.name)\"}"
            let reference = try makeTrainer(algorithm, architecture: architecture)
            try reference.run(epochs: 3)

            let url = temporaryFile("run.resume.h5")
            do {
                let first = try makeTrainer(algorithm, architecture: architecture)
                struct Killed: Error {}
                // Checkpoint after every epoch, die in the middle of the third epoch (0-based 2).
                XCTAssertThrowsError(try first.run(epochs: 3, progress: { p in
                    if p.epoch == 2 && p.batch == 3 { throw Killed() }
                }, afterEpoch: { t in
                    try t.resumeCheckpoint(config: config).write(to: url)
                })) { XCTAssertTrue($0 is Killed) }
                XCTAssertEqual(first.completedEpochs, 2)
                XCTAssertNotEqual(first.classifier.module.parameterTensors(), reference.classifier.module.parameterTensors(),
                                  "the killed run is mid-epoch")
            }
            let checkpoint = try Checkpoint.read(from: url, kind: Trainer<Float>.checkpointKind, requireResume: true)
            XCTAssertEqual(try checkpoint.training.integer(named: "completed_epochs"), 2)
            let resumed = try makeTrainer(algorithm, architecture: architecture, seed: 99)
            // Same data seed as the reference; only the model initialization differs.
            let sameSettings = try Trainer(classifier: resumed.classifier, optimizer: algorithm, train: Self.train, test: Self.test,
                                           settings: reference.settings)
            XCTAssertNotEqual(sameSettings.classifier.module.parameterTensors(), reference.classifier.module.parameterTensors())
            try sameSettings.restore(from: checkpoint, config: config)
            XCTAssertEqual(sameSettings.completedEpochs, 2)
            try sameSettings.run(epochs: 3)
            XCTAssertEqual(sameSettings.classifier.module.parameterTensors(), reference.classifier.module.parameterTensors(),
                           "\(algorithm.name): resumed weights differ from the uninterrupted run")
            XCTAssertEqual(sameSettings.optimizerState, reference.optimizerState)
            XCTAssertEqual(sameSettings.history.map(\.testAccuracy), reference.history.map(\.testAccuracy))
            XCTAssertEqual(sameSettings.history.map(\.trainLoss).dropFirst(), reference.history.map(\.trainLoss).dropFirst())
        }
    }

    func testCheckpointHoldsNamedStateAndRefusesAnotherRun() throws {
        let trainer = try makeTrainer(try TrainingOptimizers.make("adam", as: Float.self))
        try trainer.run(epochs: 1)
        let url = temporaryFile("adam.resume.h5")
        try trainer.resumeCheckpoint(config: "{\"a\":1}").write(to: url)
        let ck = try Checkpoint.read(from: url)
        XCTAssertEqual(Set(ck.parameters.tensors.keys), ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"])
        XCTAssertNotNil(ck.optimizerState.tensors["exp_avg_sq.layers.1.bias"])
        XCTAssertEqual(try ck.optimizerState.double(named: "step"), Double(trainer.batchesPerEpoch))
        XCTAssertEqual(try ck.training.integer(named: "next_data_order_seed"),
                       Int64(bitPattern: Trainer<Float>.dataOrderSeed(seed: 3, epoch: 1)))

        let other = try makeTrainer(try TrainingOptimizers.make("adam", as: Float.self))
        XCTAssertThrowsError(try other.restore(from: ck, config: "{\"a\":2}")) { error in
            guard case TrainingError.cannotResume(_, let reason)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("another configuration"))
        }
        let rms = try makeTrainer(try TrainingOptimizers.make("rmsprop", as: Float.self))
        XCTAssertThrowsError(try rms.restore(from: ck, config: "{\"a\":1}")) { error in
            XCTAssertEqual(error as? TrainingError, .cannotResume(file: url.path, reason: "it holds adam state, this run uses rmsprop"))
        }
        XCTAssertThrowsError(try other.restore(from: ck.weightsOnly, config: "{\"a\":1}"))
        XCTAssertEqual(other.completedEpochs, 0, "a refused restore changes nothing")
    }

    func testBadHyperParametersAreRejectedWithTheirNames() {
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { try TrainingOptimizers.make("adam", settings: ["lr": -1], as: Float.self) }.contains("'lr' = -1.0 is invalid"))
        XCTAssertTrue(message { try TrainingOptimizers.make("badm", settings: ["rho": 0, "sigma": 0], as: Float.self) }.contains("'sigma'"))
        XCTAssertTrue(message { try TrainingOptimizers.make("badm", settings: ["sub_batches": 0], as: Float.self) }.contains("sub_batches"))
        XCTAssertTrue(message { try TrainingOptimizers.make("badm", settings: ["lr": 0.1], as: Float.self) }.contains("1/(rho+sigma)"))
        XCTAssertTrue(message { try TrainingOptimizers.make("sgd", settings: ["rho": 1], as: Float.self) }.contains("sgd has no hyper-parameter 'rho'"))
        XCTAssertTrue(message { try TrainingOptimizers.make("lbfgs", as: Float.self) }.contains("choose from badm, adam"))
        XCTAssertTrue(message { try self.makeTrainerWithBatch(0) }.contains("batch size"))
    }

    func makeTrainerWithBatch(_ b: Int) throws -> Trainer<Float> {
        var rng = RandomState(seed: 1)
        let model: Classifier<Float> = try ClassifierArchitecture.mlp(hidden: [4]).make(height: 6, width: 6, classCount: 3, rng: &rng)
        return try Trainer(classifier: model, optimizer: try TrainingOptimizers.make("sgd", as: Float.self), train: Self.train, test: Self.test,
                           settings: TrainingSettings(batchSize: b))
    }

    func testComparisonTablesAndPlots() {
        func run(_ label: String, _ seed: UInt64, _ accs: [Double]) -> TrainingRun {
            TrainingRun(label: label, seed: seed, history: accs.enumerated().map {
                EpochRecord(epoch: $0.offset, trainLoss: $0.offset == 0 ? .nan : 1 / Double($0.offset), testLoss: 1,
                            testAccuracy: $0.element, seconds: 2 * Double($0.offset), skipped: 0)
            })
        }
        let runs = [run("adam", 0, [0.1, 0.8, 0.86]), run("adam", 1, [0.1, 0.84, 0.88]), run("badm", 0, [0.1, 0.7, 0.8])]
        let summary = TrainingComparison.summaryTable(runs, target: 0.85).render()
        XCTAssertTrue(summary.contains("| adam      | 2    | 87.00% ± 1.41"), summary)
        XCTAssertTrue(summary.contains("| 2/2 "), summary)
        XCTAssertTrue(summary.contains("| 0/1 "), summary)
        let perRun = TrainingComparison.runTable(runs, target: 0.85).render()
        XCTAssertTrue(perRun.contains("| adam      | 1    | 88.00%          | 88.00%         | 2 "), perRun)
        let plots = TrainingComparison.plots(runs, title: "t")
        XCTAssertEqual(Set(plots.keys), ["loss-vs-epochs", "accuracy-vs-epochs", "loss-vs-seconds", "accuracy-vs-seconds"])
        XCTAssertEqual(plots["accuracy-vs-seconds"]!.series[0].x, [0, 2, 4])
        XCTAssertEqual(plots["loss-vs-epochs"]!.series[0].x, [1, 2])
        XCTAssertEqual(plots["accuracy-vs-epochs"]!.series[0].upper, [0.1, 0.84, 0.88])
    }
}
