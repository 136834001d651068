/// Errors of the data loaders; each says which file and what to do.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// A dataset file is absent. `hint` says how to get it (usually a Debian package).
    case fileNotFound(path: String, hint: String)
    /// The file exists but is not in the expected format.
    case malformed(path: String, detail: String)
    /// Two files that belong together disagree (e.g. image and label counts).
    case inconsistent(detail: String)
    /// Writing failed.
    case writeFailed(path: String, detail: String)
    /// A generator's argument is out of range.
    case invalidArgument(detail: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path, hint): return "\(path) not found; \(hint)"
        case let .malformed(path, detail): return "\(path) is not a valid file: \(detail)"
        case let .inconsistent(detail): return detail
        case let .writeFailed(path, detail): return "cannot write \(path): \(detail)"
        case let .invalidArgument(detail): return detail
        }
    }
}
