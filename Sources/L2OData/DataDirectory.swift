import Foundation

/// Where fetched datasets live: `$L2O_DATA_DIR` when set, else `Data` under the current directory
/// (the gitignored directory `make data` fills; see `docs/optimizees.md`).
public enum DataDirectory {
    /// The environment variable that overrides the location.
    public static let environmentVariable = "L2O_DATA_DIR"

    /// The root directory.
    public static var root: String {
        ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "Data"
    }

    /// `root/component`.
    public static func path(_ component: String) -> String {
        (root as NSString).appendingPathComponent(component)
    }
}
