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
    public struct Instance<S: TensorScalar> {
        public var graph: Graph
        public var initialPoint: Tensor<S>
        public var datasets: [String: Tensor<Double>] = [:]
        public var attributes: [String: HDF5AttributeValue] = [:]
    }

    /// Instance `index` of `split` of a graph-energy group.
    public static func instance<S: TensorScalar>(_: S.Type, group g: ProblemSuite.Group, split: Split, index: Int) throws -> Instance<S> {
        let seed = InstanceSeed.derive(familySeed: g.seed, split: split, index: index)
        func indices(_ a: [Int]) -> Tensor<Double> { Tensor(a.map(Double.init)) }
        switch g.family {
        case .heat:
            let p = try g.heatFamily(S.self).makeInstance(seed: seed)
            var out = Instance(graph: p.graph, initialPoint: p.initialPoint)
            if !p.hotNodes.isEmpty { out.datasets["hot_nodes"] = indices(p.hotNodes) }
            if !p.coldNodes.isEmpty { out.datasets["cold_nodes"] = indices(p.coldNodes) }
            return out
        case .kuramoto:
            let p = try g.kuramotoFamily(S.self).makeInstance(seed: seed)
            var out = Instance(graph: p.graph, initialPoint: p.initialPoint)
            out.attributes["f_star"] = .double(p.referenceOptimum?.value ?? .nan)
            out.attributes["order_parameter_initial"] = .double(p.orderParameter(p.initialPoint))
            return out
        case .hopfKuramoto:
            let p = try g.hopfKuramotoFamily(S.self).makeInstance(seed: seed)
            var out = Instance(graph: p.graph, initialPoint: p.initialPoint)
            out.attributes["order_parameter_initial"] = .double(p.orderParameter(p.initialPoint))
            if let optimum = p.referenceOptimum { out.attributes["f_star"] = .double(optimum.value) }
            return out
        case .lasso, .linearRegression, .logistic, .lassoPatches, .logisticAdult:
            throw SourceError.selection("group \(g.name) is \(g.family.rawValue), not a graph energy (heat, kuramoto, hopf-kuramoto)")
        }
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

    /// The energy formula stored in the `objective` attribute.
    public static func objective(_ family: ProblemSuite.Family) -> String {
        switch family {
        case .heat:
            return "E(w) = 1/2 sum_ij A_ij |w_i - w_j|^2 + lambda sum_Hot (w_i - T_hot)^4 + lambda sum_Cold (w_i - T_cold)^4, sum_ij over ordered pairs"
        case .kuramoto:
            return "E(w) = - sum_ij A_ij cos(w_i - w_j), sum_ij over ordered pairs"
        default:
            return "E(w) = s1 sum_ij A_ij cos(w_i - w_j) + s2 sum_j C_j^2, C_j = sum_k A_jk cos(w_j - w_k) ([NeuralReparam] eq. (7) with ordered pairs and triples; the sine term is 0 for symmetric A)"
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
        guard let spec = g.graphEnergy else { throw SourceError.data("group \(index) (\(g.name)) has no graph: the suite does not describe a graph energy") }
        var root = HDF5Group(attributes: [
            "format": .string("l2o-graph-energy-instances"), "format_version": .integer(1),
            "energy": .string(g.family.rawValue), "suite": .string(s.name), "group": .integer(Int64(index)),
            "family": .string(g.name), "split": .string(split.rawValue), "first_index": .integer(0),
            "count": .integer(Int64(n)), "seed": .integer(Int64(bitPattern: g.seed)), "graph": .string(spec.graph.name),
            "objective": .string(objective(g.family)),
        ])
        switch g.family {
        case .heat:
            root.attributes["lambda"] = .double(spec.heat.lambda)
            root.attributes["t_hot"] = .double(spec.heat.hotTemperature)
            root.attributes["t_cold"] = .double(spec.heat.coldTemperature)
            root.attributes["features"] = .integer(Int64(spec.heat.features))
        case .hopfKuramoto:
            root.attributes["s1"] = .double(spec.s1)
            root.attributes["s2"] = .double(spec.s2)
        default: break
        }
        do {
            for k in 0..<n {
                let inst = try instance(S.self, group: g, split: split, index: k)
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
