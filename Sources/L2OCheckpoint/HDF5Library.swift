import CHDF5
import Foundation

/// The one gate to the HDF5 C library.
///
/// Every call into HDF5 made by this module runs inside `HDF5Library.locked`, which holds a single
/// process-wide recursive lock, so concurrent readers and writers are safe whether or not the
/// library was built thread-safe. Inside the lock HDF5's automatic printing of its error stack to
/// stderr is switched off (the setting is per thread in thread-safe builds, so it is applied on every
/// entry); failures are instead collected with `takeErrorStack()` and thrown as `CheckpointError`s.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs `body` holding the process-wide HDF5 lock, with HDF5's stderr error printing disabled.
    static func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        _ = H5open()
        _ = H5Eset_auto2(l2o_H5E_DEFAULT(), nil, nil)
        return try body()
    }

    /// The descriptions on the current thread's HDF5 error stack, outermost call first, joined
    /// with " → "; the stack is cleared. Returns "no HDF5 error recorded" when the stack is empty.
    static func takeErrorStack() -> String {
        final class Collector { var lines: [String] = [] }
        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = H5Ewalk2(l2o_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, error, data in
            guard let error, let data else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
            if let desc = error.pointee.desc {
                let text = String(cString: desc)
                if !text.isEmpty && collector.lines.last != text { collector.lines.append(text) }
            }
            return 0
        }, context)
        _ = H5Eclear2(l2o_H5E_DEFAULT())
        withExtendedLifetime(collector) {}
        return collector.lines.isEmpty ? "no HDF5 error recorded" : collector.lines.joined(separator: " → ")
    }
}
