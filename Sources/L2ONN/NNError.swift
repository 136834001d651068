/// Errors raised by layers, losses and parameter loading in `L2ONN`.
///
/// Every case names what was expected and what was received, so the message alone says what to fix.
public enum NNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An input tensor has the wrong shape. `expected` is a pattern in which `*` marks a free
    /// dimension (e.g. `[*, 3, *, *]` for a 3-channel NCHW image batch).
    case shapeMismatch(operation: String, expected: String, actual: [Int])
    /// A tensor offered for a named parameter or buffer has the wrong shape.
    case parameterShapeMismatch(name: String, expected: [Int], actual: [Int])
    /// A name the module owns is absent from the tensors being loaded.
    case missingParameter(name: String)
    /// A name in the tensors being loaded is not owned by the module.
    case unknownParameter(name: String)
    /// A class label lies outside `0..<classCount`.
    case labelOutOfRange(operation: String, label: Int, index: Int, classCount: Int)
    /// A constructor or forward argument is invalid (non-positive size, bad graph, …).
    case invalidArgument(operation: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, expected, actual):
            return "\(op): expected shape \(expected), got \(actual)"
        case let .parameterShapeMismatch(name, expected, actual):
            return "parameter '\(name)': expected shape \(expected), got \(actual); nothing was loaded"
        case let .missingParameter(name):
            return "parameter '\(name)' is missing from the tensors to load; nothing was loaded"
        case let .unknownParameter(name):
            return "'\(name)' is not a parameter of this module; nothing was loaded"
        case let .labelOutOfRange(op, label, index, classCount):
            return "\(op): label \(label) at index \(index) is outside 0..<\(classCount)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        }
    }
}

/// Renders a shape pattern: concrete sizes as numbers, free dimensions (`nil`) as `*`.
@usableFromInline
func shapePattern(_ dims: [Int?]) -> String {
    "[" + dims.map { $0.map(String.init) ?? "*" }.joined(separator: ", ") + "]"
}

/// Throws `shapeMismatch` unless `actual` matches `pattern` (same rank; non-nil entries equal).
@usableFromInline
func requireShape(_ actual: [Int], _ pattern: [Int?], _ operation: String) throws {
    guard actual.count == pattern.count,
          zip(actual, pattern).allSatisfy({ $1 == nil || $0 == $1! })
    else { throw NNError.shapeMismatch(operation: operation, expected: shapePattern(pattern), actual: actual) }
}

/// Throws `invalidArgument` unless `condition` holds.
@usableFromInline
func requireArgument(_ condition: Bool, _ operation: String, _ message: @autoclosure () -> String) throws {
    if !condition { throw NNError.invalidArgument(operation: operation, message: message()) }
}
