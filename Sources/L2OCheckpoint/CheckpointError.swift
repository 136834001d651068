/// Everything that can go wrong reading or writing an HDF5 file, a checkpoint or a problem-instance set.
///
/// Every case names the file and, where there is one, the dataset or attribute involved; the
/// `description` says what went wrong and what to do about it. Loading validates a whole file before
/// anything is applied, so when one of these is thrown nothing has been partially loaded.
public enum CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file exists at the path.
    case fileNotFound(file: String)
    /// The file exists but does not carry the HDF5 signature (empty, text, another format, a folder).
    case notHDF5(file: String, detail: String)
    /// The file carries the HDF5 signature but ends before the end the file itself records.
    case truncated(file: String, detail: String)
    /// HDF5 could not open the file for another reason (permissions, corruption, locking).
    case unreadable(file: String, detail: String)
    /// An HDF5 call on one object of an open file failed (corrupted object, unsupported layout, …).
    case hdf5Failure(file: String, object: String, operation: String, detail: String)
    /// Writing failed (folder missing or read-only, disk full, …); any previous file is untouched.
    case writeFailed(file: String, detail: String)
    /// The root attribute `format` is missing or names another format.
    case wrongFormat(file: String, expected: String, found: String?)
    /// The file was written by a newer version of the format than this build reads.
    case unsupportedFormatVersion(file: String, found: Int64, supported: Int64)
    /// The checkpoint holds another kind of object than the one it is loaded into.
    case wrongKind(file: String, expected: String, found: String)
    /// A resume checkpoint was required but the file is a weights checkpoint (or the type is unknown).
    case wrongCheckpointType(file: String, expected: String, found: String)
    /// A required attribute is absent.
    case missingAttribute(file: String, object: String, attribute: String)
    /// An attribute holds another type than the schema prescribes.
    case attributeTypeMismatch(file: String, object: String, attribute: String, expected: String, found: String)
    /// A required dataset or group is absent.
    case missingDataset(file: String, dataset: String)
    /// The file holds a dataset the receiving model does not have.
    case unexpectedDataset(file: String, dataset: String)
    /// The object at a path is a group where a dataset was expected, or the reverse.
    case wrongObjectType(file: String, path: String, expected: String, found: String)
    /// A dataset's shape differs from the shape of the tensor it is loaded into.
    case shapeMismatch(file: String, dataset: String, expected: [Int], found: [Int])
    /// A dataset's element type is not float32/float64 where a tensor is required.
    case unsupportedDatatype(file: String, dataset: String, found: String)
    /// A dataset holds NaN or infinite values where finite values are required.
    case nonFiniteValues(file: String, dataset: String, count: Int)
    /// The `config` attribute is not valid JSON text, or does not decode into the requested type.
    case invalidConfig(file: String, detail: String)
    /// A parameter or object name cannot be mapped to an HDF5 path (and back).
    case invalidName(name: String, reason: String)
    /// Two names collide in the HDF5 tree (e.g. `a` is a dataset and `a.b` needs `a` to be a group).
    case nameConflict(path: String, reason: String)
    /// A problem-instance set is inconsistent (shapes, λ, counts).
    case invalidInstanceSet(file: String, detail: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file. Check the path (relative paths start at the current folder)."
        case .notHDF5(let file, let detail):
            return "\(file): not an HDF5 file (\(detail)). Pass a checkpoint written by l2o or by h5py/another HDF5 tool."
        case .truncated(let file, let detail):
            return "\(file): the HDF5 file is truncated (\(detail)); it was cut short while copying or writing. Re-copy it or use an earlier checkpoint."
        case .unreadable(let file, let detail):
            return "\(file): HDF5 cannot open the file (\(detail)). Check permissions and that no other process holds it open for writing."
        case .hdf5Failure(let file, let object, let operation, let detail):
            return "\(file): HDF5 failed to \(operation) '\(object)' (\(detail)). The file may be corrupted; re-create it or use an earlier copy."
        case .writeFailed(let file, let detail):
            return "\(file): writing failed (\(detail)). Any previous file at this path is unchanged; check that the folder is writable and the disk has space."
        case .wrongFormat(let file, let expected, let found):
            let what = found.map { "format '\($0)'" } ?? "no 'format' attribute"
            return "\(file): expected an HDF5 file of format '\(expected)' but it has \(what). See docs/checkpoint-format.md for the required root attributes."
        case .unsupportedFormatVersion(let file, let found, let supported):
            if found < 1 {
                return "\(file): format_version \(found) is not a valid version (versions start at 1; this build reads 1…\(supported)). The file was damaged or written by another tool; see docs/checkpoint-format.md."
            }
            return "\(file): format_version \(found) is newer than the supported version \(supported). Update l2o to read this file."
        case .wrongKind(let file, let expected, let found):
            return "\(file): checkpoint kind is '\(found)' but '\(expected)' was expected. Pass a checkpoint of kind '\(expected)'."
        case .wrongCheckpointType(let file, let expected, let found):
            return "\(file): checkpoint_type is '\(found)' but '\(expected)' is needed. Resume training only from a resume checkpoint; a weights checkpoint holds parameters and config only."
        case .missingAttribute(let file, let object, let attribute):
            return "\(file): '\(object)' has no attribute '\(attribute)', which the format requires. See docs/checkpoint-format.md."
        case .attributeTypeMismatch(let file, let object, let attribute, let expected, let found):
            return "\(file): attribute '\(attribute)' of '\(object)' is \(found) but must be \(expected). See docs/checkpoint-format.md."
        case .missingDataset(let file, let dataset):
            return "\(file): dataset '\(dataset)' is missing. The file was written for a different model or configuration; check the kind and config."
        case .unexpectedDataset(let file, let dataset):
            return "\(file): dataset '\(dataset)' does not belong to the model it is loaded into. The file was written for a different architecture; check the config."
        case .wrongObjectType(let file, let path, let expected, let found):
            return "\(file): '\(path)' is a \(found) but a \(expected) is required. See docs/checkpoint-format.md."
        case .shapeMismatch(let file, let dataset, let expected, let found):
            return "\(file): dataset '\(dataset)' has shape \(found) but \(expected) is required. The file was written for a different configuration; nothing was loaded."
        case .unsupportedDatatype(let file, let dataset, let found):
            return "\(file): dataset '\(dataset)' has element type \(found); only float32 and float64 are supported. Convert it (e.g. numpy .astype('float64'))."
        case .nonFiniteValues(let file, let dataset, let count):
            return "\(file): dataset '\(dataset)' holds \(count) NaN or infinite value(s); finite values are required. The run that wrote it probably diverged; use an earlier checkpoint."
        case .invalidConfig(let file, let detail):
            return "\(file): the 'config' attribute is not usable (\(detail)). It must be JSON text describing the object."
        case .invalidName(let name, let reason):
            return "name '\(name)' cannot be stored: \(reason). Use non-empty dot-separated components without '/'."
        case .nameConflict(let path, let reason):
            return "HDF5 path '\(path)': \(reason). Rename the parameter so no name is a prefix component of another."
        case .invalidInstanceSet(let file, let detail):
            return "\(file): invalid problem-instance set: \(detail). See the instance-set schema in docs/checkpoint-format.md."
        }
    }
}
