import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// A fresh temporary folder for one test, removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("l2o-ckpt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Deterministic test values including the awkward ones: signed zeros, subnormals, extremes,
/// infinities and a NaN with a payload, so bit-exactness is really exercised.
func awkwardScalars<S: TensorScalar>(_ count: Int, _ type: S.Type = S.self, seed: UInt64 = 7) -> [S] {
    var rng = RandomState(seed: seed)
    let special: [S] = [0, -0.0, 1, -1, S.leastNonzeroMagnitude, -S.leastNormalMagnitude, S.greatestFiniteMagnitude,
                        S.infinity, -S.infinity, payloadNaN(), S.ulpOfOne, 1 / 3]
    return (0..<count).map { i in
        i < special.count ? special[i] : S(Double(rng.next() % 2_000_001) / 1000 - 1000) * S(1.000001)
    }
}

/// Bit-exact equality of two tensors (NaN payloads and signed zeros included).
func assertBitIdentical<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "shapes differ", file: file, line: line)
    XCTAssertEqual(a.scalars.map(bits), b.scalars.map(bits), "bit patterns differ", file: file, line: line)
}

/// The raw bit pattern of a scalar, widened to UInt64.
func bits<S: TensorScalar>(_ x: S) -> UInt64 {
    if let f = x as? Float { return UInt64(f.bitPattern) }
    if let d = x as? Double { return d.bitPattern }
    return 0
}

/// Asserts that `body` throws a `CheckpointError` and returns it for further checks.
@discardableResult
func assertCheckpointError(
    _ body: @autoclosure () throws -> some Any, file: StaticString = #filePath, line: UInt = #line
) -> CheckpointError? {
    do {
        _ = try body()
        XCTFail("expected a CheckpointError, nothing was thrown", file: file, line: line)
    } catch let error as CheckpointError {
        XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        return error
    } catch {
        XCTFail("expected a CheckpointError, got \(error)", file: file, line: line)
    }
    return nil
}

/// A small resume checkpoint with every section populated.
func sampleResumeCheckpoint() -> Checkpoint {
    var parameters = CheckpointSection()
    parameters.set(Tensor<Float>(shape: [3, 2], scalars: awkwardScalars(6).map { $0.isFinite ? $0 : 0.5 }), named: "encoder.0.weight")
    parameters.set(Tensor<Float>([0.25, -0.5]), named: "encoder.0.bias")
    parameters.set(Tensor<Float>(shape: [4], scalars: [1, 2, 3, 4]), named: "milodo.node3.M.lstm.weight")
    var optimizer = CheckpointSection(values: ["step": .integer(1234), "beta1": .double(0.9), "name": .string("adam")])
    optimizer.set(Tensor<Double>(shape: [3, 2], scalars: awkwardScalars(6, Double.self)), named: "m.encoder.0.weight")
    optimizer.set(Tensor<Double>(2.5), named: "scale")
    var training = CheckpointSection(values: ["stage": .integer(2), "epoch": .integer(17), "step": .integer(90_001)])
    training.setArray([0.1, 0.01, 0.001], named: "meta_optimizer.learning_rates")
    return Checkpoint(
        resumeOf: "milodo", config: #"{"hidden":20,"layers":[2,3],"name":"milodo-lasso"}"#, seed: 0xFEED_FACE_CAFE_BEEF,
        parameters: parameters, optimizerState: optimizer, training: training,
        metadata: ["made_by": .string("l2o meta-train --suite x.json")], created: Date(timeIntervalSince1970: 1_700_000_000))
}

/// A quiet NaN with a non-zero payload (0x15) in the requested type.
func payloadNaN<S: TensorScalar>(_ type: S.Type = S.self) -> S {
    (Float(nan: 0x15, signaling: false) as? S) ?? (Double(nan: 0x15, signaling: false) as? S) ?? S.nan
}
