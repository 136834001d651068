import XCTest
import L2OCore

final class ResourceLimitsTests: XCTestCase {
    func testElementCountsOverflowAndNegativeSizesAreRefused() throws {
        XCTAssertEqual(try ResourceLimits.elementCount([3, 4, 5], what: "x"), 60)
        XCTAssertEqual(try ResourceLimits.elementCount([], what: "x"), 1)
        XCTAssertThrowsError(try ResourceLimits.elementCount([1 << 32, 1 << 32], what: "f.h5")) {
            XCTAssertTrue("\($0)".hasPrefix("f.h5: "), "\($0)")
        }
        XCTAssertThrowsError(try ResourceLimits.elementCount([4, -1], what: "x"))
    }

    func testMemoryChecksUseThePhysicalMemory() throws {
        let memory = ResourceLimits.memoryBytes
        XCTAssertGreaterThan(memory, 1 << 20)
        XCTAssertNoThrow(try ResourceLimits.checkShape([1000, 1000], bytesPerElement: 8, what: "x"))
        // One element more than the memory holds, and a product that overflows in bytes.
        XCTAssertThrowsError(try ResourceLimits.checkMemory(elements: memory / 8 + 1, bytesPerElement: 8, what: "suite.json groups[0]")) {
            XCTAssertTrue("\($0)".contains("suite.json groups[0]") && "\($0)".contains("more than this machine's memory"), "\($0)")
        }
        XCTAssertThrowsError(try ResourceLimits.checkMemory(elements: Int.max / 2, bytesPerElement: 8, what: "x"))
        XCTAssertThrowsError(try ResourceLimits.checkShape([1 << 17, 1 << 17, 1 << 17], bytesPerElement: 8, what: "x"))
    }

    func testIterationLimit() {
        XCTAssertNoThrow(try ResourceLimits.checkIterations(100_000, what: "--iterations"))
        XCTAssertThrowsError(try ResourceLimits.checkIterations(Int.max, what: "--iterations"))
        XCTAssertThrowsError(try ResourceLimits.checkIterations(0, what: "--iterations"))
        XCTAssertEqual(ResourceLimits.formatBytes(1536), "1.5 KiB")
        XCTAssertEqual(ResourceLimits.formatBytes(100), "100 B")
    }
}
