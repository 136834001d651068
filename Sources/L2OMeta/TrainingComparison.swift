import Foundation

/// One finished training run of a comparison: an optimizer label, the seed, and its curve.
public struct TrainingRun: Codable, Equatable, Sendable {
    public var label: String
    public var seed: UInt64
    public var history: [EpochRecord]
    public init(label: String, seed: UInt64, history: [EpochRecord]) {
        self.label = label
        self.seed = seed
        self.history = history
    }

    /// Test accuracy after the last epoch.
    public var finalAccuracy: Double { history.last?.testAccuracy ?? .nan }
    /// Best test accuracy over the trained epochs (epoch 0 excluded).
    public var bestAccuracy: Double { history.filter { $0.epoch > 0 }.map(\.testAccuracy).max() ?? .nan }
    /// The first trained epoch whose test accuracy is ≥ `target`, with its cumulative training seconds.
    public func reaching(_ target: Double) -> EpochRecord? { history.first { $0.epoch > 0 && $0.testAccuracy >= target } }
}

/// Tables and plots comparing optimizers trained from the same initialization (`l2o compare-optimizers`).
public enum TrainingComparison {
    /// One row per run: optimizer, seed, final and best test accuracy, epochs and seconds to
    /// reach `target` ("—" when never reached), final training loss and total seconds.
    public static func runTable(_ runs: [TrainingRun], target: Double, evaluation: String = "test") -> MarkdownTable {
        var t = MarkdownTable(header: ["optimizer", "seed", "final \(evaluation) acc.", "best \(evaluation) acc.",
                                       "epochs to \(percent(target))", "seconds to \(percent(target))", "final train loss", "seconds"])
        for r in runs {
            let hit = r.reaching(target)
            t.append([r.label, "\(r.seed)", percent(r.finalAccuracy), percent(r.bestAccuracy),
                      hit.map { "\($0.epoch)" } ?? "—", hit.map { String(format: "%.1f", $0.seconds) } ?? "—",
                      String(format: "%.4f", r.history.last?.trainLoss ?? .nan),
                      String(format: "%.1f", r.history.last?.seconds ?? .nan)])
        }
        return t
    }

    /// One row per optimizer (runs grouped by label, in first-appearance order): mean ± standard
    /// deviation of the final test accuracy over seeds, min–max, mean best accuracy, how many runs
    /// reached `target` and their mean epochs and seconds to it.
    public static func summaryTable(_ runs: [TrainingRun], target: Double, evaluation: String = "test") -> MarkdownTable {
        var t = MarkdownTable(header: ["optimizer", "runs", "final \(evaluation) acc. (mean ± sd)", "final min–max", "best \(evaluation) acc. (mean)",
                                       "reached \(percent(target))", "epochs to \(percent(target)) (mean)", "seconds to \(percent(target)) (mean)"])
        for (label, group) in grouped(runs) {
            let finals = group.map(\.finalAccuracy)
            let mean = finals.reduce(0, +) / Double(finals.count)
            let sd = finals.count > 1 ? (finals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(finals.count - 1)).squareRoot() : 0
            let hits = group.compactMap { $0.reaching(target) }
            t.append([label, "\(group.count)", String(format: "%.2f%% ± %.2f", 100 * mean, 100 * sd),
                      percent(finals.min() ?? .nan) + "–" + percent(finals.max() ?? .nan),
                      percent(group.map(\.bestAccuracy).reduce(0, +) / Double(group.count)),
                      "\(hits.count)/\(group.count)",
                      hits.isEmpty ? "—" : String(format: "%.1f", Double(hits.map(\.epoch).reduce(0, +)) / Double(hits.count)),
                      hits.isEmpty ? "—" : String(format: "%.1f", hits.map(\.seconds).reduce(0, +) / Double(hits.count))])
        }
        return t
    }

    /// Four plots keyed by file stem: `loss-vs-epochs`, `accuracy-vs-epochs`, `loss-vs-seconds`,
    /// `accuracy-vs-seconds`. Each optimizer is its mean curve over runs with a min–max band
    /// (x in seconds: the mean cumulative training seconds at each epoch).
    public static func plots(_ runs: [TrainingRun], title: String, evaluation: String = "test") -> [String: SVGPlot] {
        var out = [String: SVGPlot]()
        for (metric, yLabel) in [("loss", "training loss (epoch mean)"), ("accuracy", "\(evaluation) accuracy")] {
            for (axis, xLabel) in [("epochs", "epoch"), ("seconds", "training seconds")] {
                var plot = SVGPlot(title: "\(title): \(yLabel)", xLabel: xLabel, yLabel: yLabel)
                for (label, group) in grouped(runs) {
                    let length = group.map(\.history.count).min() ?? 0
                    let first = metric == "loss" ? 1 : 0
                    guard length > first else { continue }
                    let idx = Array(first..<length)
                    func values(_ k: Int) -> [Double] {
                        group.map { metric == "loss" ? $0.history[k].trainLoss : $0.history[k].testAccuracy }
                    }
                    let x = idx.map { k in axis == "epochs" ? Double(k)
                        : group.map { $0.history[k].seconds }.reduce(0, +) / Double(group.count) }
                    let y = idx.map { values($0).reduce(0, +) / Double(group.count) }
                    let band = group.count > 1
                    plot.series.append(SVGPlot.Series(label: group.count > 1 ? "\(label) (\(group.count) runs)" : label, x: x, y: y,
                                                      lower: band ? idx.map { values($0).min()! } : nil,
                                                      upper: band ? idx.map { values($0).max()! } : nil))
                }
                out["\(metric)-vs-\(axis)"] = plot
            }
        }
        return out
    }

    static func grouped(_ runs: [TrainingRun]) -> [(String, [TrainingRun])] {
        var order = [String](), groups = [String: [TrainingRun]]()
        for r in runs {
            if groups[r.label] == nil { order.append(r.label) }
            groups[r.label, default: []].append(r)
        }
        return order.map { ($0, groups[$0]!) }
    }

    static func percent(_ v: Double) -> String { v.isFinite ? String(format: "%.2f%%", 100 * v) : "—" }
}
