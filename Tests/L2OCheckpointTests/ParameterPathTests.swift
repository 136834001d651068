import XCTest
@testable import L2OCheckpoint

/// The dotted-name ↔ HDF5-path mapping is a bijection on valid names and rejects the rest.
final class ParameterPathTests: XCTestCase {
    func testDotsBecomeSlashesAndBack() throws {
        let names = ["encoder.0.weight", "w", "milodo.node3.M.lstm.weight", "layer-1.γ", "a b.c"]
        for name in names {
            let path = try ParameterPath.hdf5Path(forParameter: name)
            XCTAssertFalse(path.contains("."))
            XCTAssertEqual(try ParameterPath.parameterName(forPath: path), name)
        }
        XCTAssertEqual(try ParameterPath.hdf5Path(forParameter: "encoder.0.weight"), "encoder/0/weight")
        XCTAssertEqual(try ParameterPath.parameterName(forPath: "/encoder/0/weight"), "encoder.0.weight")
    }

    func testAmbiguousNamesAreRejected() {
        for name in ["", ".a", "a.", "a..b", "a/b", "a.b/c"] {
            guard case .invalidName? = assertCheckpointError(try ParameterPath.hdf5Path(forParameter: name)) else {
                return XCTFail("'\(name)' accepted")
            }
        }
        for path in ["a/b.c", "a//b", "w.1"] {
            guard case .invalidName? = assertCheckpointError(try ParameterPath.parameterName(forPath: path)) else {
                return XCTFail("'\(path)' accepted")
            }
        }
    }
}
