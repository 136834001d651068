import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// The checkpoint schema: weights and resume checkpoints round-trip; kind, type and config are checked.
final class CheckpointTests: XCTestCase {
    private struct Config: Codable, Equatable { var hidden: Int; var layers: [Int]; var name: String }

    func testResumeCheckpointRoundTripsEverySection() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("resume.h5")
        let original = sampleResumeCheckpoint()
        try original.write(to: url)
        let back = try Checkpoint.read(from: url, kind: "milodo", requireResume: true)
        XCTAssertEqual(back, original)
        XCTAssertEqual(back.seed, 0xFEED_FACE_CAFE_BEEF, "a seed above Int64.max survives")
        XCTAssertEqual(back.created, "2023-11-14T22:13:20Z")
        XCTAssertEqual(back.file, url.path)
        XCTAssertEqual(try back.optimizerState.integer(named: "step"), 1234)
        XCTAssertEqual(try back.optimizerState.double(named: "beta1"), 0.9)
        XCTAssertEqual(try back.optimizerState.string(named: "name"), "adam")
        XCTAssertEqual(try back.training.array(named: "meta_optimizer.learning_rates"), [0.1, 0.01, 0.001])
        let m: Tensor<Double> = try back.optimizerState.tensor(named: "m.encoder.0.weight")
        assertBitIdentical(m, Tensor(shape: [3, 2], scalars: awkwardScalars(6, Double.self)))
        XCTAssertEqual(try back.decodeConfig(Config.self), Config(hidden: 20, layers: [2, 3], name: "milodo-lasso"))
        XCTAssertEqual(back.metadata, ["made_by": .string("l2o meta-train --suite x.json")])
    }

    func testWeightsCheckpointHoldsParametersAndConfigOnly() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("weights.h5")
        let weights = sampleResumeCheckpoint().weightsOnly
        try weights.write(to: url)
        let root = try HDF5File.read(from: url)
        XCTAssertEqual(root.children.keys.sorted(), ["parameters"])
        XCTAssertEqual(root.attributes["checkpoint_type"], .string("weights"))
        XCTAssertEqual(root.attributes["format"], .string("l2o-checkpoint"))
        XCTAssertEqual(root.attributes["format_version"], .integer(1))
        XCTAssertNotNil(root.dataset(at: "parameters/milodo/node3/M/lstm/weight"))
        let back = try Checkpoint.read(from: url, kind: "milodo")
        XCTAssertEqual(back, weights)
        XCTAssertEqual(assertCheckpointError(try Checkpoint.read(from: url, requireResume: true)),
                       .wrongCheckpointType(file: url.path, expected: "resume", found: "weights"))
    }

    func testWrongKindIsRefusedByName() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("k.h5")
        try sampleResumeCheckpoint().write(to: url)
        let error = assertCheckpointError(try Checkpoint.read(from: url, kind: "mlp"))
        XCTAssertEqual(error, .wrongKind(file: url.path, expected: "mlp", found: "milodo"))
        XCTAssertTrue(error?.description.contains(url.path) ?? false)
    }

    func testEncodableConfigAndInvalidConfig() throws {
        let folder = try makeTemporaryFolder(self)
        let json = try Checkpoint.configJSON(Config(hidden: 4, layers: [1], name: "m"))
        XCTAssertEqual(json, #"{"hidden":4,"layers":[1],"name":"m"}"#)
        let bad = Checkpoint(weightsOf: "mlp", config: "{not json", seed: 1, parameters: CheckpointSection())
        let url = folder.appendingPathComponent("bad.h5")
        guard case .invalidConfig? = assertCheckpointError(try bad.write(to: url)) else { return XCTFail() }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "nothing is written for an invalid checkpoint")
        // A config that is JSON but of the wrong shape fails typed decoding.
        let other = Checkpoint(weightsOf: "mlp", config: #"{"width": 3}"#, seed: 1, parameters: CheckpointSection())
        guard case .invalidConfig? = assertCheckpointError(try other.decodeConfig(Config.self)) else { return XCTFail() }
    }

    func testParameterNameConflictsAndReservedMetadataAreRejectedBeforeWriting() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("c.h5")
        var section = CheckpointSection()
        section.set(Tensor<Float>(1), named: "a")
        section.set(Tensor<Float>(2), named: "a.b")
        let checkpoint = Checkpoint(weightsOf: "mlp", config: "{}", seed: 1, parameters: section)
        guard case .nameConflict? = assertCheckpointError(try checkpoint.write(to: url)) else { return XCTFail() }
        let clash = Checkpoint(weightsOf: "mlp", config: "{}", seed: 1, parameters: CheckpointSection(), metadata: ["kind": .string("x")])
        guard case .nameConflict? = assertCheckpointError(try clash.write(to: url)) else { return XCTFail() }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    func testSchemaViolationsInForeignFilesGiveTypedErrors() throws {
        let folder = try makeTemporaryFolder(self)
        let url = folder.appendingPathComponent("foreign.h5")
        let good = try sampleResumeCheckpoint().hdf5Root()
        func expect(_ mutate: (inout HDF5Group) -> Void) throws -> CheckpointError? {
            var root = good
            mutate(&root)
            try HDF5File.write(root, to: url)
            return assertCheckpointError(try Checkpoint.read(from: url))
        }
        XCTAssertEqual(try expect { $0.attributes["format"] = nil }, .wrongFormat(file: url.path, expected: "l2o-checkpoint", found: nil))
        XCTAssertEqual(try expect { $0.attributes["format"] = .string("keras") }, .wrongFormat(file: url.path, expected: "l2o-checkpoint", found: "keras"))
        XCTAssertEqual(try expect { $0.attributes["format_version"] = .integer(9) }, .unsupportedFormatVersion(file: url.path, found: 9, supported: 1))
        XCTAssertEqual(try expect { $0.attributes["kind"] = nil }, .missingAttribute(file: url.path, object: "/", attribute: "kind"))
        XCTAssertEqual(try expect { $0.attributes["seed"] = .string("42") },
                       .attributeTypeMismatch(file: url.path, object: "/", attribute: "seed", expected: "an integer", found: "a string"))
        XCTAssertEqual(try expect { $0.attributes["checkpoint_type"] = .string("full") },
                       .wrongCheckpointType(file: url.path, expected: "weights or resume", found: "full"))
        XCTAssertEqual(try expect { $0.children["training"] = nil }, .missingDataset(file: url.path, dataset: "/training"))
        guard case .invalidConfig? = try expect({ $0.attributes["config"] = .string("[1,") }) else { return XCTFail() }
        guard case .invalidName? = try expect({ root in
            try? root.insert(.dataset(HDF5Dataset(.float32(Tensor<Float>(1)))), at: "parameters/w.1")
        }) else { return XCTFail() }
    }
}
