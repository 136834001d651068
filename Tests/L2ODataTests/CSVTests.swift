import Foundation
import XCTest
@testable import L2OData

final class CSVTests: XCTestCase {
    func testQuotingWhitespaceMissingValuesAndComments() throws {
        let text = "| a comment line\r\n"
            + "name, value ,note\r\n"
            + "  plain  ,\t3.5, \"quoted, with comma\"\r\n"
            + "\n"
            + "\"say \"\"hi\"\"\",?,\"?\"\n"
            + "\"two\nlines\" , -1 ,  \n"
            + "   \n"
            + "last,2,x"
        let table = try CSVReader(commentPrefix: "|", hasHeader: true).parse(text)
        XCTAssertEqual(table.header, ["name", "value", "note"])
        XCTAssertEqual(table.columnCount, 3)
        XCTAssertEqual(table.rows, [
            ["plain", "3.5", "quoted, with comma"],
            ["say \"hi\"", nil, "?"],
            ["two\nlines", "-1", ""],
            ["last", "2", "x"],
        ])
        XCTAssertEqual(table.lines, [3, 5, 6, 9], "the line each record starts on, counting the one inside quotes")
        // Other separators and missing markers.
        let semi = try CSVReader(separator: ";", missingValues: ["NA", ""]).parse("1;NA;;\"\"\n")
        XCTAssertEqual(semi.rows, [["1", nil, nil, ""]])
        XCTAssertEqual(try CSVReader().parse("").rows, [])
    }

    func testMalformedTextGivesLineNumbers() {
        func assertError(_ text: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try CSVReader().parse(text, source: "t.csv"), file: file, line: line) {
                XCTAssertTrue("\($0)".contains(fragment), "\($0) lacks \(fragment)", file: file, line: line)
                XCTAssertTrue("\($0)".hasPrefix("t.csv"), file: file, line: line)
            }
        }
        assertError("a,b\nc\n", "line 2 has 1 field(s), expected 2")
        assertError("a,b\nc,\"open\n", "line 2: a quoted field is not closed")
        assertError("\"x\"y,b\n", "line 1: text after the closing quote")
        XCTAssertThrowsError(try CSVReader(separator: "\"").parse("a"))
        XCTAssertThrowsError(try CSVReader().read(path: "/nonexistent/x.csv", hint: "get it")) {
            XCTAssertEqual($0 as? DataError, .fileNotFound(path: "/nonexistent/x.csv", hint: "get it"))
        }
    }
}
