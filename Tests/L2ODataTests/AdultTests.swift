import Foundation
import XCTest
import L2OCore
@testable import L2OData

final class AdultTests: TemporaryDirectoryTestCase {
    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    /// Four complete training rows, one with a missing value, and a test file in the test-file style.
    let trainText = """
        39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K
        50, Self-emp-not-inc, 83311, Bachelors, 13, Married-civ-spouse, Exec-managerial, Husband, White, Male, 0, 0, 13, United-States, >50K
        38, Private, 215646, HS-grad, 9, Divorced, Handlers-cleaners, Not-in-family, White, Male, 0, 0, 40, ?, <=50K
        53, Private, 234721, 11th, 7, Married-civ-spouse, Handlers-cleaners, Husband, Black, Male, 0, 0, 40, United-States, <=50K
        28, Private, 338409, Bachelors, 13, Married-civ-spouse, Prof-specialty, Wife, Black, Female, 0, 0, 40, Cuba, >50K

        """
    let testText = """
        |1x3 Cross validator
        25, Private, 226802, 11th, 7, Never-married, Machine-op-inspct, Own-child, Black, Male, 0, 0, 40, United-States, <=50K.
        44, Private, 160323, Some-college, 10, Married-civ-spouse, Machine-op-inspct, Husband, Black, Male, 7688, 0, 40, United-States, >50K.

        """

    func testEncodingStandardizesNumericAndOneHotsCategorical() throws {
        try write("adult.data", trainText)
        try write("adult.test", testText)
        let (train, test) = try Adult.load(directory: directory.path)
        XCTAssertEqual(Adult.featureCount, 105, "6 numeric + 8 + 16 + 7 + 14 + 6 + 5 + 2 + 41 categories")
        XCTAssertEqual(Adult.featureNames.count, Set(Adult.featureNames).count)
        XCTAssertEqual(train.features.shape, [4, 105], "the row with a missing country is dropped")
        XCTAssertEqual(train.labels, [0, 1, 0, 1])
        XCTAssertEqual(test.labels, [0, 1], "test labels end with a dot")
        let rows = try Adult.readRows(path: directory.appendingPathComponent("adult.data").path)
        XCTAssertEqual(rows.droppedCount, 1)
        let numeric = Adult.featureNames.indices.filter { !Adult.featureNames[$0].contains("=") }
        XCTAssertEqual(numeric.map { Adult.featureNames[$0] }, ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"])
        for j in numeric {
            let column = (0..<4).map { train.features.scalars[$0 * 105 + j] }
            let mean = column.reduce(0, +) / 4
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 4
            XCTAssertEqual(mean, 0, accuracy: 1e-12, Adult.featureNames[j])
            // capital-loss is 0 in all four rows: a constant column stays 0 (σ is taken as 1).
            XCTAssertEqual(variance, Adult.featureNames[j] == "capital-loss" ? 0 : 1, accuracy: 1e-12, Adult.featureNames[j])
        }
        // Ages 39, 50, 53, 28: μ = 42.5, σ² = (3.5² + 7.5² + 10.5² + 14.5²)/4 = 97.25; the test row of age 25 uses them.
        XCTAssertEqual(train.features.scalars[0], (39 - 42.5) / 97.25.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(test.features.scalars[0], (25 - 42.5) / 97.25.squareRoot(), accuracy: 1e-12)
        // Each categorical group sums to 1 in every row, and the right column is hot.
        var start = 0
        for a in Adult.attributes {
            guard case .categorical(let categories) = a.kind else { start += 1; continue }
            for (samples, n) in [(train, 4), (test, 2)] {
                for i in 0..<n {
                    let group = (start..<(start + categories.count)).map { samples.features.scalars[i * 105 + $0] }
                    XCTAssertEqual(group.reduce(0, +), 1, a.name)
                    XCTAssertTrue(group.allSatisfy { $0 == 0 || $0 == 1 })
                }
            }
            start += categories.count
        }
        XCTAssertEqual(train.features.scalars[105 * 3 + Adult.featureNames.firstIndex(of: "native-country=Cuba")!], 1)
        XCTAssertEqual(train.features.scalars[105 * 3 + Adult.featureNames.firstIndex(of: "relationship=Wife")!], 1)
    }

    func testBadFilesGiveClearErrors() throws {
        XCTAssertThrowsError(try Adult.load(directory: directory.path)) { error in
            XCTAssertTrue("\(error)".contains("adult.data not found"), "\(error)")
            XCTAssertTrue("\(error)".contains("make deps"), "\(error)")
        }
        func assertError(_ text: String, _ fragment: String, line: UInt = #line) throws {
            try write("bad.data", text)
            XCTAssertThrowsError(try Adult.readRows(path: directory.appendingPathComponent("bad.data").path), line: line) {
                XCTAssertTrue("\($0)".contains(fragment), "\($0) lacks \(fragment)", line: line)
            }
        }
        try assertError("1, 2, 3\n", "has 3 columns, the Adult format has 15")
        try assertError(trainText.replacingOccurrences(of: "White, Male, 0, 0, 13", with: "Green, Male, 0, 0, 13"), "line 2: race \"Green\" is not one of the 5 categories")
        try assertError(trainText.replacingOccurrences(of: "39, State-gov", with: "thirty, State-gov"), "line 1: age \"thirty\" is not a number")
        try assertError(trainText.replacingOccurrences(of: "Cuba, >50K", with: "Cuba, rich"), "line 5: income class \"rich\"")
    }

    func testShippedFilesWhenFetched() throws {
        let dir = realDataDirectory("adult")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: dir + "/adult.test"), "run `make data` to fetch UCI Adult")
        let (train, test) = try Adult.load(directory: dir)
        XCTAssertEqual(train.count, 30_162)
        XCTAssertEqual(test.count, 15_060)
        XCTAssertEqual(train.labels.filter { $0 == 1 }.count, 7_508)
        let positiveRate = Double(test.labels.reduce(0, +)) / Double(test.count)
        XCTAssertEqual(positiveRate, 0.246, accuracy: 0.01)
    }
}
