import Foundation
import XCTest
import CBLAS
import L2OCore
import L2OCheckpoint
import L2OOptimizees
import L2ODecentralized
@testable import L2OMeta

/// Pins the iterates of the shipped MiLoDo checkpoints on a fixed LASSO instance, so that a change
/// of the framework around them (protocols, drivers, state handling) provably changes nothing.
///
/// The fixture `Fixtures/shipped-checkpoint-pins.json` holds, per checkpoint, a 64-bit FNV-1a hash
/// of the bit patterns of all node iterates `x` at a few iterations (up to 300), keyed by the
/// rounding environment (OpenBLAS's core name), and the last iterates in full precision. On a machine whose environment was
/// recorded the hashes must match bit for bit (the key is OpenBLAS's core; glibc's `exp` and
/// `tanh` pick their code by CPU features too, alike on every AVX2/FMA machine); elsewhere (other
/// BLAS kernels round differently)
/// the final iterates must agree within an error bound. Record with
/// `L2O_RECORD_PINS=1 swift test --filter ShippedCheckpointPinTests` (also under
/// `OPENBLAS_CORETYPE=Haswell`) — only when a change of the iterates is intended.
final class ShippedCheckpointPinTests: XCTestCase {
    /// (checkpoint, suite, iterations at which the iterates are hashed): the support checkpoint
    /// for 300 iterations, the others for 40 (the suite runs in a debug build).
    static let runs: [(String, String, [Int])] = [
        ("milodo-lasso-10-300-10-0.1-support.h5", "Optimizees/lasso-10-300-10-0.1.json", [100, 200, 300]),
        ("milodo-lasso-10-300-10-0.1.h5", "Optimizees/lasso-10-300-10-0.1.json", [20, 40]),
        ("milodo-lasso-10-300-10-0.1-bounded.h5", "Optimizees/lasso-10-300-10-0.1.json", [20, 40]),
        ("milodo-lasso-50-300-10-0.1.h5", "Optimizees/lasso-50-300-10-0.1.json", [20, 40]),
    ]

    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
    var fixtureURL: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/shipped-checkpoint-pins.json") }

    struct Pin: Codable {
        /// environment → iteration → hash (hex)
        var hashes: [String: [String: String]]
        /// Node iterates after the last mark (row-major `[n, d]`), recorded in the first environment.
        var final: [Double]
    }

    /// The rounding environment: OpenBLAS's kernel set (Double networks and gradients go through
    /// OpenBLAS and Swift loops; the C kernels, whose instruction set depends on the build, are
    /// used by Float networks only).
    var environment: String {
        "openblas-" + (openblas_get_corename().map { String(cString: $0) } ?? "unknown").lowercased()
    }

    static func fnv1a(_ values: [Double]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in values {
            var bits = v.bitPattern
            for _ in 0..<8 {
                h ^= bits & 0xff
                h = h &* 0x0000_0100_0000_01b3
                bits >>= 8
            }
        }
        return String(h, radix: 16)
    }

    /// Runs a shipped checkpoint (Double networks, as `l2o evaluate --scalar double` does) up to
    /// the last mark on test instance 0 of its suite, with two workers (the CI machine's count).
    func run(_ name: String, suite: String, marks: [Int]) throws -> [Int: [Double]] {
        let loaded = try MiLoDoCheckpoint.load(from: packageRoot.appendingPathComponent("Checkpoints/\(name)"), as: Double.self)
        let g = try ProblemSuite(json: Data(contentsOf: packageRoot.appendingPathComponent(suite)), source: suite).groups[0]
        let problem = try g.lassoFamily(Double.self).instance(.test, index: 0)
        let oracles = try NodeOracles(problem)
        let saved = Parallel.workers
        Parallel.workers = 2
        defer { Parallel.workers = saved }
        let opt = MiLoDoOptimizer(model: loaded.model, seed: 0)
        var state = opt.makeState(oracles, mixing: loaded.mixing)
        var out = [Int: [Double]]()
        for k in 1...marks.last! {
            opt.step(&state, oracles, mixing: loaded.mixing)
            if marks.contains(k) { out[k] = opt.iterate(state).scalars }
        }
        return out
    }

    func testShippedCheckpointsGiveThePinnedIterates() throws {
        let record = ProcessInfo.processInfo.environment["L2O_RECORD_PINS"] == "1"
        var pins = (try? JSONDecoder().decode([String: Pin].self, from: Data(contentsOf: fixtureURL))) ?? [:]
        if !record && pins.isEmpty { return XCTFail("missing fixture \(fixtureURL.path)") }
        let env = environment
        var comparedBitwise = 0
        for (name, suite, marks) in Self.runs {
            let iterates = try run(name, suite: suite, marks: marks)
            let hashes = Dictionary(uniqueKeysWithValues: iterates.map { (String($0.key), Self.fnv1a($0.value)) })
            let final = iterates[marks.last!]!
            XCTAssertTrue(final.allSatisfy(\.isFinite), name)
            if record {
                var pin = pins[name] ?? Pin(hashes: [:], final: final)
                pin.hashes[env] = hashes
                pins[name] = pin
                continue
            }
            let pin = try XCTUnwrap(pins[name], "no pin for \(name)")
            if let expected = pin.hashes[env] {
                XCTAssertEqual(hashes, expected, "\(name): iterates differ bit for bit from the recorded run in \(env)")
                comparedBitwise += 1
            }
            // Any environment: the final iterates agree with the recorded ones within a rounding
            // bound. Each iteration evaluates networks with ≤ 23-term dot products in three layers
            // and a d = 300 gradient (N = 10 rows, then 300 columns); K iterations of rounding
            // differences of u·(23 + 20 + 20 + 300 + 10) relative to |x|, accumulated with gain ≤ 1
            // per iteration, are below K · 383 · 2⁻⁵³ (1.3e-11 for K = 300) relative to ‖x‖∞ for
            // each of the two runs compared (the recorded one and this one): twice that between them.
            let scale = final.map(abs).max() ?? 1
            let bound = 2 * Double(marks.last!) * 383 * Double.ulpOfOne / 2 * Swift.max(scale, 1e-3)
            let diff = zip(final, pin.final).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertEqual(final.count, pin.final.count, name)
            XCTAssertLessThanOrEqual(diff, bound, "\(name): final iterates differ from the recorded ones by \(diff)")
        }
        if record {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            try FileManager.default.createDirectory(at: fixtureURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            try enc.encode(pins).write(to: fixtureURL)
            print("recorded pins for \(env) in \(fixtureURL.path)")
        } else {
            print("pinned iterates compared bit for bit in \(comparedBitwise) checkpoint(s) (environment \(env)); recorded environments: \(Set(pins.values.flatMap(\.hashes.keys)).sorted())")
        }
    }
}
