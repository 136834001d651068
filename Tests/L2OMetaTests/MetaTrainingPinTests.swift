import Foundation
import XCTest
import CBLAS
import CL2OKernels
import L2OCore
import L2OOptimizees
import L2ODecentralized
@testable import L2OMeta

/// Pins the weights of a short MiLoDo meta-training run that exercises every feature of the
/// trainer (warm starts with burn-in, the log-gap loss, the consensus term, step normalization,
/// early advance), bit for bit per OpenBLAS core and C-kernel instruction set
/// (`Fixtures/meta-training-pins.json`), so that a
/// refactor of the trainer cannot change what it computes unnoticed. Recorded with the generic
/// `MetaTrainer`, which gave bit-identical weights to the MiLoDo-specific trainer it replaced.
/// Record with `L2O_RECORD_PINS=1 swift test --filter MetaTrainingPinTests` (also under
/// `OPENBLAS_CORETYPE=Haswell` and under `L2O_KERNELS=avx2` and `generic`; builds with and without
/// `L2O_TARGET_CPU=haswell` compute the same bits), only when a change of the computation is intended. On an
/// unrecorded core the run is still checked for finite weights and a meta-loss that decreased.
final class MetaTrainingPinTests: XCTestCase {
    var fixtureURL: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/meta-training-pins.json") }
    /// OpenBLAS's core and the C kernels' instruction set (Float LSTM gates run in the C kernel).
    var environment: String {
        "openblas-" + (openblas_get_corename().map { String(cString: $0) } ?? "unknown").lowercased()
            + "/c-" + String(cString: l2o_kernels_instruction_set())
    }

    func testShortMetaTrainingRunGivesThePinnedWeights() throws {
        let family = try LASSOFamily<Float>(nodes: 4, dimension: 20, samplesPerNode: 6, lambda: 0.05, seed: 5)
        let training = try family.instances(.train, count: 8).map { try $0.withReferenceOptimum() }
        let topo = try Topology.ring(4)
        let w = try MixingMatrix<Float>(topology: topo, rule: .uniform)
        var settings = MetaTrainingSettings()
        settings.batchSize = 4
        settings.seed = 3
        var milodo = MiLoDoSettings()
        milodo.consensusWeight = 0.1
        let L = MiLoDoRule<LASSO<Float>>.largestLocalCurvatures(training).sorted()
        milodo.stepScaleReference = L[L.count / 2]
        let curriculum = Curriculum(name: "pin", stages: [
            .init(metaLearningRate: 1e-3, truncation: 2, horizon: 4, epochs: 2,
                  warmStart: WarmStart(minIterations: 2, maxIterations: 6, probability: 0.7, burnIn: 1), loss: .logGap),
            .init(metaLearningRate: 5e-4, truncation: 3, horizon: 6, epochs: 2, earlyAdvance: true),
        ])
        var rng = RandomState(seed: 3)
        let model = try MiLoDoModel<Float>(topology: topo, hiddenSize: 6, rng: &rng)
        model.stepScaleReference = milodo.stepScaleReference
        model.specialInitialize(gamma0: Float(milodo.gamma0), mixing: w, rng: &rng)
        let saved = Parallel.workers
        Parallel.workers = 2
        defer { Parallel.workers = saved }
        let trainer = try MetaTrainer(model: model, mixing: w, training: training, curriculum: curriculum, settings: settings, milodo: milodo)
        try trainer.run()
        let values = model.namedParameters().sorted { $0.name < $1.name }.flatMap { $0.parameter.value.scalars.map(Double.init) }
        XCTAssertTrue(values.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(trainer.position.steps, 0)
        let hash = ShippedCheckpointPinTests.fnv1a(values)
        var pins = (try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: fixtureURL))) ?? [:]
        if ProcessInfo.processInfo.environment["L2O_RECORD_PINS"] == "1" {
            pins[environment] = hash
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            try enc.encode(pins).write(to: fixtureURL)
            return
        }
        if let expected = pins[environment] {
            XCTAssertEqual(hash, expected, "meta-trained weights differ bit for bit from the recorded run in \(environment)")
        } else {
            XCTAssertFalse(pins.isEmpty, "missing fixture \(fixtureURL.path)")
            print("meta-training pin not compared: no record for \(environment) (recorded: \(pins.keys.sorted()))")
        }
    }
}
