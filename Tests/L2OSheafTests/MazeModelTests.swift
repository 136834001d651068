import XCTest
import L2OCore
import L2OData
import L2ONN
import L2OOptimizers
@testable import L2OSheaf

final class MazeModelTests: XCTestCase {
    func tinyConfig() -> MazeModelConfig {
        var layer = SheafADMMConfig(vertexStalk: 3, edgeStalk: 2)
        layer.innerSteps = 2
        var c = MazeModelConfig(layer: layer)
        c.rank = 1
        c.encoderHidden = [6]
        c.decoderHidden = [5]
        return c
    }

    func testViewFeaturesAreThePatchChannels() throws {
        var rng = RandomState(seed: 1)
        let m = try Maze.generate(cells: 2, rng: &rng)  // 5×5 pixels
        let model = try MazeSheafModel<Double>(config: tinyConfig(), rng: &rng)
        let g = try model.graph(size: 5)
        XCTAssertEqual(g.agentCount, 4)  // windows at 0 and 2 in each direction
        let f = MazeSheafModel<Double>.viewFeatures([m], graph: g)
        XCTAssertEqual(f.shape, [4, 27])
        for a in 0..<4 {
            for (k, p) in g.views[a].enumerated() {
                XCTAssertEqual(f[a, k], m.open[p] ? 1 : 0)
                XCTAssertEqual(f[a, 9 + k], p == m.start ? 1 : 0)
                XCTAssertEqual(f[a, 18 + k], p == m.goal ? 1 : 0)
            }
        }
    }

    /// Each pixel's logit is the mean of the decoder's logits from the views that contain it.
    func testPixelLogitsAverageTheViews() throws {
        var rng = RandomState(seed: 2)
        let mazes = try (0..<2).map { _ in try Maze.generate(cells: 2, rng: &rng) }
        let model = try MazeSheafModel<Double>(config: tinyConfig(), rng: &rng)
        let ctx = ForwardContext<Double>(tape: nil)
        let (logits, admm) = try model(mazes, iterations: 2, context: ctx)
        let g = try model.graph(size: 5)
        let features = MazeSheafModel<Double>.viewFeatures(mazes, graph: g)
        let perView = try model.decoder(Variable(constant: Tensor.concat([admm.iterates[1].value.reshaped([8, 3]), features], axis: 1))).value
        for b in 0..<2 {
            for p in 0..<25 {
                var s = 0.0, n = 0.0
                for a in 0..<4 { if let k = g.views[a].firstIndex(of: p) { s += perView[b * 4 + a, k]; n += 1 } }
                XCTAssertEqual(logits[1].value[b, p], s / n, accuracy: 1e-12 * max(1, abs(s)))
            }
        }
    }

    func testLossGradientMatchesFiniteDifferences() throws {
        var rng = RandomState(seed: 3)
        let mazes = try (0..<2).map { _ in try Maze.generate(cells: 2, rng: &rng) }
        let paths = mazes.map { $0.pathMask() }
        let model = try MazeSheafModel<Double>(config: tinyConfig(), rng: &rng)
        let named = model.namedParameters()
        let check = gradientCheck(named.map { $0.parameter.value }) { v in
            let ctx = try! ForwardContext(tape: v[0].tape, substitutes: Array(zip(named.map(\.parameter), v)))
            return try! model.loss(mazes, paths: paths, iterations: 3, window: 2, context: ctx)
        }
        XCTAssertTrue(check.passed, "\(check)")
    }

    func testSolvedMeansTheExactPath() {
        let paths = [[true, false, true], [false, true, false]]
        let good = Tensor<Double>(shape: [2, 3], scalars: [1, -1, 2, -3, 0.5, -0.1])
        let oneWrong = Tensor<Double>(shape: [2, 3], scalars: [1, 1, 2, -3, 0.5, -0.1])
        let r = MazeSheafModel<Double>.solved([oneWrong, good, oneWrong], paths: paths)
        XCTAssertEqual(r.map(\.solved), [false, true])
        XCTAssertEqual(r.map(\.first), [2, 1])
        XCTAssertEqual(MazeSheafModel<Double>.solved([oneWrong], paths: paths).map(\.first), [nil, 1])
    }

    func testAFewTrainingStepsLowerTheLoss() throws {
        let set = try MazeSet.generate(count: 16, cells: 2, seed: 4)
        var rng = RandomState(seed: 5)
        var config = tinyConfig()
        config.encoderHidden = [16]
        config.decoderHidden = [16]
        let model = try MazeSheafModel<Float>(config: config, rng: &rng)
        let named = model.namedParameters()
        let optimizer = try Adam<Float>(learningRate: 0.01)
        var state = optimizer.makeState(for: named)
        func loss(_ tape: Tape<Float>?) throws -> Variable<Float> {
            try model.loss(set.mazes, paths: set.paths, iterations: 4, window: 2, context: ForwardContext(tape: tape))
        }
        let before = try loss(nil).value.scalar
        for _ in 0..<40 {
            model.zeroGrad()
            let tape = Tape<Float>()
            tape.backward(try loss(tape))
            try optimizer.step(&state, parameters: named)
        }
        let after = try loss(nil).value.scalar
        XCTAssertLessThan(after, 0.8 * before, "\(before) → \(after)")
    }

    func testMixedSizesAndBadConfigurationsAreRefused() throws {
        var rng = RandomState(seed: 6)
        let model = try MazeSheafModel<Double>(config: tinyConfig(), rng: &rng)
        let a = try Maze.generate(cells: 2, rng: &rng), b = try Maze.generate(cells: 3, rng: &rng)
        XCTAssertThrowsError(try model([a, b], iterations: 2, context: ForwardContext(tape: nil))) { e in
            XCTAssertTrue("\(e)".contains("[5, 7]"), "\(e)")
        }
        var c = tinyConfig()
        c.stride = 0
        XCTAssertThrowsError(try MazeSheafModel<Double>(config: c, rng: &rng))
        c = tinyConfig()
        c.layer.edgeStalk = 4
        XCTAssertThrowsError(try MazeSheafModel<Double>(config: c, rng: &rng)) { e in XCTAssertTrue("\(e)".contains("d_e = 4 > d_v = 3"), "\(e)") }
    }
}
