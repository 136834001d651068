import Foundation

/// A Markdown table with aligned columns.
public struct MarkdownTable: Sendable {
    public var header: [String]
    public var rows: [[String]]
    public init(header: [String], rows: [[String]] = []) {
        self.header = header
        self.rows = rows
    }
    public mutating func append(_ row: [String]) { rows.append(row) }

    public func render() -> String {
        let cols = header.count
        var width = header.map(\.count)
        for row in rows { for (k, c) in row.prefix(cols).enumerated() { width[k] = max(width[k], c.count) } }
        func line(_ cells: [String]) -> String {
            "| " + (0..<cols).map { k in
                let c = k < cells.count ? cells[k] : ""
                return c + String(repeating: " ", count: width[k] - c.count)
            }.joined(separator: " | ") + " |"
        }
        return ([line(header), "|" + width.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
            + rows.map(line)).joined(separator: "\n") + "\n"
    }
}

/// Comma-separated values with quoting where needed.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String]] = []
    public init(header: [String]) { self.header = header }
    public mutating func append(_ row: [String]) { rows.append(row) }
    static func quote(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    public func render() -> String {
        ([header] + rows).map { $0.map(Self.quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}

/// Iterations at which long runs log their metrics: 0…`dense` every iteration, then about
/// `perDecade` points per decade up to `last` (always included).
public enum LogSchedule {
    public static func iterations(last: Int, dense: Int = 10, perDecade: Int = 20) -> [Int] {
        guard last >= 0 else { return [] }
        var set = Set(0...min(dense, last))
        var e = log10(Double(max(dense, 1)))
        while true {
            let v = pow(10, e).rounded()
            if v > Double(last) { break }  // compared in Double: Int(v) would overflow near Int.max
            set.insert(Int(v))
            e += 1 / Double(max(perDecade, 1))
        }
        set.insert(last)
        return set.sorted()
    }
}

/// An iteration count (or a median of counts, which may end in .5) with thousands separators:
/// `13,664.5`, `1,000,000`, `42`.
public func formatIterationCount(_ v: Double) -> String {
    guard v.isFinite, Swift.abs(v) < 1e18 else { return formatNumber(v) }
    let whole = Int(v.rounded(.towardZero))
    var digits = String(Swift.abs(whole))
    var groups = [String]()
    while digits.count > 3 { groups.insert(String(digits.suffix(3)), at: 0); digits.removeLast(3) }
    groups.insert(digits, at: 0)
    var text = (v < 0 ? "-" : "") + groups.joined(separator: ",")
    let fraction = Swift.abs(v - Double(whole))
    if fraction > 0 { text += String(format: "%.1f", fraction).dropFirst() }  // ".5"
    return text
}

/// Formats a number for tables: integers as such, others with 3 significant digits.
public func formatNumber(_ v: Double) -> String {
    if !v.isFinite { return v.isNaN ? "—" : (v > 0 ? "∞" : "−∞") }
    if v == v.rounded() && abs(v) < 1e7 { return String(Int(v)) }
    if abs(v) >= 1e4 || abs(v) < 1e-2 { return String(format: "%.2e", v) }
    return String(format: "%.3g", v)
}
