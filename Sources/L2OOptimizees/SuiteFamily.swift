import Foundation
import L2OCheckpoint
import L2OCore
import L2OData

/// What a suite family's instances are; it decides which commands can run them.
public enum SuiteProblemKind: String, Sendable {
    /// Decentralized LASSO problems (`LASSO`): `l2o evaluate`, `tune`, `meta-train`.
    case lasso
    /// Decentralized logistic regression (`LogisticRegression`): `l2o evaluate`, `tune`.
    case logistic
    /// A graph energy (heat diffusion, Kuramoto, …) on one graph, without node shards.
    case graphEnergy = "graph energy"
}

/// One problem family of the suite format (`docs/optimizees.md`): its `family` key, how a group of
/// it is read from suite JSON, its readable name and how its instances are made. The commands that
/// read suites (`l2o problems`, `evaluate`, `tune`, `meta-train`) know families only through this
/// protocol, so a new family is one conforming type plus `SuiteFamilies.register(MyFamily.self)`.
public protocol SuiteFamily: SendableMetatype {
    /// The `family` value in suite JSON, e.g. `"lasso"`.
    static var key: String { get }
    /// What its instances are.
    static var kind: SuiteProblemKind { get }
    /// Reads group object `raw` (at `path` in the suite file, already known to name this family)
    /// into its expanded groups. `defaultSeed(k)` is the seed of the `k`-th group of the expansion
    /// when the group gives none. Errors are `reader.fail(…)` (`OptimizeeError.invalidSuite`).
    static func groups(_ raw: [String: JSONValue], path: String, reader: SuiteReader,
                       defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group]
    /// A readable name of a group, e.g. `LASSO(10,300,10,0.1)`, made without reading data files.
    static func name(_ group: ProblemSuite.Group) -> String
    /// The group's instances in scalar type `S`. Families over real data read it here (and throw
    /// `DataError` when it is missing).
    static func problems<S: TensorScalar>(_ group: ProblemSuite.Group, as: S.Type) throws -> SuiteProblems<S>
}

/// The instances of a suite group, by kind: instance `index` of a split.
public enum SuiteProblems<S: TensorScalar> {
    case lasso((Split, Int) throws -> LASSO<S>)
    case logistic((Split, Int) throws -> LogisticRegression<S>)
    case graphEnergy((Split, Int) throws -> GraphEnergyInstance<S>)
}

/// A graph-energy suite family: also says what its instance file stores.
public protocol GraphEnergySuiteFamily: SuiteFamily {
    /// The energy formula, stored in the instance file's `objective` attribute.
    static var objective: String { get }
    /// The energy's parameters as root attributes of the instance file (e.g. `lambda`, `s1`).
    static func fileAttributes(_ spec: GraphEnergySpec) -> [String: HDF5AttributeValue]
}

/// One graph-energy instance as stored in an instance file: its graph, initial point and the
/// energy-specific arrays and attributes (`docs/checkpoint-format.md`).
public struct GraphEnergyInstance<S: TensorScalar> {
    public var graph: Graph
    public var initialPoint: Tensor<S>
    public var datasets: [String: Tensor<Double>]
    public var attributes: [String: HDF5AttributeValue]

    public init(graph: Graph, initialPoint: Tensor<S>, datasets: [String: Tensor<Double>] = [:], attributes: [String: HDF5AttributeValue] = [:]) {
        self.graph = graph
        self.initialPoint = initialPoint
        self.datasets = datasets
        self.attributes = attributes
    }
}

/// The registry of suite families, keyed by their `family` value. The built-in ones are
/// registered from the start; `register` adds more (before the suites that use them are read).
public enum SuiteFamilies {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var table: [String: any SuiteFamily.Type] = {
        var t = [String: any SuiteFamily.Type]()
        for f in builtIn { t[f.key] = f }
        return t
    }()

    /// The families every build knows, in the order `docs/optimizees.md` lists them.
    public static let builtIn: [any SuiteFamily.Type] = [
        LassoSuiteFamily.self, LinearRegressionSuiteFamily.self, LogisticSuiteFamily.self,
        PatchLASSOSuiteFamily.self, AdultLogisticSuiteFamily.self,
        HeatSuiteFamily.self, KuramotoSuiteFamily.self, HopfKuramotoSuiteFamily.self,
    ]

    /// Adds (or replaces) the family with `family.key`.
    public static func register(_ family: any SuiteFamily.Type) {
        lock.lock(); defer { lock.unlock() }
        table[family.key] = family
    }

    /// Removes the family with this key (a built-in one too); true if one was registered.
    @discardableResult
    public static func unregister(_ key: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return table.removeValue(forKey: key) != nil
    }

    /// The family with this key, if registered.
    public static func named(_ key: String) -> (any SuiteFamily.Type)? {
        lock.lock(); defer { lock.unlock() }
        return table[key]
    }

    /// The registered keys, sorted.
    public static var keys: [String] {
        lock.lock(); defer { lock.unlock() }
        return table.keys.sorted()
    }
}
