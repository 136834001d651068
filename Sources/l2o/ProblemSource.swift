import ArgumentParser
import Foundation
import L2O

/// Problems for a command: a suite JSON (`Optimizees/*.json`, instances generated from seeds)
/// or an instance-set HDF5 file (`l2o problems generate`, or written by h5py).
enum ProblemSource {
    /// LASSO instances of `split` (`count` of them, or all), with reference optima when `optimum`
    /// (read from the file when present, else computed by FISTA in Double).
    static func lasso<S: TensorScalar>(_ path: String, split: Split, count: Int?, optimum: Bool, group: Int = 0,
                                       as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil) throws -> [LASSO<S>] {
        if isInstanceSet(path) {
            var all = try instanceBatch(path, problem: .lasso).lassoInstances()
            if let count { all = Array(all.prefix(count)) }
            var out = [LASSO<S>]()
            for (k, p) in all.enumerated() {
                var q = p
                if optimum && q.referenceOptimum == nil { q = try q.withReferenceOptimum(referenceSolver(k + 1, all.count)) }
                out.append(q.cast(to: S.self))
                progress?(k + 1, all.count)
            }
            return out
        }
        let (suite, g) = try suiteGroup(path, group)
        let make: (Int) throws -> LASSO<Double>
        switch g.family {
        case .lasso, .linearRegression:
            let family = try g.lassoFamily(Double.self)
            make = { try family.instance(split, index: $0) }
        case .lassoPatches:
            let family = try RealData.patchFamily(g, Double.self)
            make = { try family.instance(split, index: $0) }
        case .logistic, .logisticAdult, .heat, .kuramoto, .hopfKuramoto:
            throw ValidationError("suite \(suite.name) group \(group) is \(g.family.rawValue); this command needs LASSO problems")
        }
        let available = g.splits[split] ?? 0
        let n = min(count ?? available, available)
        guard n > 0 else { throw ValidationError("suite \(suite.name) group \(group) has no \(split.rawValue) instances") }
        try g.checkMemory(instances: n, what: "\(path), group \(group)")
        return try (0..<n).map { k in
            var p = try make(k)
            if optimum { p = try p.withReferenceOptimum(referenceSolver(k + 1, n)) }
            progress?(k + 1, n)
            return p.cast(to: S.self)
        }
    }
}

extension ProblemSource {
    /// The reference solver for instance `k` of `n`, showing its iteration and KKT residual on the
    /// progress line (at most twice a second) so that long solves on large problems are visible.
    static func referenceSolver(_ k: Int, _ n: Int) -> FISTA {
        var solver = FISTA()
        let throttle = Throttle(interval: 0.5), target = String(format: "%.0e", solver.tolerance)
        solver.progress = { iteration, kkt in
            if throttle.due() {
                progressLine("  instance \(k)/\(n): reference optimum by FISTA, iteration \(iteration), KKT residual \(String(format: "%.1e", kkt)) (target \(target))")
            }
        }
        return solver
    }

    /// Group `index` of the suite at `path`.
    static func suiteGroup(_ path: String, _ index: Int) throws -> (suite: ProblemSuite, group: ProblemSuite.Group) {
        let suite = try ProblemsCommand.loadSuite(path)
        guard index >= 0 && index < suite.groups.count else {
            throw ValidationError("suite \(suite.name) has \(suite.groups.count) group(s); --group \(index) does not exist")
        }
        return (suite, suite.groups[index])
    }

    /// Whether `path` names an instance-set HDF5 file rather than a suite JSON.
    static func isInstanceSet(_ path: String) -> Bool { path.hasSuffix(".h5") || path.hasSuffix(".hdf5") }

    /// The instances of an instance-set file (of kind `problem` when given, else of either kind).
    static func instanceBatch(_ path: String, problem: ProblemInstanceSet<Double>.Problem?) throws -> InstanceBatch<Double> {
        let set: ProblemInstanceSet<Double>
        do { set = try ProblemInstanceSet<Double>.read(from: URL(fileURLWithPath: path), problem: problem) } catch {
            throw InputError("\(error)")
        }
        return try InstanceBatch<Double>(problem: set.problem == .lasso ? .lasso : .logistic, lambda: set.lambda,
                                         A: set.A, b: set.b, xStar: set.xStar, fStar: set.fStar)
    }

    /// Logistic-regression instances of `split` (`count` of them, or all) from a `logistic` or
    /// `logistic-adult` suite group or a logistic instance-set file, with reference optima when
    /// `optimum` (read from the file when present, else computed by FISTA in Double, as
    /// `l2o problems generate` does). The Adult family needs the data `make deps` fetches.
    static func logistic<S: TensorScalar>(_ path: String, split: Split, count: Int?, optimum: Bool, group: Int = 0,
                                          as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil) throws -> [LogisticRegression<S>] {
        let available: Int, make: (Int) throws -> LogisticRegression<Double>
        if isInstanceSet(path) {
            let all = try instanceBatch(path, problem: .logistic).logisticInstances()
            available = all.count
            make = { all[$0] }
        } else {
            let (suite, g) = try suiteGroup(path, group)
            switch g.family {
            case .logistic:
                let family = try RealData.loading { try g.logisticFamily(Double.self) }
                make = { try family.instance(split, index: $0) }
            case .logisticAdult:
                let family = try RealData.adultFamily(g, Double.self)
                make = { try family.instance(split, index: $0) }
            case .lasso, .linearRegression, .lassoPatches, .heat, .kuramoto, .hopfKuramoto:
                throw ValidationError("suite \(suite.name) group \(group) is \(g.family.rawValue); this command needs logistic-regression problems")
            }
            available = g.splits[split] ?? 0
            guard available > 0 else { throw ValidationError("suite \(suite.name) group \(group) has no \(split.rawValue) instances") }
            try g.checkMemory(instances: min(count ?? available, available), what: "\(path), group \(group)")
        }
        let n = min(count ?? available, available)
        return try (0..<n).map { k in
            var p = try make(k)
            if optimum && p.referenceOptimum == nil { p = try RealData.loading { try p.withReferenceOptimum(referenceSolver(k + 1, n)) } }
            progress?(k + 1, n)
            return p.cast(to: S.self)
        }
    }

    /// The decentralized problems of a suite group or instance-set file as evaluation instances named
    /// `prefix-k`, for `l2o evaluate` and `l2o tune`: LASSO (`lasso`, `linear-regression`,
    /// `lasso-patches`) or logistic regression (`logistic`, `logistic-adult`), each with its reference
    /// optimum. `name` describes the problem for report titles, e.g. `Logistic(10,105,100,0.01)`.
    static func evaluation<S: TensorScalar>(_ path: String, split: Split, count: Int?, group: Int = 0, prefix: String,
                                            as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil
    ) throws -> (name: String, instances: [EvaluationInstance<S>]) {
        let names = { (n: Int) in (0..<n).map { "\(prefix)-\($0)" } }
        if try isLogistic(path, group: group) {
            let ps: [LogisticRegression<S>] = try logistic(path, split: split, count: count, optimum: true, group: group, progress: progress)
            let p = ps[0]
            return ("Logistic(\(p.nodes),\(p.dimension),\(p.samplesPerNode),\(p.lambda))", try evaluationInstances(ps, names: names(ps.count)))
        }
        let ps: [LASSO<S>] = try lasso(path, split: split, count: count, optimum: true, group: group, progress: progress)
        let p = ps[0]
        return ("LASSO(\(p.nodes),\(p.dimension),\(p.samplesPerNode),\(p.lambda))", try evaluationInstances(ps, names: names(ps.count)))
    }

    /// Whether the file or suite group holds logistic-regression problems. Graph-energy groups are
    /// rejected here with what to use instead.
    static func isLogistic(_ path: String, group: Int) throws -> Bool {
        if isInstanceSet(path) {
            let file: HDF5Group
            do { file = try HDF5File.read(from: URL(fileURLWithPath: path)) } catch { throw InputError("\(error)") }
            return file.attributes["problem"]?.stringValue == ProblemInstanceSet<Double>.Problem.logistic.rawValue
        }
        let (suite, g) = try suiteGroup(path, group)
        let family = g.family
        if family.isGraphEnergy {
            throw ValidationError("suite \(suite.name) group \(group) is the graph energy \(family.rawValue), which has no decentralized node oracles; this command runs LASSO and logistic-regression problems (graph energies: `l2o bench graph-energy`)")
        }
        return family == .logistic || family == .logisticAdult
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
