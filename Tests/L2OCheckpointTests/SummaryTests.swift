import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// The text `l2o inspect` prints.
final class SummaryTests: XCTestCase {
    func testCheckpointSummaryShowsKindConfigTreeAndStatistics() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("s.h5")
        try sampleResumeCheckpoint().write(to: url)
        let text = try HDF5Summary.describe(fileAt: url)
        XCTAssertTrue(text.contains("kind: milodo"), text)
        XCTAssertTrue(text.contains("checkpoint_type: resume"), text)
        XCTAssertTrue(text.contains("format: l2o-checkpoint v1"), text)
        XCTAssertTrue(text.contains(#""hidden" : 20"#), text)
        XCTAssertTrue(text.contains("made_by = \"l2o meta-train --suite x.json\""), text)
        XCTAssertTrue(text.contains("  parameters/"), text)
        XCTAssertTrue(text.contains("            weight  float32 [4]  min 1 max 4 mean 2.5"), text)
        XCTAssertTrue(text.contains("bias  float32 [2]  min -0.5 max 0.25 mean -0.125"), text)
        XCTAssertTrue(text.contains(#"  optimizer_state/  {beta1=0.9, name="adam", step=1234}"#), text)
        XCTAssertTrue(text.contains("scale  float64 []  min 2.5 max 2.5 mean 2.5"), text)
    }

    func testStatisticsOfEmptyAndNonFiniteTensors() {
        XCTAssertEqual(TensorStatistics(.float32(Tensor<Float>.zeros([0]))).text, "empty")
        let stats = TensorStatistics(.float64(Tensor<Double>([1, .nan, 3, -.infinity])))
        XCTAssertEqual(stats.text, "min 1 max 3 mean 2 non-finite 2")
    }

    func testBadFileGivesTypedError() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("junk.h5")
        try Data("hello".utf8).write(to: url)
        guard case .notHDF5? = assertCheckpointError(try HDF5Summary.describe(fileAt: url)) else { return XCTFail() }
    }
}
