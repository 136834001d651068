/// Summary statistics of a tensor's finite elements, as printed by `l2o inspect`.
public struct TensorStatistics: Equatable, Sendable {
    /// Smallest, largest and mean finite element; nil when there is none.
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    /// Number of NaN or infinite elements.
    public var nonFinite: Int

    public init(_ tensor: AnyTensor) {
        var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, finite = 0, bad = 0
        for x in tensor.doubleScalars {
            guard x.isFinite else { bad += 1; continue }
            lo = Swift.min(lo, x)
            hi = Swift.max(hi, x)
            sum += x
            finite += 1
        }
        min = finite > 0 ? lo : nil
        max = finite > 0 ? hi : nil
        mean = finite > 0 ? sum / Double(finite) : nil
        nonFinite = bad
    }

    /// `min -1 max 2 mean 0.5` (plus `non-finite 3` when there are any); `empty` without elements.
    public var text: String {
        var parts: [String] = []
        if let min, let max, let mean {
            parts.append("min \(TensorStatistics.format(min)) max \(TensorStatistics.format(max)) mean \(TensorStatistics.format(mean))")
        }
        if nonFinite > 0 { parts.append("non-finite \(nonFinite)") }
        return parts.isEmpty ? "empty" : parts.joined(separator: " ")
    }

    /// Six significant digits.
    static func format(_ x: Double) -> String {
        let rounded = Double(String(format: "%.6g", x)) ?? x
        return rounded == rounded.rounded() && Swift.abs(rounded) < 1e15 ? String(Int64(rounded)) : String(format: "%.6g", x)
    }
}
