import ArgumentParser
import Foundation
import L2O

/// `l2o problems generate|list`: problem suites (`Optimizees/*.json`) and instance-set files.
struct ProblemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "problems",
        abstract: "Generate instance sets from problem suites, or list a suite's groups.",
        subcommands: [Generate.self, List.self])

    /// Reads and validates a suite file, turning every failure into a message on stderr.
    static func loadSuite(_ path: String) throws -> ProblemSuite {
        try ProblemSource.cli { try ProblemSources.loadSuite(path) }
    }

    /// `l2o problems list SUITE`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the expanded groups of a suite, one per line.")

        @Argument(help: "The suite JSON file.")
        var suite: String

        func run() throws {
            let s = try ProblemsCommand.loadSuite(suite)
            print("\(s.name): \(s.groups.count) group(s), seed \(s.seed)")
            for (k, g) in s.groups.enumerated() {
                let splits = Split.allCases.compactMap { sp in g.splits[sp].flatMap { $0 > 0 ? "\(sp.rawValue) \($0)" : nil } }
                var line = "  group \(k): \(g.name)  seed \(g.seed)  \(splits.joined(separator: ", "))"
                if g.kind == .graphEnergy { line += "  " + ProblemsCommand.graphSummary(g) }
                print(line)
            }
        }
    }

    /// `l2o problems generate SUITE --out FILE.h5`.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write one group and split of a suite as an HDF5 instance set (with x_star, f_star from FISTA).",
            discussion: """
                The file follows docs/checkpoint-format.md §4 and also carries the attributes suite, group, \
                family, split, first_index and objective. Objective convention: \
                F(x) = (1/n) Σ_i ‖A_i x − b_i‖²/(2N) + λ‖x‖₁ (logistic: the mean log-loss per node). \
                The reference optimum is computed in float64 to the KKT residual given by --tolerance. \
                Graph energies (heat, kuramoto, hopf-kuramoto) are written as format l2o-graph-energy-instances: \
                one group instance_k per instance with edges [m, 2], initial_point, positions and (heat) \
                hot_nodes, cold_nodes; see docs/optimizees.md.
                """)

        @Argument(help: "The suite JSON file (e.g. Optimizees/lasso-10-300-10-0.1.json).")
        var suite: String

        @Option(help: "The HDF5 file to write.")
        var out: String

        @Option(help: "Group index of the suite (required when the suite has several; see 'l2o problems list').")
        var group: Int?

        @Option(help: "train, validation or test (default: the first non-empty split of the group).")
        var split: String?

        @Option(help: "Instances to write (default: all of the split); instances 0..<count.")
        var count: Int?

        @Option(help: "Element type of the file: float32 or float64.")
        var precision: String = "float64"

        @Flag(help: "Skip the FISTA reference optimum (no x_star, f_star).")
        var noReference = false

        @Option(help: "KKT residual the reference solver must reach.")
        var tolerance: Double = 1e-12

        func validate() throws {
            if let split, Split(rawValue: split) == nil {
                throw ValidationError("--split must be train, validation or test, got '\(split)'")
            }
            if !["float32", "float64"].contains(precision) {
                throw ValidationError("--precision must be float32 or float64, got '\(precision)'")
            }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
            if !(tolerance > 0 && tolerance < 1) { throw ValidationError("--tolerance is the KKT residual of the reference optimum: it must be in (0, 1), e.g. 1e-12") }
        }

        func run() throws {
            let s = try ProblemsCommand.loadSuite(suite)
            let index: Int
            if let group {
                guard group >= 0 && group < s.groups.count else {
                    throw InputError("--group \(group) is outside 0..<\(s.groups.count); see 'l2o problems list \(suite)'")
                }
                index = group
            } else {
                guard s.groups.count == 1 else {
                    let names = s.groups.enumerated().map { "  \($0.offset): \($0.element.name)" }.joined(separator: "\n")
                    throw InputError("suite \(s.name) has \(s.groups.count) groups; choose one with --group:\n\(names)")
                }
                index = 0
            }
            let g = s.groups[index]
            let chosen: Split
            if let split {
                chosen = Split(rawValue: split)!
            } else {
                guard let first = Split.allCases.first(where: { (g.splits[$0] ?? 0) > 0 }) else {
                    throw InputError("group \(index) of \(s.name) has no instances")
                }
                chosen = first
            }
            let available = g.splits[chosen] ?? 0
            let n = count ?? available
            guard n >= 1, n <= available else {
                throw InputError("group \(index) (\(g.name)) has \(available) \(chosen.rawValue) instance(s); --count must be 1…\(available)")
            }
            if precision == "float32" {
                try write(Float.self, suite: s, group: g, index: index, split: chosen, count: n)
            } else {
                try write(Double.self, suite: s, group: g, index: index, split: chosen, count: n)
            }
        }

        func progress(_ k: Int, _ n: Int, _ name: String, _ opt: ReferenceOptimum<some TensorScalar>?) {
            var line = "\(name) [\(k)/\(n)]"
            if let opt { line += String(format: "  F* = %.15g  KKT = %.1e  (%d FISTA iterations)", opt.value, opt.kktResidual, opt.iterations) }
            progressLine(line, final: k == n)
        }

        func write<S: TensorScalar>(_: S.Type, suite s: ProblemSuite, group g: ProblemSuite.Group, index: Int, split: Split, count n: Int) throws {
            let solver = FISTA(tolerance: tolerance)
            let label = "\(s.name) group \(index) \(g.name) \(split.rawValue)"
            var batch: ProblemInstanceSet<S>
            func draw<P: Optimizee>(_ instance: (Split, Int) throws -> P, _ solve: (P) throws -> P) throws -> [P] {
                try (0..<n).map { k in
                    var p = try instance(split, k)
                    if !noReference { p = try solve(p) }
                    progress(k + 1, n, label, p.referenceOptimum)
                    return p
                }
            }
            do {
                switch try g.problems(S.self) {
                case .lasso(let instance):
                    batch = try ProblemInstanceSet(draw(instance) { try $0.withReferenceOptimum(solver) })
                case .logistic(let instance):
                    batch = try ProblemInstanceSet(draw(instance) { try $0.withReferenceOptimum(solver) })
                case .graphEnergy:
                    return try writeGraphEnergy(S.self, suite: s, group: g, index: index, split: split, count: n)
                }
            } catch let error as OptimizeeError {
                FileHandle.standardError.write(Data("\n".utf8))
                throw InputError("\(error)")
            } catch let error as DataError {
                FileHandle.standardError.write(Data("\n".utf8))
                throw InputError("\(error)")
            } catch let error as CheckpointError {
                FileHandle.standardError.write(Data("\n".utf8))
                throw InputError("\(error)")
            }
            FileHandle.standardError.write(Data("\n".utf8))
            let url = URL(fileURLWithPath: out)
            do {
                batch.seed = g.seed
                let set = batch
                var root = try set.hdf5Root(file: url.path)
                root.attributes["suite"] = .string(s.name)
                root.attributes["group"] = .integer(Int64(index))
                root.attributes["family"] = .string(g.name)
                root.attributes["split"] = .string(split.rawValue)
                root.attributes["first_index"] = .integer(0)
                root.attributes["objective"] = .string(
                    batch.problem == .lasso
                        ? "F(x) = (1/n) sum_i |A_i x - b_i|^2/(2N) + lambda |x|_1"
                        : "F(x) = (1/n) sum_i (1/N) sum_j [softplus(a_ij.x) - b_ij a_ij.x] + lambda |x|_1")
                try HDF5File.write(root, to: url)
            } catch let error as CheckpointError {
                throw InputError("\(error)")
            }
            FileHandle.standardError.write(Data("wrote \(n) instance(s) of \(g.name) (\(split.rawValue), \(S.dtypeName)) to \(out)\n".utf8))
        }
    }
}

/// A failure of `l2o problems`, printed as `Error: …` by the argument parser.
/// A problem with a file or data the user gave (corrupt, inconsistent, too large): printed as
/// `Error: …` with exit code 1 and without the usage text, which is for mistyped flags.
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
