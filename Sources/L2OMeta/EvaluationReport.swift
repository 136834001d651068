import Foundation

/// Tables and plots of an evaluation: every method on every instance.
public struct EvaluationReport: Sendable, Codable {
    public var title: String
    public var settings: EvaluationSettings
    public var traces: [EvaluationTrace]

    public init(title: String, settings: EvaluationSettings, traces: [EvaluationTrace]) {
        self.title = title
        self.settings = settings
        self.traces = traces
    }

    /// Methods in order of first appearance.
    public var methods: [String] {
        var seen = [String]()
        for t in traces where !seen.contains(t.method) { seen.append(t.method) }
        return seen
    }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }

    /// Iterations (and seconds) to each tolerance: median over the instances that reached it,
    /// with the count that did.
    public func markdownTable() -> String {
        var header = ["method", "step γ"]
        for tol in settings.tolerances { header.append("iters to \(formatNumber(tol))") }
        for tol in settings.tolerances { header.append("s to \(formatNumber(tol))") }
        var table = MarkdownTable(header: header)
        for m in methods {
            let ts = traces.filter { $0.method == m }
            var row = [m, formatNumber(ts.first?.stepSize ?? .nan)]
            for k in settings.tolerances.indices {
                let hits = ts.compactMap { $0.hitIterations[k] }.map(Double.init)
                row.append(hits.isEmpty ? "not reached" : formatIterationCount(Self.median(hits)) + (hits.count < ts.count ? " (\(hits.count)/\(ts.count))" : ""))
            }
            for k in settings.tolerances.indices {
                let hits = ts.compactMap { $0.hitSeconds[k] }
                row.append(hits.isEmpty ? "—" : formatNumber(Self.median(hits)) + (hits.count < ts.count ? " (\(hits.count)/\(ts.count))" : ""))
            }
            table.append(row)
        }
        let instances = Set(traces.map(\.instance)).count
        var out = "## \(title)\n\n\(settings.iterations) iterations on \(instances) instance(s); each cell is the median over the instances that reached the tolerance, with (k/\(instances)) when only k did; relative gap `(F(x̄) − F*)/|F*|`"
        if settings.checkInterval > 1 {
            out += ", checked every \(settings.checkInterval) iterations (a hit is the first check at or below the tolerance)"
        }
        out += "; seconds are step time only.\n\n"
        out += table.render()
        let guarded = traces.filter { $0.safeguard != nil }
        if !guarded.isEmpty {
            let fired = guarded.filter { ($0.safeguard?.firings ?? 0) > 0 }
            out += "\nSafeguard (fallback to Exact Diffusion's step when the learned steps stop reducing the fixed-point residual): "
            if fired.isEmpty {
                out += "never fired in \(guarded.count) run(s).\n"
            } else {
                out += "fired in \(fired.count) of \(guarded.count) run(s): "
                    + fired.map { "\($0.method) on \($0.instance) \($0.safeguard!.summary)" }.joined(separator: "; ") + ".\n"
            }
        }
        let div = traces.filter(\.diverged)
        if !div.isEmpty {
            out += "\nDiverged (non-finite objective; the run stopped there, the others continued): "
                + div.map { "\($0.method) on \($0.instance) at iteration \($0.points.last?.iteration ?? 0)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    /// Long-format CSV of every logged point.
    public func csv() -> String {
        var c = CSVTable(header: ["method", "instance", "step_size", "iteration", "seconds", "gap", "relative_gap", "consensus_error"])
        for t in traces {
            for p in t.points {
                c.append([t.method, t.instance, "\(t.stepSize)", "\(p.iteration)", "\(p.seconds)", "\(p.gap)", "\(p.relativeGap)", "\(p.consensusError)"])
            }
        }
        return c.render()
    }

    /// One series per method: median over instances with a min–max band, against iterations or seconds.
    public func plot(metric: KeyPath<EvaluationTrace.Point, Double>, yLabel: String, againstSeconds: Bool) -> SVGPlot {
        var plot = SVGPlot(title: title, xLabel: againstSeconds ? "seconds" : "iteration", yLabel: yLabel,
                           xScale: .log, yScale: .log)
        for m in methods {
            let ts = traces.filter { $0.method == m }
            let iters = Array(Set(ts.flatMap { $0.points.map(\.iteration) })).sorted()
            var xs = [Double](), mid = [Double](), lo = [Double](), hi = [Double]()
            for k in iters {
                let pts = ts.compactMap { t in t.points.first { $0.iteration == k } }
                guard pts.count == ts.count else { continue }
                let v = pts.map { $0[keyPath: metric] }
                xs.append(againstSeconds ? Self.median(pts.map(\.seconds)) : Double(max(k, 1)))
                mid.append(Self.median(v)); lo.append(v.min()!); hi.append(v.max()!)
            }
            plot.series.append(.init(label: m, x: xs, y: mid, lower: ts.count > 1 ? lo : nil, upper: ts.count > 1 ? hi : nil))
        }
        return plot
    }

    /// Writes `report.md`, `trace.csv`, `report.json` and three SVG plots into `folder`.
    public func write(to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var files = [(String, Data)]()
        files.append(("report.md", Data(markdownTable().utf8)))
        files.append(("trace.csv", Data(csv().utf8)))
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        files.append(("report.json", try enc.encode(self)))
        files.append(("gap-vs-iteration.svg", Data(plot(metric: \.relativeGap, yLabel: "relative gap (F(x̄) − F*)/|F*|", againstSeconds: false).render().utf8)))
        files.append(("gap-vs-seconds.svg", Data(plot(metric: \.relativeGap, yLabel: "relative gap (F(x̄) − F*)/|F*|", againstSeconds: true).render().utf8)))
        files.append(("consensus-vs-iteration.svg", Data(plot(metric: \.consensusError, yLabel: "consensus error (1/n)Σ‖x_i − x̄‖²", againstSeconds: false).render().utf8)))
        var urls = [URL]()
        for (name, data) in files {
            let u = folder.appendingPathComponent(name)
            try data.write(to: u, options: .atomic)
            urls.append(u)
        }
        return urls
    }
}
