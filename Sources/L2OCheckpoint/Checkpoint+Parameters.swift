import L2OCore

/// Loading parameters into a model, all-or-nothing.
extension Checkpoint {
    /// The parameter tensors for a model whose parameters have the given names and shapes,
    /// converted to `S`. Validates everything first: every expected name present
    /// (`missingDataset`), every shape equal (`shapeMismatch`), every value finite
    /// (`nonFiniteValues`) and, unless `allowUnexpected`, no extra parameter in the file
    /// (`unexpectedDataset`).
    public func parameterTensors<S: TensorScalar>(
        expecting shapes: [(name: String, shape: [Int])], as type: S.Type = S.self, allowUnexpected: Bool = false
    ) throws -> [String: Tensor<S>] {
        var result: [String: Tensor<S>] = [:]
        for (name, shape) in shapes {
            let tensor: Tensor<S> = try parameters.tensor(named: name, shape: shape)
            if let stored = parameters.tensors[name], stored.nonFiniteCount > 0 {
                throw CheckpointError.nonFiniteValues(file: file, dataset: parameters.datasetPath(name), count: stored.nonFiniteCount)
            }
            result[name] = tensor
        }
        if !allowUnexpected, let extra = parameters.tensors.keys.sorted().first(where: { result[$0] == nil }) {
            throw CheckpointError.unexpectedDataset(file: file, dataset: parameters.datasetPath(extra))
        }
        return result
    }

    /// Copies the checkpoint's parameters into `parameters` (matched by name). Nothing is assigned
    /// unless every parameter validates (see `parameterTensors(expecting:as:allowUnexpected:)`).
    public func load<S: TensorScalar>(
        into parameters: [(name: String, parameter: Parameter<S>)], allowUnexpected: Bool = false
    ) throws {
        let tensors: [String: Tensor<S>] = try parameterTensors(
            expecting: parameters.map { (name: $0.name, shape: $0.parameter.shape) }, allowUnexpected: allowUnexpected)
        for (name, parameter) in parameters {
            if let tensor = tensors[name] { parameter.value = tensor }
        }
    }
}
