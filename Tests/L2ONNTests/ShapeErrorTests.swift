import XCTest
import L2OCore
@testable import L2ONN

/// Shape mismatches throw a typed `NNError.shapeMismatch` naming both the expected and the
/// actual shape.
final class ShapeErrorTests: XCTestCase {
    func testLinearAndMLP() throws {
        var r = rng()
        let lin = try Linear<Double>(3, 2, rng: &r)
        assertThrows(.shapeMismatch(operation: "Linear(3 → 2) input", expected: "[*, 3]", actual: [5, 4])) {
            try lin(Variable(constant: .zeros([5, 4])))
        }
        assertThrowsMessage(containing: ["[*, 3]", "[5, 4]"]) { try lin(Variable(constant: .zeros([5, 4]))) }
        let mlp = try MLP<Double>(sizes: [3, 4, 2], rng: &r)
        assertThrowsMessage(containing: ["[*, 3]", "[2, 3, 1]"]) { try mlp(Variable(constant: .zeros([2, 3, 1]))) }
    }

    func testLSTMCell() throws {
        var r = rng()
        let cell = try LSTMCell<Double>(inputSize: 3, hiddenSize: 2, rng: &r)
        let x = Variable<Double>(constant: .zeros([4, 3]))
        assertThrows(.shapeMismatch(operation: "LSTMCell hidden state h", expected: "[4, 2]", actual: [4, 3])) {
            try cell(x, state: (Variable(constant: .zeros([4, 3])), Variable(constant: .zeros([4, 2]))))
        }
        assertThrowsMessage(containing: ["cell state c", "[4, 2]", "[3, 2]"]) {
            try cell(x, state: (Variable(constant: .zeros([4, 2])), Variable(constant: .zeros([3, 2]))))
        }
        assertThrowsMessage(containing: ["[*, 3]", "[4, 2]"]) { try cell(Variable(constant: .zeros([4, 2]))) }
        XCTAssertEqual(try cell(x).h.shape, [4, 2])
    }

    func testConvPoolBatchNormResidual() throws {
        var r = rng()
        let conv = try Conv2D<Double>(inChannels: 3, outChannels: 2, kernelSize: 3, rng: &r)
        assertThrowsMessage(containing: ["[*, 3, *, *]", "[1, 2, 5, 5]"]) { try conv(Variable(constant: .zeros([1, 2, 5, 5]))) }
        assertThrowsMessage(containing: ["[*, 3, *, *]", "[3, 5, 5]"]) { try conv(Variable(constant: .zeros([3, 5, 5]))) }
        assertThrowsMessage(containing: ["smaller than the kernel"]) { try conv(Variable(constant: .zeros([1, 3, 2, 2]))) }
        assertThrowsMessage(containing: ["conv2d bias", "[2]", "[3]"]) {
            try conv2d(Variable<Double>(constant: .zeros([1, 3, 4, 4])), weight: Variable(constant: .zeros([2, 3, 3, 3])),
                       bias: Variable(constant: .zeros([3])))
        }
        assertThrowsMessage(containing: ["[*, *, *, *]", "[4, 4]"]) {
            try MaxPool2D<Double>(kernelSize: 2)(Variable(constant: .zeros([4, 4])))
        }
        let bn = try BatchNorm<Double>(featureCount: 4)
        assertThrowsMessage(containing: ["[*, 4]", "[2, 3]"]) { try bn(Variable(constant: .zeros([2, 3]))) }
        let block = try ResidualBlock<Double>(inChannels: 2, outChannels: 2, rng: &r)
        assertThrowsMessage(containing: ["[*, 2, *, *]", "[1, 3, 4, 4]"]) { try block(Variable(constant: .zeros([1, 3, 4, 4]))) }
    }

    func testGCN() throws {
        var r = rng()
        let gcn = try GCNLayer<Double>(3, 2, rng: &r)
        let a = try GCNLayer<Double>.normalizedAdjacency(nodeCount: 4, edges: [(0, 1)])
        assertThrows(.shapeMismatch(operation: "GCNLayer(3 → 2) node features", expected: "[4, 3]", actual: [5, 3])) {
            try gcn(Variable(constant: .zeros([5, 3])), adjacency: a)
        }
    }

    func testLosses() {
        assertThrowsMessage(containing: ["[2, 3]", "[3, 2]"]) {
            try mseLoss(Variable<Double>(constant: .zeros([2, 3])), Variable(constant: .zeros([3, 2])))
        }
        assertThrowsMessage(containing: ["[3, *]", "[2, 4]"]) {
            try softmaxCrossEntropy(logits: Variable<Double>(constant: .zeros([2, 4])), labels: [0, 1, 2])
        }
        assertThrows(.labelOutOfRange(operation: "softmaxCrossEntropy", label: 4, index: 1, classCount: 4)) {
            try softmaxCrossEntropy(logits: Variable<Double>(constant: .zeros([2, 4])), labels: [0, 4])
        }
        assertThrowsMessage(containing: ["[2]", "[3]"]) {
            try binaryCrossEntropy(logits: Variable<Double>(constant: .zeros([2])), targets: Tensor<Double>.zeros([3]))
        }
    }
}
