import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// Concurrent reads and writes from many threads are serialized through the HDF5 lock.
final class ConcurrencyTests: XCTestCase {
    func testParallelWritesAndReadsOfDifferentFiles() throws {
        let folder = try makeTemporaryFolder(self)
        let lock = NSLock()
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let url = folder.appendingPathComponent("c\(i).h5")
            var section = CheckpointSection()
            section.set(Tensor<Double>(shape: [8, 8], scalars: (0..<64).map { Double($0 * (i + 1)) }), named: "w.\(i)")
            do {
                for _ in 0..<3 {
                    try Checkpoint(weightsOf: "mlp", config: #"{"i":\#(i)}"#, seed: UInt64(i), parameters: section).write(to: url)
                    let back = try Checkpoint.read(from: url, kind: "mlp")
                    if back.parameters != section || back.seed != UInt64(i) { throw CheckpointError.missingDataset(file: url.path, dataset: "w") }
                }
            } catch {
                lock.lock(); failures.append("\(i): \(error)"); lock.unlock()
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).count, 16)
    }
}
