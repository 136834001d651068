import Foundation
import L2OCore
import XCTest
@testable import L2OCheckpoint

/// The h5py examples in docs/checkpoint-format.md really produce and read valid files.
/// Needs a Python with h5py (Debian python3-h5py); skipped where there is none.
final class DocExampleTests: XCTestCase {
    /// The python code block of the format doc whose first line is `# l2o-doc-example: <tag>`.
    private func example(_ tag: String) throws -> String {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/checkpoint-format.md").standardizedFileURL
        let text = try String(contentsOf: doc, encoding: .utf8)
        let marker = "```python\n# l2o-doc-example: \(tag)\n"
        guard let start = text.range(of: marker), let end = text.range(of: "\n```", range: start.upperBound..<text.endIndex) else {
            XCTFail("docs/checkpoint-format.md has no example tagged '\(tag)'")
            return ""
        }
        return String(text[start.upperBound..<end.lowerBound])
    }

    /// A Python interpreter that can import h5py and numpy.
    private func python() throws -> String {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? runTool(candidate, ["-c", "import h5py, numpy"]))?.status == 0 { return candidate }
        }
        throw XCTSkip("no python3 with h5py (Debian python3-h5py) to run the documentation examples")
    }

    private func run(_ tag: String, argument: String) throws -> String {
        let folder = try makeTemporaryFolder(self)
        let script = folder.appendingPathComponent("\(tag).py")
        try example(tag).write(to: script, atomically: true, encoding: .utf8)
        let result = try runTool(try python(), [script.path, argument])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    private struct MLPConfig: Decodable, Equatable { var layers: [Int]; var activation: String }

    func testH5pyWriteExampleProducesLoadableFiles() throws {
        let folder = try makeTemporaryFolder(self)
        _ = try run("write", argument: folder.path)

        let weights = try Checkpoint.read(from: folder.appendingPathComponent("mlp-weights.h5"), kind: "mlp")
        XCTAssertEqual(weights.type, .weights)
        XCTAssertEqual(weights.seed, 42)
        XCTAssertEqual(try weights.decodeConfig(MLPConfig.self), MLPConfig(layers: [3, 4, 1], activation: "tanh"))
        let model: [(name: String, parameter: Parameter<Float>)] = [
            ("encoder.0.weight", Parameter(.zeros([4, 3]))), ("encoder.0.bias", Parameter(.ones([4]))),
            ("head.weight", Parameter(.zeros([1, 4]))),
        ]
        try weights.load(into: model)
        XCTAssertEqual(model[1].parameter.value.scalars, [0, 0, 0, 0])
        XCTAssertNotEqual(model[0].parameter.value.scalars, [Float](repeating: 0, count: 12))

        let resume = try Checkpoint.read(from: folder.appendingPathComponent("mlp-resume.h5"), kind: "mlp", requireResume: true)
        XCTAssertEqual(try resume.optimizerState.integer(named: "step"), 1200)
        XCTAssertEqual(try resume.optimizerState.double(named: "beta1"), 0.9)
        XCTAssertEqual(try resume.optimizerState.tensor(named: "m.head.weight", as: Float.self).shape, [1, 4])
        XCTAssertEqual(try resume.training.integer(named: "epoch"), 17)
        XCTAssertEqual(try resume.training.array(named: "learning_rates"), [1e-3, 1e-4])

        let set = try ProblemInstanceSet<Float>.read(from: folder.appendingPathComponent("lasso-instances.h5"), problem: .lasso)
        XCTAssertEqual([set.count, set.nodes, set.samplesPerNode, set.dimension], [8, 4, 10, 20])
        XCTAssertEqual(set.lambda, 0.1)
        XCTAssertEqual(set.xStar?.shape, [8, 20])
        XCTAssertNil(set.fStar)
    }

    func testH5pyReadExampleReadsOurCheckpoint() throws {
        let url = try makeTemporaryFolder(self).appendingPathComponent("ours.h5")
        try sampleResumeCheckpoint().write(to: url)
        let output = try run("read", argument: url.path)
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "milodo resume \(Int64(bitPattern: 0xFEED_FACE_CAFE_BEEF)) ['hidden', 'layers', 'name']")
        XCTAssertTrue(lines.contains("encoder.0.weight float32 [3, 2]"), output)
        XCTAssertTrue(lines.contains("milodo.node3.M.lstm.weight float32 [4]"), output)
    }
}
