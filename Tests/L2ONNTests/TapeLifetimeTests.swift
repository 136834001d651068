import XCTest
import L2OCore
@testable import L2ONN

/// A pullback must not capture a `Variable` (it would hold the tape that holds the pullback, and
/// every tensor recorded on a fresh per-step tape would stay alive): after use, a tape is freed.
final class TapeLifetimeTests: XCTestCase {
    func assertFreed(_ name: String, line: UInt = #line, _ body: (Tape<Double>) throws -> Variable<Double>) rethrows {
        weak var weakTape: Tape<Double>?
        try {
            let tape = Tape<Double>()
            weakTape = tape
            tape.backward(try body(tape).sum())
        }()
        XCTAssertNil(weakTape, "\(name): the tape outlives its last use", line: line)
    }

    func testTapesAreFreedAfterBackwardThroughEveryLayer() throws {
        var r = RandomState(seed: 1)
        let x = Tensor<Double>.normal([4, 3], seed: 1)
        let images = Tensor<Double>.normal([2, 1, 4, 4], seed: 2)
        try assertFreed("linear (with bias)") { try Linear<Double>(3, 2, rng: &r)($0.variable(x)) }
        try assertFreed("linear (no bias)") { try Linear<Double>(3, 2, bias: false, rng: &r)($0.variable(x)) }
        try assertFreed("LSTM cell") { t in
            try LSTMCell<Double>(inputSize: 3, hiddenSize: 2, rng: &r)(t.variable(x), state: (t.variable(.zeros([4, 2])), t.variable(.zeros([4, 2])))).0
        }
        try assertFreed("conv2d (with bias)") { try Conv2D<Double>(inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1, rng: &r)($0.variable(images)) }
        try assertFreed("conv2d (no bias)") { try Conv2D<Double>(inChannels: 1, outChannels: 2, kernelSize: 3, bias: false, rng: &r)($0.variable(images)) }
        try assertFreed("max pool") { try maxPool2d($0.variable(images), kernelSize: 2) }
        try assertFreed("batch norm") { try BatchNorm<Double>(featureCount: 3)($0.variable(x)) }
        try assertFreed("ResNet") { try ResNet<Double>(inChannels: 1, widths: [2, 2], classCount: 3, rng: &r)($0.variable(images)) }
        try assertFreed("cross-entropy") { try softmaxCrossEntropy(logits: $0.variable(x), labels: [0, 1, 2, 0]) }
    }
}
