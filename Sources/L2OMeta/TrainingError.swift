/// Errors of model training (`Trainer`, `l2o train`); each says what to change.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting (batch size, epochs, sizes, optimizer name…) is unusable.
    case invalidSetting(name: String, message: String)
    /// A resume checkpoint cannot continue this run.
    case cannotResume(file: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, message): return "invalid \(name): \(message)"
        case let .cannotResume(file, reason):
            return "cannot resume from \(file): \(reason); use another --out folder or delete the file to start over"
        }
    }
}
