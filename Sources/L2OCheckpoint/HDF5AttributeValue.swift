/// The value of an HDF5 attribute: a UTF-8 string, a 64-bit integer or a double.
///
/// Strings are written as scalar fixed-length NUL-terminated UTF-8 strings (kept inside the
/// checksummed object header), integers as scalar little-endian int64 and doubles as scalar IEEE
/// float64. When reading, any
/// integer type is widened to Int64, float32/float64 to Double, fixed- or variable-length strings to
/// String, and a one-element array counts as a scalar. Attributes of any other type or shape are kept
/// as `.unsupported` with a description, so foreign files can still be inspected.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case double(Double)
    /// An attribute this module does not decode (e.g. an array); the text describes its type and shape.
    case unsupported(String)

    /// The schema name of the value's type, used in error messages.
    public var typeName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .double: return "a double"
        case .unsupported(let d): return "an unsupported attribute (\(d))"
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .integer(let i): return String(i)
        case .double(let d): return "\(d)"
        case .unsupported(let d): return "<\(d)>"
        }
    }

    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The integer, if this is an integer.
    public var integerValue: Int64? { if case .integer(let i) = self { return i } else { return nil } }
    /// The number as a Double, if this is a double or an integer.
    public var doubleValue: Double? {
        switch self {
        case .double(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
}
