import XCTest
import L2OCore
import L2OData
import L2ONN
import L2OOptimizers
@testable import L2OSheaf

final class MazeMPNNTests: XCTestCase {
    func testSegmentMaxValuesAndGradient() throws {
        let v = Tensor<Double>(shape: [5, 2], scalars: [1, -4, 3, 2, -1, 7, 0.5, 0.25, 9, -3])
        let out = try segmentMax(Variable(constant: v), segments: [0, 0, 1, 1, 0], count: 3).value
        XCTAssertEqual(out.scalars, [9, 2, 0.5, 7, 0, 0], "per column maxima; an empty segment gives 0")
        // Distinct values away from ties: the max is locally the selected entry, so central
        // differences are exact up to rounding.
        let x = Tensor<Double>(shape: [6, 3], scalars: (0..<18).map { Double(($0 * 7) % 18) * 0.3 - 2 })
        let check = gradientCheck([x], tolerance: 1e-8) { try! segmentMax($0[0], segments: [2, 0, 2, 1, 0, 2], count: 3) }
        XCTAssertTrue(check.passed, "\(check)")
        XCTAssertEqual(try segmentMax(Variable(constant: Tensor<Double>.zeros([0, 4])), segments: [], count: 2).shape, [2, 4], "no rows: zeros of the row width")
        XCTAssertThrowsError(try segmentMax(Variable(constant: v), segments: [0, 1], count: 3), "one id per row")
        XCTAssertThrowsError(try segmentMax(Variable(constant: v), segments: [0, 0, 1, 1, 5], count: 3), "ids in range")
    }

    func tiny(_ aggregation: MazeMPNNConfig.Aggregation) -> MazeMPNNConfig {
        var c = MazeMPNNConfig(aggregation: aggregation)
        c.stateSize = 3
        c.messageSize = 2
        c.encoderHidden = [5]
        c.decoderHidden = [5]
        c.messageHidden = [4]
        c.updateHidden = [4]
        return c
    }

    /// The whole baseline's loss gradient against finite differences, both aggregations (random
    /// data keeps the max away from ties).
    func testLossGradientMatchesFiniteDifferences() throws {
        var rng = RandomState(seed: 3)
        let mazes = try (0..<2).map { _ in try Maze.generate(cells: 2, rng: &rng) }
        let paths = mazes.map { $0.pathMask() }
        for aggregation in MazeMPNNConfig.Aggregation.allCases {
            let model = try MazeMPNN<Double>(config: tiny(aggregation), rng: &rng)
            let named = model.namedParameters()
            let check = gradientCheck(named.map { $0.parameter.value }) { v in
                let ctx = try! ForwardContext(tape: v[0].tape, substitutes: Array(zip(named.map(\.parameter), v)))
                return try! pathLoss(try! model.logits(mazes, rounds: 3, decodeLast: 2, context: ctx), paths: paths)
            }
            XCTAssertTrue(check.passed, "\(aggregation): \(check)")
        }
    }

    /// Mean aggregation averages exactly the messages from an agent's neighbours: with zero
    /// message weights and bias b, every agent receives b; the update then sees it.
    func testMeanAggregationOfConstantMessages() throws {
        var rng = RandomState(seed: 4)
        let model = try MazeMPNN<Double>(config: tiny(.mean), rng: &rng)
        let last = model.message.layers.last!
        last.weight.value = .zeros(last.weight.shape)
        last.bias!.value = Tensor([0.5, -2])
        for l in model.update.layers { l.weight.value = .zeros(l.weight.shape); l.bias!.value = .zeros(l.bias!.shape) }
        let m = try Maze.generate(cells: 2, rng: &rng)
        let (states, _, _) = try model.states([m], rounds: 2, context: ForwardContext(tape: nil))
        // A zero update leaves the encoder's states unchanged round after round.
        XCTAssertEqual(states[0].value, states[1].value)
        XCTAssertEqual(model.parameterCount, model.namedParameters().reduce(0) { $0 + $1.parameter.value.count })
    }

    func testTrainsAndRefusesBadConfigurations() throws {
        let set = try MazeSet.generate(count: 16, cells: 2, seed: 4)
        var rng = RandomState(seed: 5)
        var c = tiny(.max)
        c.encoderHidden = [16]
        c.decoderHidden = [16]
        let model = try MazeMPNN<Float>(config: c, rng: &rng)
        let named = model.namedParameters()
        let optimizer = try Adam<Float>(learningRate: 0.01)
        var state = optimizer.makeState(for: named)
        func loss(_ tape: Tape<Float>?) throws -> Variable<Float> {
            try model.mazeLoss(set.mazes, paths: set.paths, rounds: 4, window: 2, context: ForwardContext(tape: tape))
        }
        let before = try loss(nil).value.scalar
        for _ in 0..<40 {
            model.zeroGrad()
            let tape = Tape<Float>()
            tape.backward(try loss(tape))
            try optimizer.step(&state, parameters: named)
        }
        XCTAssertLessThan(try loss(nil).value.scalar, 0.8 * before)
        c.stride = 0
        XCTAssertThrowsError(try MazeMPNN<Float>(config: c, rng: &rng))
        XCTAssertThrowsError(try model.logits(set.mazes, rounds: 0, decodeLast: nil, context: ForwardContext(tape: nil)))
    }
}
