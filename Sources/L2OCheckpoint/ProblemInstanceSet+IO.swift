import Foundation
import L2OCore

/// Writing and reading problem-instance sets.
extension ProblemInstanceSet {
    /// The set as an HDF5 tree: root attributes `format`, `format_version`, `problem`, `lambda`
    /// (and `seed` when known); datasets `A`, `b`, optional `x_star`, `f_star`.
    public func hdf5Root(file: String = "(in memory)") throws -> HDF5Group {
        try validate(file: file)
        var root = HDF5Group(attributes: [
            "format": .string(Self.formatName),
            "format_version": .integer(Self.formatVersion),
            "problem": .string(problem.rawValue),
            "lambda": .double(lambda),
        ])
        if let seed { root.attributes["seed"] = .integer(Int64(bitPattern: seed)) }
        root.children["A"] = .dataset(HDF5Dataset(AnyTensor(A)))
        root.children["b"] = .dataset(HDF5Dataset(AnyTensor(b)))
        if let xStar { root.children["x_star"] = .dataset(HDF5Dataset(AnyTensor(xStar))) }
        if let fStar { root.children["f_star"] = .dataset(HDF5Dataset(AnyTensor(fStar))) }
        return root
    }

    /// Validates, then writes the set atomically to `url`.
    public func write(to url: URL) throws {
        try HDF5File.write(try hdf5Root(file: url.path), to: url)
    }

    /// Reads and validates the instance set at `url`. Data written as float32 or float64 is
    /// accepted (converted to `Scalar`); `format`/`format_version` are checked when present, so
    /// files written by hand with h5py need only `problem`, `lambda`, `A` and `b`.
    /// - Parameter problem: when given, the file's `problem` must equal it.
    public static func read(from url: URL, problem expected: Problem? = nil) throws -> Self {
        try Self(root: try HDF5File.read(from: url), file: url.path, problem: expected)
    }

    /// Decodes and validates an instance set from its HDF5 tree.
    public init(root: HDF5Group, file: String, problem expected: Problem? = nil) throws {
        if let format = root.attributes["format"], format.stringValue != Self.formatName {
            throw CheckpointError.wrongFormat(file: file, expected: Self.formatName, found: format.stringValue ?? format.description)
        }
        if let version = root.attributes["format_version"] {
            guard let v = version.integerValue else {
                throw CheckpointError.attributeTypeMismatch(file: file, object: "/", attribute: "format_version", expected: "an integer", found: version.typeName)
            }
            guard v >= 1, v <= Self.formatVersion else {
                throw CheckpointError.unsupportedFormatVersion(file: file, found: v, supported: Self.formatVersion)
            }
        }
        guard let problemValue = root.attributes["problem"] else {
            throw CheckpointError.missingAttribute(file: file, object: "/", attribute: "problem")
        }
        guard let problemName = problemValue.stringValue, let problem = Problem(rawValue: problemName) else {
            throw CheckpointError.attributeTypeMismatch(
                file: file, object: "/", attribute: "problem", expected: "the string \"lasso\" or \"logistic\"", found: problemValue.description)
        }
        if let expected, expected != problem {
            throw CheckpointError.wrongKind(file: file, expected: expected.rawValue, found: problem.rawValue)
        }
        guard let lambdaValue = root.attributes["lambda"] else {
            throw CheckpointError.missingAttribute(file: file, object: "/", attribute: "lambda")
        }
        guard let lambda = lambdaValue.doubleValue else {
            throw CheckpointError.attributeTypeMismatch(file: file, object: "/", attribute: "lambda", expected: "a number", found: lambdaValue.typeName)
        }
        var seed: UInt64?
        if let seedValue = root.attributes["seed"] {
            guard let s = seedValue.integerValue else {
                throw CheckpointError.attributeTypeMismatch(file: file, object: "/", attribute: "seed", expected: "an integer", found: seedValue.typeName)
            }
            seed = UInt64(bitPattern: s)
        }
        func tensor(_ name: String, required: Bool) throws -> Tensor<Scalar>? {
            switch root.children[name] {
            case nil:
                if required { throw CheckpointError.missingDataset(file: file, dataset: "/" + name) }
                return nil
            case .group?:
                throw CheckpointError.wrongObjectType(file: file, path: "/" + name, expected: "dataset", found: "group")
            case .dataset(let d)?:
                guard let t = d.tensor else {
                    throw CheckpointError.unsupportedDatatype(file: file, dataset: "/" + name, found: d.dtypeName)
                }
                return t.tensor(as: Scalar.self)
            }
        }
        guard let A = try tensor("A", required: true), let b = try tensor("b", required: true) else {
            throw CheckpointError.missingDataset(file: file, dataset: "/A")
        }
        self.problem = problem
        self.lambda = lambda
        self.A = A
        self.b = b
        self.xStar = try tensor("x_star", required: false)
        self.fStar = try tensor("f_star", required: false)
        self.seed = seed
        try validate(file: file)
    }
}
