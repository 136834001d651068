/// Errors raised when an optimizee, family or suite is built from bad input. Each message says what
/// was wrong and what to change.
public enum OptimizeeError: Error, Equatable, CustomStringConvertible {
    /// A tensor handed to a constructor has the wrong shape.
    case shapeMismatch(what: String, expected: String, found: [Int])
    /// A size, weight or hyper-parameter is outside its valid range.
    case invalidArgument(what: String, detail: String)
    /// Data contains NaN or ±∞.
    case nonFiniteValues(what: String, count: Int)
    /// A suite names a family this build does not know.
    case unknownFamily(name: String, known: [String])
    /// A suite file could not be read or parsed.
    case invalidSuite(file: String, detail: String)
    /// The reference solver stopped before reaching its KKT tolerance.
    case referenceNotConverged(iterations: Int, residual: Double, tolerance: Double)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, found):
            return "\(what) has shape \(found) but must be \(expected); reshape the data or fix the sizes"
        case let .invalidArgument(what, detail):
            return "invalid \(what): \(detail)"
        case let .nonFiniteValues(what, count):
            return "\(what) contains \(count) non-finite value(s) (NaN or ±∞); regenerate or clean the data"
        case let .unknownFamily(name, known):
            return "unknown problem family \"\(name)\"; use one of: \(known.joined(separator: ", "))"
        case let .invalidSuite(file, detail):
            return "suite \(file): \(detail)"
        case let .referenceNotConverged(iterations, residual, tolerance):
            return "reference solver stopped after \(iterations) iterations at KKT residual \(residual) "
                + "(tolerance \(tolerance)); raise maxIterations, or loosen the tolerance if the iterates "
                + "stopped changing (the floating-point floor of this instance)"
        }
    }
}
