import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// Loading into a model's parameters validates everything first and never loads partially.
final class ParameterLoadingTests: XCTestCase {
    private func model<S: TensorScalar>(_ type: S.Type, biasShape: [Int] = [2]) -> [(name: String, parameter: Parameter<S>)] {
        [("encoder.0.weight", Parameter(Tensor<S>.zeros([3, 2]))),
         ("encoder.0.bias", Parameter(Tensor<S>.zeros(biasShape))),
         ("milodo.node3.M.lstm.weight", Parameter(Tensor<S>.zeros([4])))]
    }

    private func savedWeights() throws -> (URL, Checkpoint) {
        let url = try makeTemporaryFolder(self).appendingPathComponent("w.h5")
        let checkpoint = sampleResumeCheckpoint().weightsOnly
        try checkpoint.write(to: url)
        return (url, try Checkpoint.read(from: url))
    }

    func testLoadsEveryParameterBitExactly() throws {
        let (_, checkpoint) = try savedWeights()
        let params = model(Float.self)
        try checkpoint.load(into: params)
        for (name, p) in params {
            assertBitIdentical(p.value, checkpoint.parameters.tensors[name]?.tensor(as: Float.self) ?? .zeros([0]))
        }
        XCTAssertEqual(params[1].parameter.value.scalars, [0.25, -0.5])
    }

    func testFloatCheckpointLoadsIntoDoubleModelByConversion() throws {
        let (_, checkpoint) = try savedWeights()
        let params = model(Double.self)
        try checkpoint.load(into: params)
        XCTAssertEqual(params[2].parameter.value.scalars, [1, 2, 3, 4])
    }

    func testShapeMismatchNamesDatasetAndLoadsNothing() throws {
        let (url, checkpoint) = try savedWeights()
        let params = model(Float.self, biasShape: [5])
        let error = assertCheckpointError(try checkpoint.load(into: params))
        XCTAssertEqual(error, .shapeMismatch(file: url.path, dataset: "/parameters/encoder/0/bias", expected: [5], found: [2]))
        XCTAssertTrue(params.allSatisfy { $0.parameter.value.scalars.allSatisfy { $0 == 0 } }, "nothing may be partially loaded")
    }

    func testMissingAndUnexpectedParameters() throws {
        let (url, checkpoint) = try savedWeights()
        var params = model(Float.self)
        params.append(("decoder.weight", Parameter(Tensor<Float>.zeros([1]))))
        XCTAssertEqual(assertCheckpointError(try checkpoint.load(into: params)),
                       .missingDataset(file: url.path, dataset: "/parameters/decoder/weight"))
        XCTAssertTrue(params[0].parameter.value.scalars.allSatisfy { $0 == 0 })
        let fewer = Array(model(Float.self).prefix(2))
        XCTAssertEqual(assertCheckpointError(try checkpoint.load(into: fewer)),
                       .unexpectedDataset(file: url.path, dataset: "/parameters/milodo/node3/M/lstm/weight"))
        try checkpoint.load(into: fewer, allowUnexpected: true)
        XCTAssertEqual(fewer[1].parameter.value.scalars, [0.25, -0.5])
    }

    func testNonFiniteParametersAreRefused() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("nan.h5")
        var section = CheckpointSection()
        section.set(Tensor<Float>([1, .nan, .infinity]), named: "w")
        try Checkpoint(weightsOf: "mlp", config: "{}", seed: 3, parameters: section).write(to: url)
        let p = Parameter(Tensor<Float>.zeros([3]))
        XCTAssertEqual(assertCheckpointError(try Checkpoint.read(from: url).load(into: [("w", p)])),
                       .nonFiniteValues(file: url.path, dataset: "/parameters/w", count: 2))
        XCTAssertEqual(p.value.scalars, [0, 0, 0])
    }

    func testSectionBuiltFromParametersRoundTrips() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("p.h5")
        let params = model(Double.self)
        params[0].parameter.value = Tensor(shape: [3, 2], scalars: awkwardScalars(6, Double.self, seed: 9).map { $0.isFinite ? $0 : 1 })
        try Checkpoint(weightsOf: "mlp", config: "{}", seed: 5, parameters: CheckpointSection(parameters: params)).write(to: url)
        let fresh = model(Double.self)
        try Checkpoint.read(from: url, kind: "mlp").load(into: fresh)
        assertBitIdentical(fresh[0].parameter.value, params[0].parameter.value)
    }
}
