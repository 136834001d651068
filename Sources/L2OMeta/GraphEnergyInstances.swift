import Foundation
import L2OCheckpoint
import L2OCore
import L2OData
import L2OOptimizees

/// Graph-energy instances (heat diffusion, Kuramoto, Hopf–Kuramoto) drawn from a suite group, and
/// their HDF5 instance-file format `l2o-graph-energy-instances` (schema in
/// `docs/checkpoint-format.md`; `l2o problems generate` writes it).
public enum GraphEnergyInstances {
    /// The instance's graph, initial point and energy-specific arrays and attributes.
    public typealias Instance<S: TensorScalar> = GraphEnergyInstance<S>

    /// Instance `index` of `split` of a graph-energy group.
    public static func instance<S: TensorScalar>(_: S.Type, group g: ProblemSuite.Group, split: Split, index: Int) throws -> Instance<S> {
        try maker(S.self, group: g)(split, index)
    }

    /// The instance maker of a graph-energy group.
    static func maker<S: TensorScalar>(_: S.Type, group g: ProblemSuite.Group) throws -> (Split, Int) throws -> Instance<S> {
        guard g.kind == .graphEnergy, case .graphEnergy(let make) = try g.problems(S.self) else {
            throw SourceError.selection("group \(g.name) is \(g.familyKey), not a graph energy (\(graphEnergyKeys))")
        }
        return make
    }

    /// The registered graph-energy families' keys, for messages.
    static var graphEnergyKeys: String {
        SuiteFamilies.keys.filter { SuiteFamilies.named($0)?.kind == .graphEnergy }.joined(separator: ", ")
    }

    /// `graph: N nodes, M edges` of instance 0 of the group's first split (random graphs differ
    /// per instance; the line says so), or why the graph could not be built.
    public static func summary(_ g: ProblemSuite.Group) -> String {
        let split = Split.allCases.first { (g.splits[$0] ?? 0) > 0 } ?? .train
        do {
            let graph = try instance(Double.self, group: g, split: split, index: 0).graph
            let random = g.graphEnergy?.graph.isRandom == true ? " (instance 0 of \(split.rawValue))" : ""
            return "graph: \(graph.nodeCount) nodes, \(graph.edgeCount) edges\(random)"
        } catch {
            return "graph: unavailable (\(error))"
        }
    }

    /// Writes instances `0..<count` of a graph-energy group: root attributes (format
    /// `l2o-graph-energy-instances`, energy, parameters, suite, group, family, split, seed,
    /// objective) and one group `instance_k` per instance with datasets `edges` `[m, 2]` (node
    /// indices, each edge once with i < j), `initial_point` `[n·d]`, `positions` `[n, k]` when the
    /// graph has them, and for heat `hot_nodes`, `cold_nodes`.
    /// `progress(k, n, instance)` is called after each instance.
    public static func write<S: TensorScalar>(_: S.Type, suite s: ProblemSuite, group g: ProblemSuite.Group, index: Int, split: Split, count n: Int,
                                             to url: URL, progress: ((Int, Int, Instance<S>) -> Void)? = nil) throws {
        guard let spec = g.graphEnergy, let family = g.family as? any GraphEnergySuiteFamily.Type else {
            throw SourceError.data("group \(index) (\(g.name)) has no graph: the suite does not describe a graph energy")
        }
        var root = HDF5Group(attributes: [
            "format": .string("l2o-graph-energy-instances"), "format_version": .integer(1),
            "energy": .string(family.key), "suite": .string(s.name), "group": .integer(Int64(index)),
            "family": .string(g.name), "split": .string(split.rawValue), "first_index": .integer(0),
            "count": .integer(Int64(n)), "seed": .integer(Int64(bitPattern: g.seed)), "graph": .string(spec.graph.name),
            "objective": .string(family.objective),
        ])
        root.attributes.merge(family.fileAttributes(spec)) { a, _ in a }
        let make = try maker(S.self, group: g)
        do {
            for k in 0..<n {
                let inst = try make(split, k)
                var node = HDF5Group(attributes: inst.attributes)
                node.attributes["nodes"] = .integer(Int64(inst.graph.nodeCount))
                node.attributes["edges"] = .integer(Int64(inst.graph.edgeCount))
                let edges = Tensor<Double>(shape: [inst.graph.edgeCount, 2], scalars: inst.graph.edges.flatMap { [Double($0.i), Double($0.j)] })
                node.children["edges"] = .dataset(HDF5Dataset(AnyTensor(edges)))
                node.children["initial_point"] = .dataset(HDF5Dataset(AnyTensor(inst.initialPoint)))
                if let positions = inst.graph.positions { node.children["positions"] = .dataset(HDF5Dataset(AnyTensor(positions.cast(to: S.self)))) }
                for (name, t) in inst.datasets { node.children[name] = .dataset(HDF5Dataset(AnyTensor(t))) }
                root.children["instance_\(k)"] = .group(node)
                progress?(k + 1, n, inst)
            }
            try HDF5File.write(root, to: url)
        } catch let error as CheckpointError {
            throw SourceError.data("\(error)")
        }
    }
}
