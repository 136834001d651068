import Foundation

/// A table read from comma-separated text: rows of fields, `nil` for a missing value.
public struct CSVTable: Equatable, Sendable {
    /// The header fields when the reader was told the first record is a header.
    public var header: [String]?
    /// The records, each with `columnCount` fields.
    public var rows: [[String?]]
    /// The 1-based line on which each record starts (for error messages).
    public var lines: [Int]

    public var columnCount: Int { header?.count ?? rows.first?.count ?? 0 }
}

/// A reader of comma-separated values in the dialect of RFC 4180 plus the habits of UCI files:
///
/// - Fields are separated by `separator` (`,`); records end at `\n` or `\r\n`.
/// - A field that starts with `"` (after optional whitespace) is quoted: it runs to the closing
///   `"`, may contain separators and line breaks, and `""` inside it stands for one `"`.
/// - Unquoted fields lose leading and trailing spaces and tabs; quoted fields keep their text.
/// - An unquoted field equal to one of `missingValues` (default `?`) is missing (`nil`);
///   a quoted `"?"` is the text `?`.
/// - Blank lines and lines starting with `commentPrefix` (e.g. `|` in UCI files) are skipped.
/// - Every record must have as many fields as the first (or the header); a ragged record,
///   an unterminated quote or text after a closing quote is an error naming the line.
public struct CSVReader: Sendable {
    public var separator: Character
    public var missingValues: Set<String>
    public var commentPrefix: String?
    public var hasHeader: Bool

    public init(separator: Character = ",", missingValues: Set<String> = ["?"], commentPrefix: String? = nil, hasHeader: Bool = false) {
        self.separator = separator
        self.missingValues = missingValues
        self.commentPrefix = commentPrefix
        self.hasHeader = hasHeader
    }

    /// Reads `path` (UTF-8). Throws `fileNotFound` with `hint`, or `malformed`.
    public func read(path: String, hint: String = "check the path") throws -> CSVTable {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileNotFound(path: path, hint: hint) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.malformed(path: path, detail: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError.malformed(path: path, detail: "is not UTF-8 text")
        }
        return try parse(text, source: path)
    }

    /// Parses `text`; `source` names it in errors.
    public func parse(_ text: String, source: String = "(in memory)") throws -> CSVTable {
        var records = [[String?]]()
        var lines = [Int]()
        var header: [String]?
        guard let sep = separator.asciiValue, sep != Scanner.quote, sep != Scanner.newline, sep != Scanner.cr else {
            throw DataError.inconsistent(detail: "CSV separator \"\(separator)\" must be an ASCII character other than a quote or a line break")
        }
        var scanner = Scanner(bytes: Array(text.utf8), separator: sep)
        let comment = commentPrefix.map { Array($0.utf8) }
        while !scanner.atEnd {
            let line = scanner.line
            if scanner.atBlankLine() || comment.map({ scanner.startsWith($0) }) == true {
                scanner.skipLine()
                continue
            }
            let fields = try scanner.record(source: source)
            if hasHeader && header == nil {
                header = fields.map { $0.text }
                continue
            }
            let expected = header?.count ?? records.first?.count ?? fields.count
            guard fields.count == expected else {
                throw DataError.malformed(path: source, detail: "line \(line) has \(fields.count) field(s), expected \(expected)")
            }
            records.append(fields.map { $0.quoted || !missingValues.contains($0.text) ? $0.text : nil })
            lines.append(line)
        }
        return CSVTable(header: header, rows: records, lines: lines)
    }

    /// A byte cursor over UTF-8 text (separators, quotes and line breaks are ASCII, so multi-byte
    /// characters pass through unchanged).
    struct Scanner {
        let bytes: [UInt8]
        let separator: UInt8
        var position = 0
        var line = 1

        init(bytes: [UInt8], separator: UInt8) {
            self.bytes = bytes
            self.separator = separator
        }

        static let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

        var atEnd: Bool { position >= bytes.count }

        func isBlank(_ b: UInt8) -> Bool { b == Self.space || b == Self.tab }

        /// Whether the rest of the current line is whitespace only.
        func atBlankLine() -> Bool {
            var p = position
            while p < bytes.count, isBlank(bytes[p]) || bytes[p] == Self.cr { p += 1 }
            return p >= bytes.count || bytes[p] == Self.newline
        }

        func startsWith(_ prefix: [UInt8]) -> Bool {
            position + prefix.count <= bytes.count && Array(bytes[position..<(position + prefix.count)]) == prefix
        }

        mutating func skipLine() {
            while position < bytes.count, bytes[position] != Self.newline { position += 1 }
            if position < bytes.count { position += 1; line += 1 }
        }

        /// Reads one record and the line break after it.
        mutating func record(source: String) throws -> [(text: String, quoted: Bool)] {
            var fields = [(text: String, quoted: Bool)]()
            while true {
                fields.append(try field(source: source))
                if position >= bytes.count { return fields }
                let b = bytes[position]
                position += 1
                if b == separator { continue }
                if b == Self.cr, position < bytes.count, bytes[position] == Self.newline { position += 1 }
                line += 1
                return fields
            }
        }

        /// Reads one field, stopping before the separator or line break that ends it.
        mutating func field(source: String) throws -> (text: String, quoted: Bool) {
            while position < bytes.count, isBlank(bytes[position]) { position += 1 }
            if position < bytes.count, bytes[position] == Self.quote {
                let startLine = line
                position += 1
                var text = [UInt8]()
                while true {
                    guard position < bytes.count else {
                        throw DataError.malformed(path: source, detail: "line \(startLine): a quoted field is not closed")
                    }
                    let b = bytes[position]
                    position += 1
                    if b == Self.quote {
                        if position < bytes.count, bytes[position] == Self.quote {
                            text.append(Self.quote)
                            position += 1
                            continue
                        }
                        break
                    }
                    if b == Self.newline { line += 1 }
                    text.append(b)
                }
                while position < bytes.count, isBlank(bytes[position]) { position += 1 }
                if position < bytes.count, bytes[position] != separator, bytes[position] != Self.newline, bytes[position] != Self.cr {
                    throw DataError.malformed(path: source, detail: "line \(line): text after the closing quote of a field")
                }
                return (String(decoding: text, as: UTF8.self), true)
            }
            let start = position
            while position < bytes.count, bytes[position] != separator, bytes[position] != Self.newline {
                position += 1
            }
            var end = position
            while end > start, isBlank(bytes[end - 1]) || bytes[end - 1] == Self.cr { end -= 1 }
            return (String(decoding: bytes[start..<end], as: UTF8.self), false)
        }
    }
}
