import Foundation

/// A line plot rendered to standalone SVG (no external tools needed to view results).
///
/// Axes may be linear or base-10 logarithmic; each series is a polyline with an optional shaded
/// band (e.g. min–max or interquartile spread over instances). Non-finite and, on log axes,
/// non-positive points are dropped (they break the line).
public struct SVGPlot: Sendable {
    public enum Scale: Sendable { case linear, log }

    public struct Series: Sendable {
        public var label: String
        public var x: [Double]
        public var y: [Double]
        /// Optional lower/upper band around `y` (same length as `x`).
        public var lower: [Double]?
        public var upper: [Double]?
        public var dashed: Bool
        public init(label: String, x: [Double], y: [Double], lower: [Double]? = nil, upper: [Double]? = nil, dashed: Bool = false) {
            self.label = label
            self.x = x
            self.y = y
            self.lower = lower
            self.upper = upper
            self.dashed = dashed
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: Scale
    public var yScale: Scale
    public var series: [Series]
    public var width: Double = 640
    public var height: Double = 420

    public init(title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear, series: [Series] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.series = series
    }

    /// A colour-blind-friendly palette (Okabe–Ito).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]

    static func usable(_ v: Double, _ scale: Scale) -> Bool { v.isFinite && (scale == .linear || v > 0) }
    static func transform(_ v: Double, _ scale: Scale) -> Double { scale == .log ? log10(v) : v }

    /// Data range over all series (and bands) in transformed coordinates.
    func range(_ values: (Series) -> [Double], _ scale: Scale) -> (Double, Double) {
        var lo = Double.infinity, hi = -Double.infinity
        for s in series { for v in values(s) where Self.usable(v, scale) { let t = Self.transform(v, scale); lo = min(lo, t); hi = max(hi, t) } }
        if !lo.isFinite { return (0, 1) }
        if hi - lo < 1e-12 { return (lo - 0.5, hi + 0.5) }
        if scale == .log { return (floor(lo), ceil(hi)) }
        let pad = 0.04 * (hi - lo)
        return (lo - pad, hi + pad)
    }

    /// Tick positions (transformed coordinates) and their labels.
    static func ticks(_ lo: Double, _ hi: Double, _ scale: Scale) -> [(Double, String)] {
        if scale == .log {
            let first = Int(ceil(lo - 1e-9)), last = Int(floor(hi + 1e-9))
            let step = max(1, (last - first + 7) / 8)
            return stride(from: first, through: last, by: step).map { (Double($0), "1e\($0)") }
        }
        let span = hi - lo
        let raw = span / 6
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var t = ceil(lo / step) * step
        var out = [(Double, String)]()
        while t <= hi + 1e-9 * span {
            out.append((t, format(t, step)))
            t += step
        }
        return out
    }

    static func format(_ v: Double, _ step: Double) -> String {
        if abs(v) < step * 1e-6 { return "0" }
        if abs(v) >= 1e5 || abs(v) < 1e-3 { return String(format: "%.0e", v) }
        return step >= 1 ? String(format: "%.0f", v) : String(format: "%.\(max(0, Int(-floor(log10(step)))))f", v)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The SVG document.
    public func render() -> String {
        let left = 78.0, right = 170.0, top = 40.0, bottom = 56.0
        let pw = width - left - right, ph = height - top - bottom
        let (x0, x1) = range({ $0.x }, xScale)
        let (y0, y1) = range({ $0.y + ($0.lower ?? []) + ($0.upper ?? []) }, yScale)
        func px(_ v: Double) -> Double { left + (Self.transform(v, xScale) - x0) / (x1 - x0) * pw }
        func py(_ v: Double) -> Double { top + ph - (Self.transform(v, yScale) - y0) / (y1 - y0) * ph }
        func clampY(_ p: Double) -> Double { min(max(p, top), top + ph) }
        var o = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
        <text x="\(left + pw / 2)" y="22" text-anchor="middle" font-size="14">\(Self.escape(title))</text>

        """
        for (t, label) in Self.ticks(x0, x1, xScale) {
            let x = left + (t - x0) / (x1 - x0) * pw
            o += "<line x1=\"\(r(x))\" y1=\"\(r(top))\" x2=\"\(r(x))\" y2=\"\(r(top + ph))\" stroke=\"#e4e4e4\"/>\n"
            o += "<text x=\"\(r(x))\" y=\"\(r(top + ph + 16))\" text-anchor=\"middle\">\(Self.escape(label))</text>\n"
        }
        for (t, label) in Self.ticks(y0, y1, yScale) {
            let y = top + ph - (t - y0) / (y1 - y0) * ph
            o += "<line x1=\"\(r(left))\" y1=\"\(r(y))\" x2=\"\(r(left + pw))\" y2=\"\(r(y))\" stroke=\"#e4e4e4\"/>\n"
            o += "<text x=\"\(r(left - 6))\" y=\"\(r(y + 4))\" text-anchor=\"end\">\(Self.escape(label))</text>\n"
        }
        o += "<rect x=\"\(r(left))\" y=\"\(r(top))\" width=\"\(r(pw))\" height=\"\(r(ph))\" fill=\"none\" stroke=\"#444\"/>\n"
        o += "<text x=\"\(r(left + pw / 2))\" y=\"\(r(height - 14))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        o += "<text transform=\"translate(18,\(r(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        for (k, s) in series.enumerated() {
            let color = Self.palette[k % Self.palette.count]
            if let lo = s.lower, let hi = s.upper, lo.count == s.x.count, hi.count == s.x.count {
                let idx = s.x.indices.filter { Self.usable(s.x[$0], xScale) && Self.usable(lo[$0], yScale) && Self.usable(hi[$0], yScale) }
                if idx.count > 1 {
                    let upperPts = idx.map { "\(r(px(s.x[$0]))),\(r(clampY(py(hi[$0]))))" }
                    let lowerPts = idx.reversed().map { "\(r(px(s.x[$0]))),\(r(clampY(py(lo[$0]))))" }
                    o += "<polygon points=\"\((upperPts + lowerPts).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
                }
            }
            // Split the line wherever a point is unusable.
            var segment = [String]()
            func flush() {
                if segment.count > 1 {
                    o += "<polyline points=\"\(segment.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
                } else if segment.count == 1 {
                    let p = segment[0].split(separator: ",")
                    o += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"2.5\" fill=\"\(color)\"/>\n"
                }
                segment = []
            }
            for i in s.x.indices {
                if Self.usable(s.x[i], xScale) && Self.usable(s.y[i], yScale) {
                    segment.append("\(r(px(s.x[i]))),\(r(clampY(py(s.y[i]))))")
                } else {
                    flush()
                }
            }
            flush()
            let ly = top + 14 + Double(k) * 18
            o += "<line x1=\"\(r(left + pw + 12))\" y1=\"\(r(ly - 4))\" x2=\"\(r(left + pw + 36))\" y2=\"\(r(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            o += "<text x=\"\(r(left + pw + 42))\" y=\"\(r(ly))\">\(Self.escape(s.label))</text>\n"
        }
        o += "</svg>\n"
        return o
    }

    private func r(_ v: Double) -> String { String(format: "%.1f", v) }
}
