import ArgumentParser
import Foundation
import L2O

/// The command line's face of `ProblemSources` (the library loads the problems): a choice that
/// does not fit becomes a usage error (`ValidationError`, exit 64 with usage), an unreadable file
/// or dataset a data error (`InputError`, exit 1), and reference solves show on the progress line.
enum ProblemSource {
    /// Runs `body`, mapping `SourceError` to the command line's two kinds of errors.
    static func cli<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as SourceError {
            switch error {
            case .selection(let m): throw ValidationError(m)
            case .data(let m): throw InputError(m)
            }
        }
    }

    /// FISTA's iteration and KKT residual on the progress line, at most twice a second.
    static var referenceProgress: ProblemSources.ReferenceProgress {
        let throttle = Throttle(interval: 0.5)
        return { k, n, iteration, kkt, tolerance in
            if throttle.due() {
                progressLine("  instance \(k)/\(n): reference optimum by FISTA, iteration \(iteration), KKT residual \(String(format: "%.1e", kkt)) (target \(String(format: "%.0e", tolerance)))")
            }
        }
    }

    static func lasso<S: TensorScalar>(_ path: String, split: Split, count: Int?, optimum: Bool, group: Int = 0,
                                       as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil) throws -> [LASSO<S>] {
        try cli { try ProblemSources.lasso(path, split: split, count: count, optimum: optimum, group: group, progress: progress, reference: referenceProgress) }
    }

    static func logistic<S: TensorScalar>(_ path: String, split: Split, count: Int?, optimum: Bool, group: Int = 0,
                                          as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil) throws -> [LogisticRegression<S>] {
        try cli { try ProblemSources.logistic(path, split: split, count: count, optimum: optimum, group: group, progress: progress, reference: referenceProgress) }
    }

    static func evaluation<S: TensorScalar>(_ path: String, split: Split, count: Int?, group: Int = 0, prefix: String,
                                            as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil
    ) throws -> (name: String, instances: [EvaluationInstance<S>]) {
        try cli { try ProblemSources.evaluation(path, split: split, count: count, group: group, prefix: prefix, progress: progress, reference: referenceProgress) }
    }
}

/// True at most once per `interval` seconds (thread-safe).
final class Throttle: @unchecked Sendable {
    private let interval: TimeInterval
    private var last = Date.distantPast
    private let lock = NSLock()
    init(interval: TimeInterval) { self.interval = interval }
    func due() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= interval else { return false }
        last = now
        return true
    }
}

/// Whether stderr is a terminal (progress redraws in place) or a file or pipe (plain lines).
let stderrIsTerminal = isatty(STDERR_FILENO) == 1
/// Plain progress lines (stderr not a terminal) are written at most this often.
let plainProgressInterval: TimeInterval = 5
private let plainProgressThrottle = Throttle(interval: plainProgressInterval)

/// Shows a progress line on stderr. On a terminal it overwrites the previous one (an empty line
/// clears it); when stderr is a file or a pipe (CI logs, `make demo > log`) it prints a plain
/// line at most every `plainProgressInterval` seconds, with no escape codes, and skips clears.
func progressLine(_ s: String, final: Bool = false) {
    if stderrIsTerminal {
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + s + (final ? "\n" : "")).utf8))
    } else if !s.isEmpty && (final || plainProgressThrottle.due()) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}

/// Parses a topology name for `n` nodes.
func makeTopology(_ name: String, nodes: Int, seed: UInt64) throws -> Topology {
    do { return try Topology.named(name, nodeCount: nodes, seed: seed) } catch { throw ValidationError("\(error)") }
}
