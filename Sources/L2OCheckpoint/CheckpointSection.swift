import L2OCore

/// One section of a checkpoint (`parameters`, `optimizer_state` or `training`): named tensors plus
/// named scalar values.
///
/// Tensors are keyed by the framework's dotted names and stored as datasets at the mapped paths
/// below the section group (see `ParameterPath`). Scalar values (step counts, learning rates,
/// curriculum stage, names) are stored as attributes of the section group under their names as
/// given. Arrays of numbers are stored as rank-1 float64 tensors (`setArray`/`array`).
public struct CheckpointSection: Equatable, Sendable {
    public var tensors: [String: AnyTensor]
    public var values: [String: HDF5AttributeValue]
    /// Where a section read from a file came from, for error messages ("(in memory)" otherwise).
    public internal(set) var file: String = "(in memory)"
    /// The section's HDF5 group path, e.g. `/parameters`.
    public internal(set) var groupPath: String = ""

    public init(tensors: [String: AnyTensor] = [:], values: [String: HDF5AttributeValue] = [:]) {
        self.tensors = tensors
        self.values = values
    }

    /// A section holding named tensors of one element type.
    public init<S: TensorScalar>(named tensors: [(name: String, tensor: Tensor<S>)]) {
        self.init()
        for (name, tensor) in tensors { self.tensors[name] = AnyTensor(tensor) }
    }

    /// A section holding the current values of named parameters.
    public init<S: TensorScalar>(parameters: [(name: String, parameter: Parameter<S>)]) {
        self.init(named: parameters.map { (name: $0.name, tensor: $0.parameter.value) })
    }

    public static func == (a: CheckpointSection, b: CheckpointSection) -> Bool {
        a.tensors == b.tensors && a.values == b.values
    }

    /// Stores a tensor under a dotted name.
    public mutating func set<S: TensorScalar>(_ tensor: Tensor<S>, named name: String) {
        tensors[name] = AnyTensor(tensor)
    }

    /// Stores an array of numbers as a rank-1 float64 tensor.
    public mutating func setArray(_ values: [Double], named name: String) {
        tensors[name] = .float64(Tensor(values))
    }

    /// The tensor stored under `name`, converted to `S` if needed; throws `missingDataset`, or
    /// `shapeMismatch` when `shape` is given and differs.
    public func tensor<S: TensorScalar>(named name: String, as type: S.Type = S.self, shape: [Int]? = nil) throws -> Tensor<S> {
        guard let stored = tensors[name] else {
            throw CheckpointError.missingDataset(file: file, dataset: datasetPath(name))
        }
        if let shape, shape != stored.shape {
            throw CheckpointError.shapeMismatch(file: file, dataset: datasetPath(name), expected: shape, found: stored.shape)
        }
        return stored.tensor(as: S.self)
    }

    /// The array stored with `setArray` (any rank-1 tensor).
    public func array(named name: String) throws -> [Double] {
        let t: Tensor<Double> = try tensor(named: name)
        guard t.rank == 1 else {
            throw CheckpointError.shapeMismatch(file: file, dataset: datasetPath(name), expected: [t.count], found: t.shape)
        }
        return t.scalars
    }

    /// The integer value `name`.
    public func integer(named name: String) throws -> Int64 {
        let v = try value(named: name)
        guard let i = v.integerValue else { throw mismatch(name, "an integer", v) }
        return i
    }

    /// The numeric value `name` (integers are widened).
    public func double(named name: String) throws -> Double {
        let v = try value(named: name)
        guard let d = v.doubleValue else { throw mismatch(name, "a double", v) }
        return d
    }

    /// The string value `name`.
    public func string(named name: String) throws -> String {
        let v = try value(named: name)
        guard let s = v.stringValue else { throw mismatch(name, "a string", v) }
        return s
    }

    private func value(named name: String) throws -> HDF5AttributeValue {
        guard let v = values[name] else {
            throw CheckpointError.missingAttribute(file: file, object: groupPath.isEmpty ? "/" : groupPath, attribute: name)
        }
        return v
    }

    private func mismatch(_ name: String, _ expected: String, _ found: HDF5AttributeValue) -> CheckpointError {
        .attributeTypeMismatch(file: file, object: groupPath.isEmpty ? "/" : groupPath, attribute: name, expected: expected, found: found.typeName)
    }

    /// The full HDF5 path of the dataset for a dotted name (for messages).
    func datasetPath(_ name: String) -> String {
        let relative = (try? ParameterPath.hdf5Path(forParameter: name)) ?? name
        return groupPath.isEmpty ? relative : groupPath + "/" + relative
    }
}
