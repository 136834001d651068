/// Errors raised by optimizers: bad hyper-parameters, and optimizer state that does not match the
/// parameters it is used with. Every message says what was wrong and what to do about it.
public enum OptimizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A hyper-parameter is outside its valid range. `requirement` states the range and a usual value.
    case invalidHyperParameter(optimizer: String, name: String, value: Double, requirement: String)
    /// `setHyperParameter` was given a name the optimizer does not have.
    case unknownHyperParameter(optimizer: String, name: String, known: [String])
    /// A state tensor `slot.parameter` expected for these parameters is absent from the imported state.
    case missingStateTensor(name: String)
    /// An imported state tensor has a different shape than the parameter it belongs to.
    case stateShapeMismatch(name: String, expected: [Int], actual: [Int])
    /// The imported state holds a tensor that no slot × parameter of this optimizer explains.
    case unexpectedStateTensor(name: String)
    /// A scalar state value (e.g. `step`) is absent from the imported state.
    case missingStateValue(name: String)
    /// A state tensor or value is not usable (NaN, infinite, negative where it cannot be).
    case invalidStateValue(name: String, detail: String)
    /// `step` was called with parameters whose names or shapes differ from those the state was made for.
    case stateDoesNotMatchParameters(detail: String)
    /// A data source or argument is unusable (e.g. BADM given no batches).
    case invalidArgument(operation: String, message: String)

    public var description: String {
        switch self {
        case let .invalidHyperParameter(opt, name, value, requirement):
            return "\(opt): hyper-parameter '\(name)' = \(value) is invalid: it \(requirement)"
        case let .unknownHyperParameter(opt, name, known):
            return "\(opt) has no hyper-parameter '\(name)'; use one of \(known.sorted().joined(separator: ", "))"
        case let .missingStateTensor(name):
            return "optimizer state tensor '\(name)' is missing; the state was saved for other parameters or another optimizer — start from makeState(for:) or load the matching checkpoint"
        case let .stateShapeMismatch(name, expected, actual):
            return "optimizer state tensor '\(name)' has shape \(actual) but its parameter has shape \(expected); the state belongs to a different model"
        case let .unexpectedStateTensor(name):
            return "optimizer state tensor '\(name)' matches no parameter of this model; the state belongs to a different model or optimizer"
        case let .missingStateValue(name):
            return "optimizer state value '\(name)' is missing; the state was saved by another optimizer"
        case let .invalidStateValue(name, detail):
            return "optimizer state '\(name)' \(detail); the file was damaged or edited — use an earlier checkpoint"
        case let .stateDoesNotMatchParameters(detail):
            return "optimizer state does not match the parameters (\(detail)); make the state with makeState(for:) from these parameters"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        }
    }
}
