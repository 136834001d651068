import CHDF5

/// An open HDF5 identifier (file, group, dataset, attribute, dataspace, datatype or property list)
/// that is closed exactly once: explicitly with `close()` where the result matters (files being
/// written), otherwise when the handle is released.
///
/// Handles are created and released inside `HDF5Library.locked`, never stored beyond it.
final class HDF5Handle {
    /// The raw HDF5 identifier.
    let id: hid_t
    private let closer: (hid_t) -> herr_t
    private var isOpen = true

    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = closer
    }

    /// Closes the identifier now; returns false when HDF5 reports a failure (e.g. a final flush
    /// of a file failed because the disk is full).
    @discardableResult
    func close() -> Bool {
        guard isOpen else { return true }
        isOpen = false
        return closer(id) >= 0
    }

    deinit { close() }
}
