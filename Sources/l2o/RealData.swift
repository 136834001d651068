import ArgumentParser
import L2O

/// The real-data families of a suite group, with their datasets loaded from `DataDirectory`
/// (`make data` fetches them into `Data/`, or set `L2O_DATA_DIR`).
enum RealData {
    /// The `lasso-patches` family of `group` over `NaturalImages`.
    static func patchFamily<S: TensorScalar>(_ group: ProblemSuite.Group, _: S.Type = S.self) throws -> PatchLASSOFamily<S> {
        try loading {
            try group.patchLASSOFamily(S.self, dictionaryImages: NaturalImages.load(NaturalImages.dictionaryImages),
                                       targetImages: NaturalImages.load(NaturalImages.targetImages))
        }
    }

    /// The `logistic-adult` family of `group` over `Adult.load()`.
    static func adultFamily<S: TensorScalar>(_ group: ProblemSuite.Group, _: S.Type = S.self) throws -> AdultLogisticFamily<S> {
        try loading { try group.adultLogisticFamily(S.self, data: Adult.load()) }
    }

    /// Turns data and family errors into an `InputError` (printed as `Error: …`, exit code 1, no usage text).
    static func loading<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DataError {
            throw InputError("\(error)")
        } catch let error as OptimizeeError {
            throw InputError("\(error)")
        }
    }
}
