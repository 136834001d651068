import Foundation
import L2OCheckpoint
import L2OCore
import L2OData
import L2OOptimizees

/// Why problems or methods named by the user (a suite, an instance file, `milodo:PATH`) could not
/// be loaded.
public enum SourceError: Error, Equatable, CustomStringConvertible {
    /// What was asked for does not exist or does not fit (a group, split or family of a suite; a
    /// command that needs LASSO given logistic problems) — the caller's choice of options.
    case selection(String)
    /// A file or dataset could not be read or holds invalid data.
    case data(String)

    public var description: String {
        switch self {
        case .selection(let m), .data(let m): return m
        }
    }
}

/// Problems for a run, from a suite JSON (`Optimizees/*.json`, instances generated from seeds) or
/// an instance-set HDF5 file (`l2o problems generate`, or written by h5py): LASSO and logistic
/// regression, with reference optima, as `Optimizee`s or as evaluation instances. Errors are
/// `SourceError`s that name the file, group or family.

public enum ProblemSources {
    /// LASSO instances of `split` (`count` of them, or all), with reference optima when `optimum`
    /// (read from the file when present, else computed by FISTA in Double).
    public static func lasso<S: TensorScalar>(_ path: String, split: Split, count: Int?, optimum: Bool, group: Int = 0,
                                       as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil, reference: ReferenceProgress? = nil) throws -> [LASSO<S>] {
        if isInstanceSet(path) {
            var all = try instanceSet(path, problem: .lasso).lassoInstances()
            if let count { all = Array(all.prefix(count)) }
            var out = [LASSO<S>]()
            for (k, p) in all.enumerated() {
                var q = p
                if optimum && q.referenceOptimum == nil { q = try q.withReferenceOptimum(referenceSolver(k + 1, all.count, reference)) }
                out.append(q.cast(to: S.self))
                progress?(k + 1, all.count)
            }
            return out
        }
        let (suite, g) = try suiteGroup(path, group)
        guard g.kind == .lasso else {
            throw SourceError.selection("suite \(suite.name) group \(group) is \(g.familyKey); this command needs LASSO problems (\(familyKeys(.lasso)))")
        }
        guard case .lasso(let instance) = try loading({ try g.problems(Double.self) }) else { throw SourceError.data("\(g.familyKey) did not make LASSO problems") }
        let make = { try instance(split, $0) }
        let available = g.splits[split] ?? 0
        let n = min(count ?? available, available)
        guard n > 0 else { throw SourceError.selection("suite \(suite.name) group \(group) has no \(split.rawValue) instances") }
        try g.checkMemory(instances: n, what: "\(path), group \(group)")
        return try (0..<n).map { k in
            var p = try make(k)
            if optimum { p = try p.withReferenceOptimum(referenceSolver(k + 1, n, reference)) }
            progress?(k + 1, n)
            return p.cast(to: S.self)
        }
    }
}

extension ProblemSources {
    /// The reference solver for instance `k` of `n`, reporting its iteration and KKT residual to
    /// `report` (so that long solves on large problems can be shown).
    public static func referenceSolver(_ k: Int, _ n: Int, _ report: ReferenceProgress?) -> FISTA {
        var solver = FISTA()
        if let report {
            let tolerance = solver.tolerance
            solver.progress = { iteration, kkt in report(k, n, iteration, kkt, tolerance) }
        }
        return solver
    }

    /// Group `index` of the suite at `path`.
    public static func suiteGroup(_ path: String, _ index: Int) throws -> (suite: ProblemSuite, group: ProblemSuite.Group) {
        let suite = try loadSuite(path)
        guard index >= 0 && index < suite.groups.count else {
            throw SourceError.selection("suite \(suite.name) has \(suite.groups.count) group(s); --group \(index) does not exist")
        }
        return (suite, suite.groups[index])
    }

    /// Whether `path` names an instance-set HDF5 file rather than a suite JSON.
    public static func isInstanceSet(_ path: String) -> Bool { path.hasSuffix(".h5") || path.hasSuffix(".hdf5") }

    /// The instances of an instance-set file (of kind `problem` when given, else of either kind).
    public static func instanceSet(_ path: String, problem: ProblemInstanceSet<Double>.Problem?) throws -> ProblemInstanceSet<Double> {
        do { return try ProblemInstanceSet<Double>.read(from: URL(fileURLWithPath: path), problem: problem) } catch {
            throw SourceError.data("\(error)")
        }
    }

    /// Logistic-regression instances of `split` (`count` of them, or all) from a `logistic` or
    /// `logistic-adult` suite group or a logistic instance-set file, with reference optima when
    /// `optimum` (read from the file when present, else computed by FISTA in Double, as
    /// `l2o problems generate` does). The Adult family needs the data `make deps` fetches.
    public static func logistic<S: TensorScalar>(_ path: String, split: Split, count: Int?, optimum: Bool, group: Int = 0,
                                          as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil, reference: ReferenceProgress? = nil) throws -> [LogisticRegression<S>] {
        let available: Int, make: (Int) throws -> LogisticRegression<Double>
        if isInstanceSet(path) {
            let all = try instanceSet(path, problem: .logistic).logisticInstances()
            available = all.count
            make = { all[$0] }
        } else {
            let (suite, g) = try suiteGroup(path, group)
            guard g.kind == .logistic else {
                throw SourceError.selection("suite \(suite.name) group \(group) is \(g.familyKey); this command needs logistic-regression problems (\(familyKeys(.logistic)))")
            }
            guard case .logistic(let instance) = try loading({ try g.problems(Double.self) }) else {
                throw SourceError.data("\(g.familyKey) did not make logistic-regression problems")
            }
            make = { try instance(split, $0) }
            available = g.splits[split] ?? 0
            guard available > 0 else { throw SourceError.selection("suite \(suite.name) group \(group) has no \(split.rawValue) instances") }
            try g.checkMemory(instances: min(count ?? available, available), what: "\(path), group \(group)")
        }
        let n = min(count ?? available, available)
        return try (0..<n).map { k in
            var p = try make(k)
            if optimum && p.referenceOptimum == nil { p = try loading { try p.withReferenceOptimum(referenceSolver(k + 1, n, reference)) } }
            progress?(k + 1, n)
            return p.cast(to: S.self)
        }
    }

    /// The decentralized problems of a suite group or instance-set file as evaluation instances named
    /// `prefix-k`, for `l2o evaluate` and `l2o tune`: LASSO (`lasso`, `linear-regression`,
    /// `lasso-patches`) or logistic regression (`logistic`, `logistic-adult`), each with its reference
    /// optimum. `name` describes the problem for report titles, e.g. `Logistic(10,105,100,0.01)`.
    public static func evaluation<S: TensorScalar>(_ path: String, split: Split, count: Int?, group: Int = 0, prefix: String,
                                            as _: S.Type = S.self, progress: ((Int, Int) -> Void)? = nil, reference: ReferenceProgress? = nil
    ) throws -> (name: String, instances: [EvaluationInstance<S>]) {
        let names = { (n: Int) in (0..<n).map { "\(prefix)-\($0)" } }
        if try isLogistic(path, group: group) {
            let ps: [LogisticRegression<S>] = try logistic(path, split: split, count: count, optimum: true, group: group, progress: progress, reference: reference)
            guard let p = ps.first else { throw SourceError.selection("\(path) gives no \(split.rawValue) instances (count \(count.map(String.init) ?? "all"))") }
            return ("Logistic(\(p.nodes),\(p.dimension),\(p.samplesPerNode),\(p.lambda))", try evaluationInstances(ps, names: names(ps.count)))
        }
        let ps: [LASSO<S>] = try lasso(path, split: split, count: count, optimum: true, group: group, progress: progress, reference: reference)
        guard let p = ps.first else { throw SourceError.selection("\(path) gives no \(split.rawValue) instances (count \(count.map(String.init) ?? "all"))") }
        return ("LASSO(\(p.nodes),\(p.dimension),\(p.samplesPerNode),\(p.lambda))", try evaluationInstances(ps, names: names(ps.count)))
    }

    /// Whether the file or suite group holds logistic-regression problems. Graph-energy groups are
    /// rejected here with what to use instead.
    public static func isLogistic(_ path: String, group: Int) throws -> Bool {
        if isInstanceSet(path) {
            let file: HDF5Group
            do { file = try HDF5File.read(from: URL(fileURLWithPath: path)) } catch { throw SourceError.data("\(error)") }
            return file.attributes["problem"]?.stringValue == ProblemInstanceSet<Double>.Problem.logistic.rawValue
        }
        let (suite, g) = try suiteGroup(path, group)
        switch g.kind {
        case .graphEnergy:
            throw SourceError.selection("suite \(suite.name) group \(group) is the graph energy \(g.familyKey), which has no decentralized node oracles; this command runs LASSO and logistic-regression problems (graph energies: `l2o bench graph-energy`)")
        case .logistic: return true
        case .lasso: return false
        }
    }

    /// The registered families of a kind, for messages.
    static func familyKeys(_ kind: SuiteProblemKind) -> String {
        SuiteFamilies.keys.filter { SuiteFamilies.named($0)?.kind == kind }.joined(separator: ", ")
    }
}

extension ProblemSources {
    /// Called while a reference optimum is computed: instance k of n (1-based), FISTA's iteration
    /// and KKT residual, and its tolerance.
    public typealias ReferenceProgress = (_ instance: Int, _ count: Int, _ iteration: Int, _ kkt: Double, _ tolerance: Double) -> Void

    /// The suite JSON at `path`.
    public static func loadSuite(_ path: String) throws -> ProblemSuite {
        guard let data = FileManager.default.contents(atPath: URL(fileURLWithPath: path).path) else {
            throw SourceError.data("cannot read suite \(path); pass a JSON file such as Optimizees/lasso-10-300-10-0.1.json")
        }
        do {
            return try ProblemSuite(json: data, source: path)
        } catch let error as OptimizeeError {
            throw SourceError.data("\(error)")
        }
    }

    /// Runs `body`, turning data and family errors into `SourceError.data`.
    public static func loading<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DataError {
            throw SourceError.data("\(error)")
        } catch let error as OptimizeeError {
            throw SourceError.data("\(error)")
        }
    }

    /// Evaluation instances for LASSO problems (F in Double, F* from the reference optimum).
    public static func evaluationInstances<S: TensorScalar>(_ problems: [LASSO<S>], names: [String]) throws -> [EvaluationInstance<S>] {
        try evaluationInstances(problems, names: names) { $0.cast(to: Double.self) }
    }

    /// Evaluation instances for logistic-regression problems (F in Double, F* from the reference optimum).
    public static func evaluationInstances<S: TensorScalar>(_ problems: [LogisticRegression<S>], names: [String]) throws -> [EvaluationInstance<S>] {
        try evaluationInstances(problems, names: names) { $0.cast(to: Double.self) }
    }

    /// `EvaluationInstance(name:problem:reference:)` for each problem, with `reference` its Double copy.
    public static func evaluationInstances<P: Optimizee, D: Optimizee>(_ problems: [P], names: [String], reference: (P) -> D) throws
        -> [EvaluationInstance<P.Scalar>] where D.Scalar == Double {
        try zip(problems, names).map { p, name in
            do { return try EvaluationInstance(name: name, problem: p, reference: reference(p)) } catch let error as OptimizeeError {
                throw SourceError.data("\(error)")
            }
        }
    }
}
