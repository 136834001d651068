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
        if path.hasSuffix(".h5") || path.hasSuffix(".hdf5") {
            let set: ProblemInstanceSet<Double>
            do { set = try ProblemInstanceSet<Double>.read(from: URL(fileURLWithPath: path), problem: .lasso) } catch {
                throw ValidationError("\(error)")
            }
            let batch = try InstanceBatch<Double>(problem: .lasso, lambda: set.lambda, A: set.A, b: set.b, xStar: set.xStar, fStar: set.fStar)
            var all = try batch.lassoInstances()
            if let count { all = Array(all.prefix(count)) }
            var out = [LASSO<S>]()
            for (k, p) in all.enumerated() {
                var q = p
                if optimum && q.referenceOptimum == nil { q = try q.withReferenceOptimum() }
                out.append(q.cast(to: S.self))
                progress?(k + 1, all.count)
            }
            return out
        }
        let suite = try ProblemsCommand.loadSuite(path)
        guard group < suite.groups.count else { throw ValidationError("suite \(suite.name) has \(suite.groups.count) group(s); --group \(group) does not exist") }
        let g = suite.groups[group]
        let make: (Int) -> LASSO<Double>
        switch g.family {
        case .lasso, .linearRegression:
            let family = try g.lassoFamily(Double.self)
            make = { family.instance(split, index: $0) }
        case .lassoPatches:
            let family = try RealData.patchFamily(g, Double.self)
            make = { family.instance(split, index: $0) }
        case .logistic, .logisticAdult, .heat, .kuramoto, .hopfKuramoto:
            throw ValidationError("suite \(suite.name) group \(group) is \(g.family.rawValue); this command needs LASSO problems")
        }
        let available = g.splits[split] ?? 0
        let n = min(count ?? available, available)
        guard n > 0 else { throw ValidationError("suite \(suite.name) group \(group) has no \(split.rawValue) instances") }
        return try (0..<n).map { k in
            var p = make(k)
            if optimum { p = try p.withReferenceOptimum() }
            progress?(k + 1, n)
            return p.cast(to: S.self)
        }
    }
}

/// Writes a progress line to stderr, overwriting the previous one.
func progressLine(_ s: String, final: Bool = false) {
    FileHandle.standardError.write(Data(("\r\u{1B}[K" + s + (final ? "\n" : "")).utf8))
}

/// Parses a topology name for `n` nodes.
func makeTopology(_ name: String, nodes: Int, seed: UInt64) throws -> Topology {
    do { return try Topology.named(name, nodeCount: nodes, seed: seed) } catch { throw ValidationError("\(error)") }
}
