import L2OCheckpoint
import L2OCore
import L2OData

// The suite families every build knows (`SuiteFamilies.builtIn`), one definition each: the group
// keys it reads, its name and its instances. Formats in `docs/optimizees.md`.

/// `lasso`: LASSO(n, d, N, λ) of [MiLoDo] App. E.1 (`LASSOFamily`).
public enum LassoSuiteFamily: SuiteFamily {
    public static let key = "lasso"
    public static let kind = SuiteProblemKind.lasso

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        try reader.decentralizedGroups(raw, path: path, family: self, defaultSeed: defaultSeed)
    }

    public static func name(_ g: ProblemSuite.Group) -> String { (try? g.lassoFamily(Double.self).name) ?? key }

    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try g.lassoFamily(S.self)
        return .lasso { try family.instance($0, index: $1) }
    }
}

/// `linear-regression`: LASSO with λ = 0 (`lambda` omitted or 0).
public enum LinearRegressionSuiteFamily: SuiteFamily {
    public static let key = "linear-regression"
    public static let kind = SuiteProblemKind.lasso

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        try reader.decentralizedGroups(raw, path: path, family: self, lambda: .zero, defaultSeed: defaultSeed)
    }

    public static func name(_ g: ProblemSuite.Group) -> String { LassoSuiteFamily.name(g) }

    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        try LassoSuiteFamily.problems(g, as: S.self)
    }
}

/// `logistic`: Logistic(n, d, N, λ) of [MiLoDo] App. E.2 (`LogisticFamily`).
public enum LogisticSuiteFamily: SuiteFamily {
    public static let key = "logistic"
    public static let kind = SuiteProblemKind.logistic

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        try reader.decentralizedGroups(raw, path: path, family: self, defaultSeed: defaultSeed)
    }

    public static func name(_ g: ProblemSuite.Group) -> String { (try? g.logisticFamily(Double.self).name) ?? key }

    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try g.logisticFamily(S.self)
        return .logistic { try family.instance($0, index: $1) }
    }
}

/// `lasso-patches`: sparse coding of natural-image patches (`PatchLASSOFamily`, `dimension` the
/// atom count) over `NaturalImages` (`make data` fetches them into `Data/`, or set `L2O_DATA_DIR`).
public enum PatchLASSOSuiteFamily: SuiteFamily {
    public static let key = "lasso-patches"
    public static let kind = SuiteProblemKind.lasso

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        try reader.decentralizedGroups(raw, path: path, family: self, defaultSeed: defaultSeed)
    }

    public static func name(_ g: ProblemSuite.Group) -> String {
        "PatchLASSO(\(g.nodes),\(g.dimension),\(g.samplesPerNode),\(formatLambda(g.lambda)))"
    }

    /// Reads the images (`DataError` when they are missing).
    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try g.patchLASSOFamily(S.self, dictionaryImages: NaturalImages.load(NaturalImages.dictionaryImages),
                                            targetImages: NaturalImages.load(NaturalImages.targetImages))
        return .lasso { try family.instance($0, index: $1) }
    }
}

/// `logistic-adult`: logistic regression on UCI Adult (`AdultLogisticFamily`; `dimension` is the
/// 105 features of the encoding and may be omitted).
public enum AdultLogisticSuiteFamily: SuiteFamily {
    public static let key = "logistic-adult"
    public static let kind = SuiteProblemKind.logistic

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        try reader.decentralizedGroups(raw, path: path, family: self,
                                       dimension: .fixed(Adult.featureCount, reason: "the \(Adult.featureCount) features of the Adult encoding"),
                                       defaultSeed: defaultSeed)
    }

    public static func name(_ g: ProblemSuite.Group) -> String {
        "LogisticAdult(\(g.nodes),\(g.dimension),\(g.samplesPerNode),\(formatLambda(g.lambda)))"
    }

    /// Reads the Adult data (`DataError` when it is missing).
    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try g.adultLogisticFamily(S.self, data: Adult.load())
        return .logistic { try family.instance($0, index: $1) }
    }
}

/// `heat`: heat diffusion with hot/cold baths on a graph ([NeuralReparam] §4.1, `HeatDiffusionFamily`).
/// Keys besides `graph`: lambda, hotTemperature, coldTemperature, features, hotFraction,
/// coldFraction (defaults of `HeatBathParameters`).
public enum HeatSuiteFamily: GraphEnergySuiteFamily {
    public static let key = "heat"
    public static let kind = SuiteProblemKind.graphEnergy
    public static let objective =
        "E(w) = 1/2 sum_ij A_ij |w_i - w_j|^2 + lambda sum_Hot (w_i - T_hot)^4 + lambda sum_Cold (w_i - T_cold)^4, sum_ij over ordered pairs"

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        let keys = ["lambda", "hotTemperature", "coldTemperature", "features", "hotFraction", "coldFraction"]
        return [try reader.graphGroup(raw, path: path, family: self, parameterKeys: keys, defaultSeed: defaultSeed(0)) { go, recipe in
            let d = HeatBathParameters()
            let heat = HeatBathParameters(
                lambda: try reader.number(go["lambda"], "\(path).lambda", default: d.lambda),
                hotTemperature: try reader.number(go["hotTemperature"], "\(path).hotTemperature", default: d.hotTemperature),
                coldTemperature: try reader.number(go["coldTemperature"], "\(path).coldTemperature", default: d.coldTemperature),
                features: go["features"] == nil ? d.features : try reader.integer(go["features"], "\(path).features", minimum: 1),
                hotFraction: try reader.number(go["hotFraction"], "\(path).hotFraction", default: d.hotFraction),
                coldFraction: try reader.number(go["coldFraction"], "\(path).coldFraction", default: d.coldFraction))
            if let n = recipe.nodeCount {
                do { try heat.validate(nodes: n) } catch let error as OptimizeeError { throw reader.fail(path, "\(error)") }
            }
            return (GraphEnergySpec(graph: recipe, heat: heat), heat.features, heat.lambda)
        }]
    }

    public static func name(_ g: ProblemSuite.Group) -> String {
        g.graphEnergy.map { HeatDiffusionFamily<Double>.name(graph: $0.graph, parameters: $0.heat) } ?? key
    }

    public static func fileAttributes(_ spec: GraphEnergySpec) -> [String: HDF5AttributeValue] {
        ["lambda": .double(spec.heat.lambda), "t_hot": .double(spec.heat.hotTemperature), "t_cold": .double(spec.heat.coldTemperature),
         "features": .integer(Int64(spec.heat.features))]
    }

    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try g.heatFamily(S.self)
        return .graphEnergy { split, index in
            let p = try family.instance(split, index: index)
            var out = GraphEnergyInstance(graph: p.graph, initialPoint: p.initialPoint)
            func indices(_ a: [Int]) -> Tensor<Double> { Tensor(a.map(Double.init)) }
            if !p.hotNodes.isEmpty { out.datasets["hot_nodes"] = indices(p.hotNodes) }
            if !p.coldNodes.isEmpty { out.datasets["cold_nodes"] = indices(p.coldNodes) }
            return out
        }
    }
}

/// `kuramoto`: the Kuramoto energy on a graph ([NeuralReparam] §4.2, `KuramotoFamily`).
public enum KuramotoSuiteFamily: GraphEnergySuiteFamily {
    public static let key = "kuramoto"
    public static let kind = SuiteProblemKind.graphEnergy
    public static let objective = "E(w) = - sum_ij A_ij cos(w_i - w_j), sum_ij over ordered pairs"

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        [try reader.graphGroup(raw, path: path, family: self, parameterKeys: [], defaultSeed: defaultSeed(0)) { _, recipe in
            (GraphEnergySpec(graph: recipe), 1, 0)
        }]
    }

    public static func name(_ g: ProblemSuite.Group) -> String {
        g.graphEnergy.map { KuramotoFamily<Double>.name(graph: $0.graph) } ?? key
    }

    public static func fileAttributes(_ spec: GraphEnergySpec) -> [String: HDF5AttributeValue] { [:] }

    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try g.kuramotoFamily(S.self)
        return .graphEnergy { split, index in
            let p = try family.instance(split, index: index)
            var out = GraphEnergyInstance(graph: p.graph, initialPoint: p.initialPoint)
            out.attributes["f_star"] = .double(p.referenceOptimum?.value ?? .nan)
            out.attributes["order_parameter_initial"] = .double(p.orderParameter(p.initialPoint))
            return out
        }
    }
}

/// `hopf-kuramoto`: the Hopf–Kuramoto energy on a graph ([NeuralReparam] eq. (7),
/// `HopfKuramotoFamily`); keys `s1` and `s2` are required.
public enum HopfKuramotoSuiteFamily: GraphEnergySuiteFamily {
    public static let key = "hopf-kuramoto"
    public static let kind = SuiteProblemKind.graphEnergy
    public static let objective =
        "E(w) = s1 sum_ij A_ij cos(w_i - w_j) + s2 sum_j C_j^2, C_j = sum_k A_jk cos(w_j - w_k) ([NeuralReparam] eq. (7) with ordered pairs and triples; the sine term is 0 for symmetric A)"

    public static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader, defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        [try reader.graphGroup(raw, path: path, family: self, parameterKeys: ["s1", "s2"], defaultSeed: defaultSeed(0)) { go, recipe in
            (GraphEnergySpec(graph: recipe, s1: try reader.number(go["s1"], "\(path).s1"), s2: try reader.number(go["s2"], "\(path).s2")), 1, 0)
        }]
    }

    public static func name(_ g: ProblemSuite.Group) -> String {
        g.graphEnergy.map { HopfKuramotoFamily<Double>.name(graph: $0.graph, s1: $0.s1, s2: $0.s2) } ?? key
    }

    public static func fileAttributes(_ spec: GraphEnergySpec) -> [String: HDF5AttributeValue] {
        ["s1": .double(spec.s1), "s2": .double(spec.s2)]
    }

    public static func problems<S: TensorScalar>(_ g: ProblemSuite.Group, as _: S.Type) throws -> SuiteProblems<S> {
        let family = try g.hopfKuramotoFamily(S.self)
        return .graphEnergy { split, index in
            let p = try family.instance(split, index: index)
            var out = GraphEnergyInstance(graph: p.graph, initialPoint: p.initialPoint)
            out.attributes["order_parameter_initial"] = .double(p.orderParameter(p.initialPoint))
            if let optimum = p.referenceOptimum { out.attributes["f_star"] = .double(optimum.value) }
            return out
        }
    }
}
