import XCTest
import L2OCore
@testable import L2ONN

/// A two-level container used to check prefix composition.
final class TwoPart: Module {
    typealias Scalar = Double
    let encoder: Sequential<Double>
    let head: Linear<Double>
    let scale: Parameter<Double>
    var isTraining = true
    init() throws {
        var r = RandomState(seed: 1)
        encoder = Sequential([try Linear(3, 4, rng: &r), ActivationLayer(.tanh), try BatchNorm(featureCount: 4)])
        head = try Linear(4, 2, bias: false, rng: &r)
        scale = Parameter(.ones([1]))
    }
    var localParameters: NamedParameters<Double> { [("scale", scale)] }
    var localBuffers: NamedBuffers<Double> { [] }
    var children: NamedChildren<Double> { [("encoder", encoder), ("head", head)] }
}

final class ModuleTests: XCTestCase {
    func testMLPNamesAreStableAndHierarchical() throws {
        var r = rng()
        let mlp = try MLP<Double>(sizes: [3, 5, 4, 2], activation: .tanh, rng: &r)
        XCTAssertEqual(mlp.parameterNames, [
            "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight", "layers.2.bias",
        ])
        XCTAssertEqual(mlp.namedParameters().map(\.parameter.shape), [[3, 5], [5], [5, 4], [4], [4, 2], [2]])
        XCTAssertEqual(mlp.parameterCount, 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2)
        XCTAssertTrue(mlp.namedBuffers().isEmpty)
        // Same architecture, different seed: same names in the same order.
        var r2 = rng(99)
        XCTAssertEqual(try MLP<Double>(sizes: [3, 5, 4, 2], rng: &r2).parameterNames, mlp.parameterNames)
    }

    func testResidualBlockNames() throws {
        var r = rng()
        let block = try ResidualBlock<Double>(inChannels: 2, outChannels: 3, stride: 2, rng: &r)
        XCTAssertEqual(block.parameterNames, [
            "conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
            "downsample.0.weight", "downsample.1.weight", "downsample.1.bias",
        ])
        XCTAssertEqual(block.namedBuffers().map(\.name), [
            "bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var",
            "downsample.1.running_mean", "downsample.1.running_var",
        ])
        XCTAssertEqual(block.parameterCount, 3 * 2 * 9 + 3 + 3 + 3 * 3 * 9 + 3 + 3 + 3 * 2 + 3 + 3)
        let identity = try ResidualBlock<Double>(inChannels: 3, outChannels: 3, stride: 1, rng: &r)
        XCTAssertEqual(identity.parameterNames, ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"])
    }

    func testNestedPrefixesAndSequentialIndices() throws {
        let m = try TwoPart()
        XCTAssertEqual(m.parameterNames, [
            "scale", "encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias", "head.weight",
        ])
        XCTAssertEqual(m.namedBuffers().map(\.name), ["encoder.2.running_mean", "encoder.2.running_var"])
        XCTAssertEqual(Set(m.stateTensors().keys), Set(m.parameterNames + ["encoder.2.running_mean", "encoder.2.running_var"]))
    }

    func testTrainEvalPropagates() throws {
        var r = rng()
        let block = try ResidualBlock<Double>(inChannels: 1, outChannels: 2, rng: &r)
        block.eval()
        XCTAssertFalse(block.isTraining)
        XCTAssertFalse(block.bn1.isTraining)
        XCTAssertFalse(block.downsample!.bn.isTraining)
        block.train()
        XCTAssertTrue(block.bn2.isTraining)
        XCTAssertTrue(block.downsample!.bn.isTraining)
    }

    func testLoadParametersRoundTripAndValidation() throws {
        var r = rng()
        let mlp = try MLP<Double>(sizes: [3, 4, 2], rng: &r)
        let before = mlp.parameterTensors()
        // Every entry valid except the last one in parameter order, so a partial load would show.
        var bad = before.mapValues { Tensor<Double>.zeros($0.shape) }
        bad["layers.1.bias"] = .zeros([3])
        assertThrows(.parameterShapeMismatch(name: "layers.1.bias", expected: [2], actual: [3])) { try mlp.loadParameters(bad) }
        XCTAssertEqual(mlp.parameterTensors(), before)

        var missing = before.mapValues { Tensor<Double>.zeros($0.shape) }
        missing["layers.1.weight"] = nil
        assertThrows(.missingParameter(name: "layers.1.weight")) { try mlp.loadParameters(missing) }
        XCTAssertEqual(mlp.parameterTensors(), before)

        var unknown = before.mapValues { Tensor<Double>.zeros($0.shape) }
        unknown["layers.2.weight"] = .zeros([2, 2])
        assertThrows(.unknownParameter(name: "layers.2.weight")) { try mlp.loadParameters(unknown) }
        XCTAssertEqual(mlp.parameterTensors(), before)

        let fresh = before.mapValues { $0 * 2 }
        try mlp.loadParameters(fresh)
        XCTAssertEqual(mlp.parameterTensors(), fresh)
        XCTAssertTrue(NNError.parameterShapeMismatch(name: "layers.1.bias", expected: [2], actual: [3]).description
            .contains("'layers.1.bias'"))
    }

    func testLoadStateAndBuffers() throws {
        let bn = try BatchNorm<Double>(featureCount: 2)
        var state = bn.stateTensors()
        XCTAssertEqual(Set(state.keys), ["weight", "bias", "running_mean", "running_var"])
        state["running_mean"] = Tensor([0.5, -0.5])
        state["running_var"] = Tensor([2, 3])
        try bn.loadState(state)
        XCTAssertEqual(bn.runningMean.value, Tensor([0.5, -0.5]))
        assertThrows(.parameterShapeMismatch(name: "running_var", expected: [2], actual: [1])) {
            try bn.loadBuffers(["running_mean": .zeros([2]), "running_var": .zeros([1])])
        }
        XCTAssertEqual(bn.runningMean.value, Tensor([0.5, -0.5]), "buffers partially loaded")
        assertThrows(.unknownParameter(name: "weight")) {
            try bn.loadBuffers(["running_mean": .zeros([2]), "running_var": .ones([2]), "weight": .ones([2])])
        }
    }

    func testFlatParametersRoundTrip() throws {
        var r = rng()
        let mlp = try MLP<Double>(sizes: [2, 3, 1], rng: &r)
        let flat = mlp.flatParameters()
        XCTAssertEqual(flat.shape, [mlp.parameterCount])
        XCTAssertEqual(Array(flat.scalars.prefix(6)), mlp.layers[0].weight.value.scalars)
        try mlp.loadFlatParameters(flat * 3)
        XCTAssertEqual(mlp.flatParameters(), flat * 3)
        assertThrows(.shapeMismatch(operation: "loadFlatParameters", expected: "[\(mlp.parameterCount)]", actual: [3])) {
            try mlp.loadFlatParameters(Tensor([1, 2, 3]))
        }
        XCTAssertEqual(mlp.flatParameters(), flat * 3)
        // Gradients flatten in the same order, zeros where none arrived.
        let tape = Tape<Double>()
        try tape.backward(mlp(tape.constant(Tensor(rows: [[1, 2]]))).sum())
        let g = mlp.flatGradients()
        XCTAssertEqual(g.count, mlp.parameterCount)
        XCTAssertEqual(Array(g.scalars.suffix(1)), [1], "∂(sum)/∂(last bias) must be 1")
    }

    func testForwardContextSubstitutesByName() throws {
        var r = rng()
        let lin = try Linear<Double>(2, 2, rng: &r)
        let tape = Tape<Double>()
        let w = tape.variable(Tensor(rows: [[1, 0], [0, 1]]))
        let ctx = try ForwardContext(tape: tape, module: lin, substitutes: ["weight": w])
        let x = tape.constant(Tensor(rows: [[3, 4]]))
        let y = try lin(x, context: ctx)
        XCTAssertEqual(y.value.scalars, [3 + lin.bias!.value.scalars[0], 4 + lin.bias!.value.scalars[1]])
        tape.backward(y.sum())
        XCTAssertEqual(tape.gradient(of: w), Tensor(rows: [[3, 3], [4, 4]]))
        XCTAssertNil(lin.weight.grad, "a substituted parameter must not receive a gradient")
        XCTAssertEqual(lin.bias!.grad, Tensor([1, 1]))
        assertThrows(.unknownParameter(name: "wieght")) { try ForwardContext(tape: tape, module: lin, substitutes: ["wieght": w]) }
        assertThrows(.parameterShapeMismatch(name: "bias", expected: [2], actual: [2, 2])) {
            try ForwardContext(tape: tape, module: lin, substitutes: ["bias": w])
        }
    }

    func testInvalidConstructorArguments() {
        var r = rng()
        assertThrowsMessage(containing: ["Linear", "0 → 3"]) { try Linear<Double>(0, 3, rng: &r) }
        assertThrowsMessage(containing: ["MLP"]) { try MLP<Double>(sizes: [3], rng: &r) }
        assertThrowsMessage(containing: ["Conv2D", "stride 0"]) {
            try Conv2D<Double>(inChannels: 1, outChannels: 1, kernelSize: 3, stride: 0, rng: &r)
        }
        assertThrowsMessage(containing: ["BatchNorm"]) { try BatchNorm<Double>(featureCount: 0) }
    }
}
