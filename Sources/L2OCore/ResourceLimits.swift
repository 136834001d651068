import Foundation

/// A size or count read from a file or a flag that the tool refuses before allocating or looping.
///
/// `what` names the source (file and field, or flag) and `detail` the size and the limit, so the
/// message tells the user which number to change.
public struct ResourceLimitError: Error, CustomStringConvertible, Equatable, Sendable {
    public var what: String
    public var detail: String

    public init(what: String, detail: String) {
        self.what = what
        self.detail = detail
    }

    public var description: String { "\(what): \(detail)" }
}

/// The limits the tool enforces on sizes that user input controls (listed in `docs/limits.md`).
///
/// Sizes declared in files (HDF5 dataset shapes, suite dimensions, node counts) are checked here
/// before anything is allocated: a product of dimensions must not overflow, and the bytes it needs
/// must fit in the machine's physical memory. Loops driven by a user number are bounded by
/// `maximumIterations`.
public enum ResourceLimits {
    /// The machine's physical memory in bytes (`ProcessInfo.physicalMemory`); the most that any one
    /// declared size may ask for. `L2O_MEMORY_LIMIT` (bytes) lowers it, e.g. for tests or shared
    /// machines.
    public static var memoryBytes: Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let text = ProcessInfo.processInfo.environment["L2O_MEMORY_LIMIT"], let v = Int(text), v > 0 {
            return Swift.min(v, physical)
        }
        return physical
    }

    /// The largest iteration count accepted from a flag or file: 10¹² (about 30 years of steps at
    /// 1 µs each), far beyond any real run but small enough that counters and log schedules never
    /// overflow.
    public static let maximumIterations = 1_000_000_000_000

    /// The product of `dimensions`, or a thrown error when one is negative or the product
    /// overflows.
    public static func elementCount(_ dimensions: [Int], what: String) throws -> Int {
        var count = 1
        for d in dimensions {
            guard d >= 0 else { throw ResourceLimitError(what: what, detail: "negative size \(d) in shape \(dimensions)") }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw ResourceLimitError(what: what, detail: "shape \(dimensions) has more elements than a 64-bit count holds") }
            count = p
        }
        return count
    }

    /// Throws unless `elements` values of `bytesPerElement` bytes each (`copies` times) fit in
    /// `memoryBytes`.
    public static func checkMemory(elements: Int, bytesPerElement: Int, copies: Int = 1, what: String) throws {
        let (b1, o1) = elements.multipliedReportingOverflow(by: bytesPerElement)
        let (bytes, o2) = b1.multipliedReportingOverflow(by: Swift.max(copies, 1))
        let limit = memoryBytes
        guard !o1, !o2, elements >= 0, bytes <= limit else {
            let need = o1 || o2 ? "more than 2⁶³ bytes" : formatBytes(bytes)
            throw ResourceLimitError(
                what: what,
                detail: "needs \(need), more than this machine's memory (\(formatBytes(limit))); reduce the sizes")
        }
    }

    /// Throws unless the shape's element count fits in memory as `bytesPerElement`-byte scalars;
    /// returns the element count.
    @discardableResult
    public static func checkShape(_ dimensions: [Int], bytesPerElement: Int, copies: Int = 1, what: String) throws -> Int {
        let n = try elementCount(dimensions, what: what)
        try checkMemory(elements: n, bytesPerElement: bytesPerElement, copies: copies, what: what)
        return n
    }

    /// Throws unless `1 ≤ n ≤ maximumIterations`.
    public static func checkIterations(_ n: Int, what: String) throws {
        guard n >= 1, n <= maximumIterations else {
            throw ResourceLimitError(what: what, detail: "must be between 1 and \(maximumIterations) (10¹²), got \(n)")
        }
    }

    /// `1.5 GiB`, `512 MiB`, `12 KiB`, `100 B`.
    public static func formatBytes(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(bytes), k = 0
        while v >= 1024 && k < units.count - 1 { v /= 1024; k += 1 }
        return k == 0 ? "\(bytes) B" : String(format: "%.1f %@", v, units[k])
    }
}
