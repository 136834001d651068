import Foundation
import L2OCore
import L2OData

/// A problem suite as data (`Optimizees/*.json`, format in `docs/optimizees.md`):
/// ```json
/// { "name": "lasso-10-300-10-0.1", "seed": 1001,
///   "groups": [ { "family": "lasso", "nodes": 10, "dimension": 300, "samplesPerNode": 10,
///                 "lambda": 0.1, "splits": { "train": 512, "validation": 64, "test": 64 } } ] }
/// ```
/// `nodes`, `dimension`, `samplesPerNode` and `lambda` take a number or a list; lists expand to one
/// group per combination (in the order nodes, dimension, samplesPerNode, lambda, last varying
/// fastest). Group `g` of the expansion is seeded `InstanceSeed.group(suiteSeed: seed, group: g)`
/// unless it gives its own `seed`. Each `family` value is a registered `SuiteFamily`
/// (`SuiteFamilies`), which reads its group's keys and makes its instances; the real-data
/// families (`lasso-patches`, `logistic-adult`) read their datasets when instances are asked for;
/// `logistic-adult` may omit `dimension` (it is the 105 features of the Adult encoding).
public struct ProblemSuite: Sendable, Equatable {
    /// One concrete shape of a suite after expansion.
    public struct Group: Sendable, Equatable {
        /// The family (`SuiteFamilies`): how the group was read and how its instances are made.
        public var family: any SuiteFamily.Type
        public var nodes: Int, dimension: Int, samplesPerNode: Int
        public var lambda: Double
        /// The family seed.
        public var seed: UInt64
        /// Instances per split (missing splits have 0).
        public var splits: [Split: Int]
        /// The graph and energy parameters of graph-energy groups (nil otherwise). Such groups have
        /// `nodes = 1` and `samplesPerNode = 1` (one shard), `dimension` the state size `n·d` (0 for
        /// a mesh, whose size is known only once it is read) and `lambda` the bath weight (0 for the
        /// Kuramoto energies).
        public var graphEnergy: GraphEnergySpec?
        /// Numeric parameters of a family's own keys (for families registered outside the library;
        /// the built-in ones keep theirs in the fields above).
        public var parameters: [String: Double]

        public init(family: any SuiteFamily.Type, nodes: Int, dimension: Int, samplesPerNode: Int, lambda: Double, seed: UInt64,
                    splits: [Split: Int], graphEnergy: GraphEnergySpec? = nil, parameters: [String: Double] = [:]) {
            self.family = family
            self.nodes = nodes
            self.dimension = dimension
            self.samplesPerNode = samplesPerNode
            self.lambda = lambda
            self.seed = seed
            self.splits = splits
            self.graphEnergy = graphEnergy
            self.parameters = parameters
        }

        public static func == (a: Group, b: Group) -> Bool {
            a.family.key == b.family.key && a.nodes == b.nodes && a.dimension == b.dimension && a.samplesPerNode == b.samplesPerNode
                && a.lambda == b.lambda && a.seed == b.seed && a.splits == b.splits && a.graphEnergy == b.graphEnergy
                && a.parameters == b.parameters
        }

        /// The `family` key, e.g. `lasso`.
        public var familyKey: String { family.key }

        /// What the group's instances are.
        public var kind: SuiteProblemKind { family.kind }

        /// A readable name, e.g. `LASSO(10,300,10,0.1)`.
        public var name: String { family.name(self) }

        /// The group's instances in scalar type `S` (real-data families read their data here).
        public func problems<S: TensorScalar>(_: S.Type = S.self) throws -> SuiteProblems<S> { try family.problems(self, as: S.self) }

        /// Throws unless `count` instances of this group fit in memory at once (in Double, with the
        /// copy a cast to another scalar type makes).
        public func checkMemory(instances count: Int, what: String) throws {
            guard graphEnergy == nil else { return }
            do {
                try ResourceLimits.checkShape([count, nodes, samplesPerNode, dimension + 1], bytesPerElement: MemoryLayout<Double>.size, copies: 2, what: what)
            } catch let e as ResourceLimitError {
                throw OptimizeeError.invalidArgument(what: e.what, detail: "\(count) instance(s) of \(name) \(e.detail)")
            }
        }

        func require(_ expected: any SuiteFamily.Type...) throws {
            guard expected.contains(where: { $0.key == family.key }) else {
                throw OptimizeeError.invalidArgument(what: "suite group \(family.key)", detail: "is not a \(expected.map { $0.key }.joined(separator: " or ")) family")
            }
        }

        /// The family for `lasso-patches` groups, over loaded images (`NaturalImages`).
        public func patchLASSOFamily<S: TensorScalar>(_: S.Type = S.self, dictionaryImages: [GrayImage], targetImages: [GrayImage]) throws -> PatchLASSOFamily<S> {
            try require(PatchLASSOSuiteFamily.self)
            return try PatchLASSOFamily(dictionaryImages: dictionaryImages, targetImages: targetImages, nodes: nodes, atoms: dimension,
                                        samplesPerNode: samplesPerNode, lambda: lambda, seed: seed)
        }

        /// The family for `logistic-adult` groups, over the loaded data (`Adult.load`).
        public func adultLogisticFamily<S: TensorScalar>(_: S.Type = S.self, data: (train: AdultSamples, test: AdultSamples)) throws -> AdultLogisticFamily<S> {
            try require(AdultLogisticSuiteFamily.self)
            return try AdultLogisticFamily(data: data, nodes: nodes, samplesPerNode: samplesPerNode, lambda: lambda, seed: seed)
        }

        /// The family for `lasso` and `linear-regression` groups.
        public func lassoFamily<S: TensorScalar>(_: S.Type = S.self) throws -> LASSOFamily<S> {
            try require(LassoSuiteFamily.self, LinearRegressionSuiteFamily.self)
            return try LASSOFamily(nodes: nodes, dimension: dimension, samplesPerNode: samplesPerNode, lambda: lambda, seed: seed)
        }

        /// The family for `logistic` groups.
        public func logisticFamily<S: TensorScalar>(_: S.Type = S.self) throws -> LogisticFamily<S> {
            try require(LogisticSuiteFamily.self)
            return try LogisticFamily(nodes: nodes, dimension: dimension, samplesPerNode: samplesPerNode, lambda: lambda, seed: seed)
        }
    }

    public var name: String
    public var description: String?
    public var seed: UInt64
    /// The expanded groups.
    public var groups: [Group]

    /// Parses and validates suite JSON; `source` names the file in errors.
    /// Throws `OptimizeeError.invalidSuite` (malformed JSON, unknown keys, negative or missing sizes,
    /// bad λ) or `OptimizeeError.unknownFamily` (families: `SuiteFamilies`).
    public init(json data: Data, source: String) throws {
        let raw: JSONValue
        do {
            raw = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw OptimizeeError.invalidSuite(file: source, detail: "is not valid JSON (\(error)); check brackets, commas and quotes")
        }
        let reader = SuiteReader(source: source)
        self = try reader.suite(raw)
    }

    init(name: String, description: String?, seed: UInt64, groups: [Group]) {
        self.name = name
        self.description = description
        self.seed = seed
        self.groups = groups
    }

    /// The most nodes a suite group may have (the decentralized topologies' limit).
    public static let maximumNodes = 4096
    /// The most instances one split of a group may declare (instances are generated from seeds;
    /// the ones a command uses must also fit in memory).
    public static let maximumInstancesPerSplit = 100_000_000

    /// The total number of instances of `split` over all groups.
    public func count(_ split: Split) -> Int { groups.reduce(0) { $0 + ($1.splits[split] ?? 0) } }
}

/// A parsed JSON value (numbers keep integer-ness: `3` is `.integer`, `3.5` is `.number`).
public enum JSONValue: Decodable, CustomStringConvertible, Sendable {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .integer(let i): return "\(i)"
        case .number(let d): return "\(d)"
        case .string(let s): return "\"\(s)\""
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// The number, if the value is one.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
}

/// Validating reader of the suite JSON tree; its errors name the suite file and the JSON path.
public struct SuiteReader: Sendable {
    public let source: String

    public func fail(_ path: String, _ detail: String) -> OptimizeeError {
        .invalidSuite(file: source, detail: "\(path): \(detail)")
    }

    public func object(_ value: JSONValue?, _ path: String, allowed: Set<String>) throws -> [String: JSONValue] {
        guard case .object(let o)? = value else { throw fail(path, "must be a JSON object") }
        if let unknown = o.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw fail(path, "unknown key \"\(unknown)\"; allowed keys are \(allowed.sorted().joined(separator: ", "))")
        }
        return o
    }

    public func integer(_ value: JSONValue?, _ path: String, minimum: Int) throws -> Int {
        guard let value else { throw fail(path, "is missing") }
        guard case .integer(let i) = value else { throw fail(path, "must be an integer, got \(value)") }
        guard i >= Int64(minimum) else { throw fail(path, "must be ≥ \(minimum), got \(i)") }
        return Int(i)
    }

    /// An integer or a non-empty list of integers, each ≥ `minimum`.
    public func integerList(_ value: JSONValue?, _ path: String, minimum: Int) throws -> [Int] {
        if case .array(let a)? = value {
            guard !a.isEmpty else { throw fail(path, "must not be an empty list") }
            return try a.enumerated().map { try integer($0.element, "\(path)[\($0.offset)]", minimum: minimum) }
        }
        return [try integer(value, path, minimum: minimum)]
    }

    public func seedValue(_ value: JSONValue?, _ path: String) throws -> UInt64 {
        UInt64(try integer(value, path, minimum: 0))
    }

    /// A number or a non-empty list of numbers.
    public func list(_ value: JSONValue?, _ path: String, _ element: (JSONValue?, String) throws -> Double) throws -> [Double] {
        if case .array(let a)? = value {
            guard !a.isEmpty else { throw fail(path, "must not be an empty list") }
            return try a.enumerated().map { try element($0.element, "\(path)[\($0.offset)]") }
        }
        return [try element(value, path)]
    }

    /// `{"train": …, "validation": …, "test": …}` with at least one instance.
    public func splitCounts(_ value: JSONValue?, _ path: String) throws -> [Split: Int] {
        let splitsObject = try object(value ?? .object([:]), path, allowed: Set(Split.allCases.map(\.rawValue)))
        var splits = [Split: Int]()
        for (key, v) in splitsObject {
            let n = try integer(v, "\(path).\(key)", minimum: 0)
            guard n <= ProblemSuite.maximumInstancesPerSplit else {
                throw fail("\(path).\(key)", "must be at most \(ProblemSuite.maximumInstancesPerSplit), got \(n)")
            }
            splits[Split(rawValue: key)!] = n
        }
        guard splits.values.reduce(0, +) > 0 else {
            throw fail(path, "must give at least one instance, e.g. {\"train\": 512}")
        }
        return splits
    }

    func suite(_ raw: JSONValue) throws -> ProblemSuite {
        let o = try object(raw, "the top level", allowed: ["name", "description", "seed", "groups"])
        guard case .string(let name)? = o["name"], !name.isEmpty else { throw fail("name", "must be a non-empty string") }
        var description: String?
        if case .string(let text)? = o["description"] { description = text }
        let seed = try seedValue(o["seed"], "seed")
        guard case .array(let groupsRaw)? = o["groups"], !groupsRaw.isEmpty else {
            throw fail("groups", "must be a non-empty list of groups")
        }
        var groups = [ProblemSuite.Group]()
        for (gi, g) in groupsRaw.enumerated() {
            let path = "groups[\(gi)]"
            guard case .object(let raw) = g else { throw fail(path, "must be a JSON object") }
            guard case .string(let familyName)? = raw["family"] else { throw fail("\(path).family", "is missing or not a string") }
            guard let family = SuiteFamilies.named(familyName) else {
                throw OptimizeeError.unknownFamily(name: familyName, known: SuiteFamilies.keys)
            }
            let first = groups.count
            groups += try family.groups(raw, path: path, reader: self) { InstanceSeed.group(suiteSeed: seed, group: first + $0) }
        }
        return ProblemSuite(name: name, description: description, seed: seed, groups: groups)
    }
}

extension SuiteReader {
    /// How a decentralized family reads `dimension`.
    public enum DimensionRule: Sendable {
        /// A positive integer or a list of them.
        case required
        /// Fixed by the data (e.g. the 105 Adult features): omitted or equal to it.
        case fixed(Int, reason: String)
    }

    /// How a decentralized family reads `lambda`.
    public enum LambdaRule: Sendable {
        /// A finite λ ≥ 0 (at most 1e30) or a list of them.
        case required
        /// Always 0: omitted or 0.
        case zero
    }

    /// The groups of a decentralized family (keys `nodes`, `dimension`, `samplesPerNode`, `lambda`,
    /// `seed`, `splits`; lists expand to one group per combination, last key varying fastest).
    public func decentralizedGroups(_ raw: [String: JSONValue], path: String, family: any SuiteFamily.Type,
                                    dimension: DimensionRule = .required, lambda: LambdaRule = .required,
                                    defaultSeed: (Int) -> UInt64) throws -> [ProblemSuite.Group] {
        let go = try object(.object(raw), path, allowed: ["family", "nodes", "dimension", "samplesPerNode", "lambda", "seed", "splits"])
        let ints = { (key: String) throws -> [Int] in try self.integerList(go[key], "\(path).\(key)", minimum: 1) }
        let nodes = try ints("nodes"), samples = try ints("samplesPerNode")
        let dims: [Int]
        switch dimension {
        case .required:
            dims = try ints("dimension")
        case let .fixed(d, reason):
            dims = go["dimension"] == nil ? [d] : try ints("dimension")
            guard dims == [d] else {
                throw fail("\(path).dimension", "\(family.key) has \(reason); omit dimension or set it to \(d)")
            }
        }
        let lambdas: [Double]
        switch lambda {
        case .zero:
            lambdas = try go["lambda"] == nil ? [0] : list(go["lambda"], "\(path).lambda") { v, p in
                guard let d = v?.doubleValue, d == 0 else { throw fail(p, "must be 0 (or omitted) for \(family.key)") }
                return d
            }
        case .required:
            lambdas = try list(go["lambda"], "\(path).lambda") { v, p in
                guard let v else { throw fail(p, "is missing (the ℓ₁ weight λ ≥ 0)") }
                guard let l = v.doubleValue else { throw fail(p, "must be a number, got \(v)") }
                guard l.isFinite, l >= 0, l <= 1e30 else { throw fail(p, "must be finite, ≥ 0 and at most 1e30, got \(l)") }
                return l
            }
        }
        let explicitSeed = try go["seed"].map { try seedValue($0, "\(path).seed") }
        let splits = try splitCounts(go["splits"], "\(path).splits")
        let combos = nodes.flatMap { n in dims.flatMap { d in samples.flatMap { N in lambdas.map { (n, d, N, $0) } } } }
        if explicitSeed != nil && combos.count > 1 {
            throw fail("\(path).seed", "an explicit seed needs a single shape (this group expands to \(combos.count)); drop the seed")
        }
        for (n, d, N, _) in combos {
            // One instance holds A (n·N·d values) and b in Double; refuse sizes the machine cannot hold.
            do {
                try ResourceLimits.checkShape([n, N, d], bytesPerElement: MemoryLayout<Double>.size, what: "\(path) (nodes × samplesPerNode × dimension)")
            } catch let e as ResourceLimitError {
                throw fail(e.what, e.detail)
            }
            guard n <= ProblemSuite.maximumNodes else {
                throw fail("\(path).nodes", "must be at most \(ProblemSuite.maximumNodes), got \(n)")
            }
        }
        return combos.enumerated().map { k, c in
            ProblemSuite.Group(family: family, nodes: c.0, dimension: c.1, samplesPerNode: c.2, lambda: c.3,
                               seed: explicitSeed ?? defaultSeed(k), splits: splits)
        }
    }
}
