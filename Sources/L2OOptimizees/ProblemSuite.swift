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
/// unless it gives its own `seed`. The real-data families (`lasso-patches`, `logistic-adult`) need
/// their datasets, which the caller loads and hands to `patchLASSOFamily` / `adultLogisticFamily`;
/// `logistic-adult` may omit `dimension` (it is the 105 features of the Adult encoding).
public struct ProblemSuite: Sendable, Equatable {
    /// The known families.
    public enum Family: String, Sendable, CaseIterable {
        case lasso
        case logistic
        /// LASSO with λ = 0.
        case linearRegression = "linear-regression"
        /// Heat diffusion with hot/cold baths on a graph (`graph` group key, see `GraphEnergySpec`).
        case heat
        /// The Kuramoto energy on a graph.
        case kuramoto
        /// The Hopf–Kuramoto energy on a graph.
        case hopfKuramoto = "hopf-kuramoto"

        /// Whether the family is a graph energy (its group has `graphEnergy`).
        public var isGraphEnergy: Bool { self == .heat || self == .kuramoto || self == .hopfKuramoto }
        /// Sparse coding of natural-image patches (`PatchLASSOFamily`); `dimension` is the atom count.
        case lassoPatches = "lasso-patches"
        /// Logistic regression on UCI Adult (`AdultLogisticFamily`).
        case logisticAdult = "logistic-adult"

        /// Whether instances are `LASSO` problems (else `LogisticRegression`).
        public var isLASSO: Bool { self == .lasso || self == .linearRegression || self == .lassoPatches }
    }

    /// One concrete shape of a suite after expansion.
    public struct Group: Sendable, Equatable {
        public var family: Family
        public var nodes: Int, dimension: Int, samplesPerNode: Int
        public var lambda: Double
        /// The family seed.
        public var seed: UInt64
        /// Instances per split (missing splits have 0).
        public var splits: [Split: Int]
        /// The graph and energy parameters of `heat`, `kuramoto` and `hopf-kuramoto` groups (nil
        /// otherwise). Such groups have `nodes = 1` and `samplesPerNode = 1` (one shard), `dimension`
        /// the state size `n·d` (0 for a mesh, whose size is known only once it is read) and
        /// `lambda` the bath weight (0 for the Kuramoto energies).
        public var graphEnergy: GraphEnergySpec?

        /// A readable name, e.g. `LASSO(10,300,10,0.1)`.
        public var name: String {
            switch family {
            case .lasso, .linearRegression: return (try? lassoFamily(Double.self).name) ?? family.rawValue
            case .logistic: return (try? logisticFamily(Double.self).name) ?? family.rawValue
            case .heat, .kuramoto, .hopfKuramoto: return graphEnergy?.name(family) ?? family.rawValue
            case .lassoPatches: return "PatchLASSO(\(nodes),\(dimension),\(samplesPerNode),\(formatLambda(lambda)))"
            case .logisticAdult: return "LogisticAdult(\(nodes),\(dimension),\(samplesPerNode),\(formatLambda(lambda)))"
            }
        }

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

        func require(_ expected: Family) throws {
            guard family == expected else {
                throw OptimizeeError.invalidArgument(what: "suite group \(family.rawValue)", detail: "is not a \(expected.rawValue) family")
            }
        }

        /// The family for `lasso-patches` groups, over loaded images (`NaturalImages`).
        public func patchLASSOFamily<S: TensorScalar>(_: S.Type = S.self, dictionaryImages: [GrayImage], targetImages: [GrayImage]) throws -> PatchLASSOFamily<S> {
            try require(.lassoPatches)
            return try PatchLASSOFamily(dictionaryImages: dictionaryImages, targetImages: targetImages, nodes: nodes, atoms: dimension,
                                        samplesPerNode: samplesPerNode, lambda: lambda, seed: seed)
        }

        /// The family for `logistic-adult` groups, over the loaded data (`Adult.load`).
        public func adultLogisticFamily<S: TensorScalar>(_: S.Type = S.self, data: (train: AdultSamples, test: AdultSamples)) throws -> AdultLogisticFamily<S> {
            try require(.logisticAdult)
            return try AdultLogisticFamily(data: data, nodes: nodes, samplesPerNode: samplesPerNode, lambda: lambda, seed: seed)
        }

        /// The family for `lasso` and `linear-regression` groups.
        public func lassoFamily<S: TensorScalar>(_: S.Type = S.self) throws -> LASSOFamily<S> {
            guard family == .lasso || family == .linearRegression else {
                throw OptimizeeError.invalidArgument(what: "suite group \(family.rawValue)", detail: "is not a LASSO family")
            }
            return try LASSOFamily(nodes: nodes, dimension: dimension, samplesPerNode: samplesPerNode, lambda: lambda, seed: seed)
        }

        /// The family for `logistic` groups.
        public func logisticFamily<S: TensorScalar>(_: S.Type = S.self) throws -> LogisticFamily<S> {
            try require(.logistic)
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
    /// bad λ) or `OptimizeeError.unknownFamily`.
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
enum JSONValue: Decodable, CustomStringConvertible {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var description: String {
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

    var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
}

/// Validating reader of the suite JSON tree (JSONSerialization output).
struct SuiteReader {
    let source: String

    func fail(_ path: String, _ detail: String) -> OptimizeeError {
        .invalidSuite(file: source, detail: "\(path): \(detail)")
    }

    func object(_ value: JSONValue?, _ path: String, allowed: Set<String>) throws -> [String: JSONValue] {
        guard case .object(let o)? = value else { throw fail(path, "must be a JSON object") }
        if let unknown = o.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw fail(path, "unknown key \"\(unknown)\"; allowed keys are \(allowed.sorted().joined(separator: ", "))")
        }
        return o
    }

    func integer(_ value: JSONValue?, _ path: String, minimum: Int) throws -> Int {
        guard let value else { throw fail(path, "is missing") }
        guard case .integer(let i) = value else { throw fail(path, "must be an integer, got \(value)") }
        guard i >= Int64(minimum) else { throw fail(path, "must be ≥ \(minimum), got \(i)") }
        return Int(i)
    }

    /// An integer or a non-empty list of integers, each ≥ `minimum`.
    func integerList(_ value: JSONValue?, _ path: String, minimum: Int) throws -> [Int] {
        if case .array(let a)? = value {
            guard !a.isEmpty else { throw fail(path, "must not be an empty list") }
            return try a.enumerated().map { try integer($0.element, "\(path)[\($0.offset)]", minimum: minimum) }
        }
        return [try integer(value, path, minimum: minimum)]
    }

    func seedValue(_ value: JSONValue?, _ path: String) throws -> UInt64 {
        UInt64(try integer(value, path, minimum: 0))
    }

    /// A number or a non-empty list of numbers.
    func list(_ value: JSONValue?, _ path: String, _ element: (JSONValue?, String) throws -> Double) throws -> [Double] {
        if case .array(let a)? = value {
            guard !a.isEmpty else { throw fail(path, "must not be an empty list") }
            return try a.enumerated().map { try element($0.element, "\(path)[\($0.offset)]") }
        }
        return [try element(value, path)]
    }

    /// `{"train": …, "validation": …, "test": …}` with at least one instance.
    func splitCounts(_ value: JSONValue?, _ path: String) throws -> [Split: Int] {
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
            guard let family = ProblemSuite.Family(rawValue: familyName) else {
                throw OptimizeeError.unknownFamily(name: familyName, known: ProblemSuite.Family.allCases.map(\.rawValue))
            }
            if family.isGraphEnergy {
                groups.append(try graphGroup(raw, path, family: family, index: groups.count, suiteSeed: seed))
                continue
            }
            let go = try object(g, path, allowed: ["family", "nodes", "dimension", "samplesPerNode", "lambda", "seed", "splits"])
            let ints = { (key: String) throws -> [Int] in try self.integerList(go[key], "\(path).\(key)", minimum: 1) }
            let nodes = try ints("nodes"), samples = try ints("samplesPerNode")
            let dims: [Int]
            if family == .logisticAdult {
                dims = go["dimension"] == nil ? [Adult.featureCount] : try ints("dimension")
                guard dims == [Adult.featureCount] else {
                    throw fail("\(path).dimension", "logistic-adult has the \(Adult.featureCount) features of the Adult encoding; omit dimension or set it to \(Adult.featureCount)")
                }
            } else {
                dims = try ints("dimension")
            }
            let lambdas: [Double]
            if family == .linearRegression {
                lambdas = try go["lambda"] == nil ? [0] : list(go["lambda"], "\(path).lambda") { v, p in
                    guard let d = v?.doubleValue, d == 0 else { throw fail(p, "must be 0 (or omitted) for linear-regression") }
                    return d
                }
            } else {
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
            for (n, d, N, l) in combos {
                groups.append(ProblemSuite.Group(
                    family: family, nodes: n, dimension: d, samplesPerNode: N, lambda: l,
                    seed: explicitSeed ?? InstanceSeed.group(suiteSeed: seed, group: groups.count), splits: splits))
            }
        }
        return ProblemSuite(name: name, description: description, seed: seed, groups: groups)
    }
}
