import Foundation
import L2O

/// `l2o problems` for the graph energies: the size line of `list` and the instance file of
/// `generate` (the format itself: `GraphEnergyInstances` in the library).
extension ProblemsCommand {
    static func graphSummary(_ g: ProblemSuite.Group) -> String { GraphEnergyInstances.summary(g) }
}

extension ProblemsCommand.Generate {
    /// Writes instances `0..<count` of a graph-energy group to `out`, with a progress line.
    func writeGraphEnergy<S: TensorScalar>(_: S.Type, suite s: ProblemSuite, group g: ProblemSuite.Group, index: Int, split: Split, count n: Int) throws {
        let label = "\(s.name) group \(index) \(g.name) \(split.rawValue)"
        try ProblemSource.cli {
            try GraphEnergyInstances.write(S.self, suite: s, group: g, index: index, split: split, count: n, to: URL(fileURLWithPath: out)) { k, n, inst in
                progressLine("\(label) [\(k)/\(n)]  \(inst.graph.nodeCount) nodes, \(inst.graph.edgeCount) edges", final: k == n)
            }
        }
        FileHandle.standardError.write(Data("wrote \(n) instance(s) of \(g.name) (\(split.rawValue), \(S.dtypeName)) to \(out)\n".utf8))
    }
}
