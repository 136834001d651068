import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// Files written by the project read back correctly with `h5dump` (Debian hdf5-tools), run as a subprocess.
final class H5DumpInteropTests: XCTestCase {
    private func checkpointFile() throws -> (URL, Checkpoint) {
        let url = try makeTemporaryFolder(self).appendingPathComponent("ckpt.h5")
        let checkpoint = sampleResumeCheckpoint()
        try checkpoint.write(to: url)
        return (url, checkpoint)
    }

    func testFloatDatasetValuesShapeAndTypeAsSeenByH5dump() throws {
        let (url, checkpoint) = try checkpointFile()
        for name in ["encoder.0.weight", "encoder.0.bias", "milodo.node3.M.lstm.weight"] {
            let path = "/parameters/" + (try ParameterPath.hdf5Path(forParameter: name))
            let dump = try h5dump("-d", path, file: url, floatFormat: "%.9g")
            let expected: Tensor<Float> = try checkpoint.parameters.tensor(named: name)
            XCTAssertEqual(dump.datatype, "H5T_IEEE_F32LE", path)
            let dims = expected.shape.map(String.init).joined(separator: ", ")
            XCTAssertEqual(dump.dataspace, "SIMPLE { ( \(dims) ) / ( \(dims) ) }", path)
            XCTAssertEqual(dump.values.compactMap { Float($0) }.map(\.bitPattern), expected.scalars.map(\.bitPattern), path)
        }
    }

    func testDoubleDatasetsIncludingScalarAsSeenByH5dump() throws {
        let (url, checkpoint) = try checkpointFile()
        let m = try h5dump("-d", "/optimizer_state/m/encoder/0/weight", file: url)
        XCTAssertEqual(m.datatype, "H5T_IEEE_F64LE")
        XCTAssertEqual(m.dataspace, "SIMPLE { ( 3, 2 ) / ( 3, 2 ) }")
        let expected: Tensor<Double> = try checkpoint.optimizerState.tensor(named: "m.encoder.0.weight")
        XCTAssertEqual(m.values.count, 6)
        for (text, value) in zip(m.values, expected.scalars) {
            if value.isNaN { XCTAssertTrue(text.lowercased().contains("nan"), text); continue }
            XCTAssertEqual(Double(text)?.bitPattern, value.bitPattern, "h5dump printed \(text) for \(value)")
        }
        let scalar = try h5dump("-d", "/optimizer_state/scale", file: url)
        XCTAssertEqual(scalar.dataspace, "SCALAR")
        XCTAssertEqual(scalar.values, ["2.5"])
    }

    func testRootAttributesAsSeenByH5dump() throws {
        let (url, _) = try checkpointFile()
        XCTAssertEqual(try h5dump("-a", "/kind", file: url).values, [#""milodo""#])
        XCTAssertEqual(try h5dump("-a", "/format", file: url).values, [#""l2o-checkpoint""#])
        XCTAssertEqual(try h5dump("-a", "/checkpoint_type", file: url).values, [#""resume""#])
        let version = try h5dump("-a", "/format_version", file: url)
        XCTAssertEqual(version.datatype, "H5T_STD_I64LE")
        XCTAssertEqual(version.values, ["1"])
        XCTAssertEqual(try h5dump("-a", "/seed", file: url).values, [String(Int64(bitPattern: 0xFEED_FACE_CAFE_BEEF))])
        XCTAssertEqual(try h5dump("-a", "/optimizer_state/step", file: url).values, ["1234"])
        XCTAssertEqual(try h5dump("-a", "/optimizer_state/beta1", file: url).values.compactMap(Double.init), [0.9])
        let config = try h5dump("-a", "/config", file: url).values.joined(separator: ",")
        XCTAssertEqual(config, "\"" + sampleResumeCheckpoint().config + "\"")
    }

    func testInstanceSetAsSeenByH5dump() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("lasso.h5")
        let set = try sampleInstanceSet(Double.self)
        try set.write(to: url)
        let a = try h5dump("-d", "/A", file: url)
        XCTAssertEqual(a.dataspace, "SIMPLE { ( 2, 3, 4, 5 ) / ( 2, 3, 4, 5 ) }")
        XCTAssertEqual(a.values.compactMap(Double.init), set.A.scalars)
        XCTAssertEqual(try h5dump("-a", "/lambda", file: url).values.compactMap(Double.init), [0.1])
        XCTAssertEqual(try h5dump("-a", "/problem", file: url).values, [#""lasso""#])
    }
}
