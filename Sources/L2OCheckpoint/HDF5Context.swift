import CHDF5

/// Checks the results of HDF5 calls made on behalf of one file and turns failures into
/// `CheckpointError`s that name the file, the object and the operation, with HDF5's own messages.
struct HDF5Context {
    /// The path reported in errors (for writes: the destination, not the temporary file).
    let file: String
    /// Whether failures are reported as `writeFailed` (writing) or `hdf5Failure` (reading).
    let writing: Bool

    /// The error for a failed `operation` on `object`, with the drained HDF5 error stack.
    func failure(_ operation: String, _ object: String) -> CheckpointError {
        let stack = HDF5Library.takeErrorStack()
        if writing {
            return .writeFailed(file: file, detail: "could not \(operation) '\(object)': \(stack)")
        }
        return .hdf5Failure(file: file, object: object, operation: operation, detail: stack)
    }

    /// Wraps a freshly returned identifier in a handle closed by `closer`, or throws when it is invalid.
    func handle(
        _ id: hid_t, closer: @escaping (hid_t) -> herr_t, _ operation: String, _ object: String
    ) throws -> HDF5Handle {
        guard id >= 0 else { throw failure(operation, object) }
        return HDF5Handle(id, closer: closer)
    }

    /// Throws when an HDF5 status is negative.
    func check(_ status: herr_t, _ operation: String, _ object: String) throws {
        guard status >= 0 else { throw failure(operation, object) }
    }

    /// Throws when an HDF5 tri-state answer is negative; otherwise returns whether it is true.
    func answer(_ answer: htri_t, _ operation: String, _ object: String) throws -> Bool {
        guard answer >= 0 else { throw failure(operation, object) }
        return answer > 0
    }
}
