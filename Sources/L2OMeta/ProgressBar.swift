import Foundation

/// A progress line for long jobs: a bar, counts, rate, ETA and free-form fields.
///
/// The library renders; where the text goes is the caller's choice (`sink`), so nothing below the
/// command-line tool writes to the terminal. Updates are throttled to `minimumInterval` seconds.
public final class ProgressBar {
    public let total: Int
    /// Units done before this bar started (a resumed job): they count towards the bar but not
    /// towards the rate, so the ETA is this process's pace.
    public let initial: Int
    public let label: String
    public var minimumInterval: Double
    private let sink: (String) -> Void
    private let start: Date
    private var lastDraw: Date?
    private let clock: () -> Date

    public init(total: Int, initial: Int = 0, label: String, minimumInterval: Double = 0.2, clock: @escaping () -> Date = Date.init,
                sink: @escaping (String) -> Void) {
        self.total = max(total, 0)
        self.initial = min(max(initial, 0), self.total)
        self.label = label
        self.minimumInterval = minimumInterval
        self.sink = sink
        self.clock = clock
        self.start = clock()
    }

    /// Seconds since the bar was created.
    public var elapsed: Double { clock().timeIntervalSince(start) }

    /// Renders the line for `done` of `total` units, `initial` of them done before `elapsed`
    /// started (pure function of its inputs).
    public static func render(label: String, done: Int, total: Int, initial: Int = 0, elapsed: Double, fields: [(String, String)], width: Int = 24) -> String {
        let frac = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int((frac * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        var s = "\(label) [\(bar)] \(done)/\(total) \(String(format: "%3.0f%%", 100 * frac))"
        if done > initial && elapsed > 0 {
            let rate = Double(done - initial) / elapsed
            let eta = total > done ? Double(total - done) / rate : 0
            s += " " + formatDuration(elapsed) + " elapsed, ETA " + formatDuration(eta)
        }
        for (k, v) in fields { s += "  \(k) \(v)" }
        return s
    }

    /// `1h02m`, `3m05s`, `12.3s`.
    public static func formatDuration(_ seconds: Double) -> String {
        if !seconds.isFinite { return "?" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    /// Reports progress; draws when enough time has passed or the job is done.
    public func update(_ done: Int, fields: [(String, String)] = []) {
        let now = clock()
        if done < total, let last = lastDraw, now.timeIntervalSince(last) < minimumInterval { return }
        lastDraw = now
        sink(Self.render(label: label, done: done, total: total, initial: initial, elapsed: now.timeIntervalSince(start), fields: fields))
    }
}
