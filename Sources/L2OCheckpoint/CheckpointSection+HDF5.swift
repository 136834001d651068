/// Conversion between a `CheckpointSection` and the HDF5 group that stores it.
extension CheckpointSection {
    /// The section as an HDF5 group; throws `invalidName` / `nameConflict` for names that cannot be
    /// mapped (so nothing is written for an unmappable section).
    public func hdf5Group() throws -> HDF5Group {
        var group = HDF5Group(attributes: values)
        for name in tensors.keys.sorted() {
            guard let tensor = tensors[name] else { continue }
            try group.insert(.dataset(HDF5Dataset(tensor)), at: try ParameterPath.hdf5Path(forParameter: name))
        }
        return group
    }

    /// Decodes the group at `groupPath` of a file: every dataset below it becomes a tensor named by
    /// the reverse path mapping, every attribute of the group a value. Throws when a dataset has an
    /// unsupported element type or a path that does not map back to a name.
    public init(group: HDF5Group, file: String, groupPath: String) throws {
        self.init(values: group.attributes)
        self.file = file
        self.groupPath = groupPath
        for (path, dataset) in group.allDatasets {
            let fullPath = groupPath + "/" + path
            guard let tensor = dataset.tensor else {
                throw CheckpointError.unsupportedDatatype(file: file, dataset: fullPath, found: dataset.dtypeName)
            }
            let name: String
            do {
                name = try ParameterPath.parameterName(forPath: path)
            } catch CheckpointError.invalidName(_, let reason) {
                throw CheckpointError.invalidName(name: "\(file):\(fullPath)", reason: reason)
            }
            tensors[name] = tensor
        }
    }
}
