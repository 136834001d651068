import XCTest
import L2OCore
@testable import L2ONN

/// A tape and everything recorded on it must be freed once the caller drops it: a pullback that
/// captured a `Variable` (which holds its tape) would make a reference cycle and leak every
/// training step's activations.
final class TapeReleaseTests: XCTestCase {
    /// Records forward and backward of `module` on a fresh tape and returns a weak reference to it.
    func releasedTape(_ module: some UnaryModule<Float>, input shape: [Int], labels: [Int]) throws -> Tape<Float>? {
        weak var weakTape: Tape<Float>?
        do {
            let tape = Tape<Float>()
            weakTape = tape
            let x = tape.variable(Tensor<Float>.normal(shape, seed: 1))
            let logits = try module(x, context: ForwardContext(tape: tape))
            let loss = try softmaxCrossEntropy(logits: logits, labels: labels)
            tape.backward(loss)
            XCTAssertGreaterThan(tape.nodeCount, 3)
            XCTAssertTrue(module.parameters.allSatisfy { $0.grad != nil }, "every parameter received a gradient")
        }
        return weakTape
    }

    func testMLPTapeIsFreed() throws {
        var rng = RandomState(seed: 2)
        let mlp = try MLP<Float>(sizes: [12, 8, 8, 3], rng: &rng)
        XCTAssertNil(try releasedTape(mlp, input: [5, 12], labels: [0, 1, 2, 0, 1]), "linear layers leak their tape")
        let noBias = try MLP<Float>(sizes: [12, 8, 3], bias: false, rng: &rng)
        XCTAssertNil(try releasedTape(noBias, input: [5, 12], labels: [0, 1, 2, 0, 1]))
    }

    func testCNNTapeIsFreed() throws {
        var rng = RandomState(seed: 3)
        let net = Sequential<Float>([
            try Conv2D<Float>(inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng: &rng),
            ActivationLayer<Float>(.relu), try MaxPool2D<Float>(kernelSize: 2), Flatten<Float>(),
            try Linear<Float>(2 * 3 * 3, 3, rng: &rng),
        ])
        XCTAssertNil(try releasedTape(net, input: [4, 1, 6, 6], labels: [0, 1, 2, 1]), "convolutions leak their tape")
    }
}
