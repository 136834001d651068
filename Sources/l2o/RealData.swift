import ArgumentParser
import L2O

/// The real-data families of a suite group (`ProblemSources`), with the command line's errors.
enum RealData {
    static func patchFamily<S: TensorScalar>(_ group: ProblemSuite.Group, _: S.Type = S.self) throws -> PatchLASSOFamily<S> {
        try ProblemSource.cli { try ProblemSources.patchFamily(group, S.self) }
    }

    static func adultFamily<S: TensorScalar>(_ group: ProblemSuite.Group, _: S.Type = S.self) throws -> AdultLogisticFamily<S> {
        try ProblemSource.cli { try ProblemSources.adultFamily(group, S.self) }
    }

    /// Turns data and family errors into an `InputError` (printed as `Error: …`, exit code 1, no usage text).
    static func loading<T>(_ body: () throws -> T) throws -> T {
        try ProblemSource.cli { try ProblemSources.loading(body) }
    }
}
