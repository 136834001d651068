import XCTest
@testable import L2OMeta
#if canImport(FoundationXML)
import FoundationXML
#endif

final class ReportTests: XCTestCase {
    final class Counter: NSObject, XMLParserDelegate {
        var elements = [String: Int]()
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements[name, default: 0] += 1
        }
    }

    func testSVGIsWellFormedAndDrawsEverySeries() throws {
        let xs = LogSchedule.iterations(last: 100_000).map(Double.init)
        var plot = SVGPlot(title: "gap <&> test", xLabel: "iteration", yLabel: "F − F*", xScale: .log, yScale: .log)
        plot.series.append(.init(label: "a", x: xs, y: xs.map { 1 / ($0 + 1) }, lower: xs.map { 0.5 / ($0 + 1) }, upper: xs.map { 2 / ($0 + 1) }))
        plot.series.append(.init(label: "b (with a zero)", x: xs, y: xs.map { $0 == 1000 ? 0 : exp(-$0 / 1e4) }, dashed: true))
        let svg = plot.render()
        let parser = XMLParser(data: svg.data(using: .utf8)!)
        let counter = Counter()
        parser.delegate = counter
        XCTAssertTrue(parser.parse(), "SVG is not well-formed XML")
        XCTAssertEqual(counter.elements["polygon"], 1)  // one band
        // Series b is broken at its zero (log axis): two segments; series a one; legend lines 2.
        XCTAssertEqual(counter.elements["polyline"], 3)
        XCTAssertTrue(svg.contains("gap &lt;&amp;&gt; test"))
        XCTAssertTrue(svg.contains(">1e5<"))  // decade ticks on the log x-axis
    }

    func testTicksOnLinearAxisAreRound() {
        let t = SVGPlot.ticks(0, 1, .linear).map(\.1)
        XCTAssertEqual(t, ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    func testLogScheduleIsSortedAndCoversEnds() {
        let s = LogSchedule.iterations(last: 100_000)
        XCTAssertEqual(s.first, 0)
        XCTAssertEqual(s.last, 100_000)
        XCTAssertEqual(s, s.sorted())
        XCTAssertEqual(Set(s).count, s.count)
        XCTAssertTrue(Array(0...10).allSatisfy(s.contains))
        XCTAssertLessThan(s.count, 120)  // ~20 per decade over 4 decades + dense head
        XCTAssertEqual(LogSchedule.iterations(last: 3), [0, 1, 2, 3])
        // Near Int.max the schedule still ends (10¹⁹ does not fit in an Int; compared in Double).
        let huge = LogSchedule.iterations(last: Int.max)
        XCTAssertEqual(huge.last, Int.max)
        XCTAssertEqual(huge, huge.sorted())
        XCTAssertLessThan(huge.count, 20 * 19 + 12)
    }

    func testIterationCountsAreWrittenInFull() {
        XCTAssertEqual(formatIterationCount(13_664.5), "13,664.5")
        XCTAssertEqual(formatIterationCount(1_000_000), "1,000,000")
        XCTAssertEqual(formatIterationCount(42), "42")
        XCTAssertEqual(formatIterationCount(999), "999")
        XCTAssertEqual(formatIterationCount(1000), "1,000")
    }

    func testTables() {
        var t = MarkdownTable(header: ["method", "iters"])
        t.append(["prox-ed", "12345"])
        XCTAssertEqual(t.render(), "| method  | iters |\n|---------|-------|\n| prox-ed | 12345 |\n")
        var c = CSVTable(header: ["a", "b"])
        c.append(["x,y", "q\"t"])
        XCTAssertEqual(c.render(), "a,b\n\"x,y\",\"q\"\"t\"\n")
        XCTAssertEqual(formatNumber(3), "3")
        XCTAssertEqual(formatNumber(2.5e-7), "2.50e-07")
        XCTAssertEqual(formatNumber(.nan), "—")
    }
}

final class ProgressBarTests: XCTestCase {
    func testRenderShowsCountsRateAndETA() {
        let s = ProgressBar.render(label: "eval", done: 25, total: 100, elapsed: 10, fields: [("gap", "1e-3")], width: 8)
        XCTAssertEqual(s, "eval [██······] 25/100  25% 10.0s elapsed, ETA 30.0s  gap 1e-3")
        // Resumed at 20 of 100: 5 units in 10 s is this process's pace, so 75 left take 150 s.
        let resumed = ProgressBar.render(label: "eval", done: 25, total: 100, initial: 20, elapsed: 10, fields: [], width: 8)
        XCTAssertEqual(resumed, "eval [██······] 25/100  25% 10.0s elapsed, ETA 2m30s")
        XCTAssertEqual(ProgressBar.formatDuration(3725), "1h02m")
        XCTAssertEqual(ProgressBar.formatDuration(185), "3m05s")
    }

    func testThrottlingDrawsFirstAndLast() {
        var t = Date(timeIntervalSince1970: 0)
        var lines = [String]()
        let bar = ProgressBar(total: 10, label: "x", minimumInterval: 1, clock: { t }) { lines.append($0) }
        for k in 1...10 {
            t = t.addingTimeInterval(0.1)
            bar.update(k)
        }
        XCTAssertEqual(lines.count, 2)  // first update, then the final one (0.9 s < 1 s in between)
        XCTAssertTrue(lines.last!.contains("10/10"))
    }
}
