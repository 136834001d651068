import ArgumentParser
import L2O

/// Loading real data (`ProblemSources.loading`) with the command line's errors.
enum RealData {
    /// Turns data and family errors into an `InputError` (printed as `Error: …`, exit code 1, no usage text).
    static func loading<T>(_ body: () throws -> T) throws -> T {
        try ProblemSource.cli { try ProblemSources.loading(body) }
    }
}
