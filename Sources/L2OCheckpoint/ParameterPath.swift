/// The reversible mapping between the framework's dotted parameter names and HDF5 paths.
///
/// A parameter name such as `encoder.0.weight` or `milodo.node3.M.lstm.weight` is a non-empty list of
/// non-empty components joined by `.`; components may contain any character except `.`, `/` and NUL.
/// Its HDF5 path relative to a section group is the same components joined by `/`
/// (`encoder/0/weight`). Because neither separator may occur inside a component, the mapping is a
/// bijection: `parameterName(forPath: hdf5Path(forParameter: n)) == n` for every valid name, and an
/// HDF5 path whose components contain `.` is rejected rather than read ambiguously.
public enum ParameterPath {
    /// `encoder.0.weight` → `encoder/0/weight`; throws `invalidName` for names that cannot round-trip.
    public static func hdf5Path(forParameter name: String) throws -> String {
        try validatedComponents(name, separator: ".", forbidden: "/").joined(separator: "/")
    }

    /// `encoder/0/weight` → `encoder.0.weight`; throws `invalidName` when a component contains `.`.
    public static func parameterName(forPath path: String) throws -> String {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        return try validatedComponents(trimmed, separator: "/", forbidden: ".").joined(separator: ".")
    }

    private static func validatedComponents(_ text: String, separator: Character, forbidden: Character) throws -> [Substring] {
        let parts = text.split(separator: separator, omittingEmptySubsequences: false)
        guard !text.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw CheckpointError.invalidName(name: text, reason: "it has an empty component")
        }
        if text.contains(forbidden) {
            throw CheckpointError.invalidName(
                name: text, reason: "'\(forbidden)' inside a component would make the name ambiguous")
        }
        if text.contains("\0") {
            throw CheckpointError.invalidName(name: text, reason: "it contains a NUL character")
        }
        return parts
    }
}
