import Foundation
import L2OCheckpoint
import L2OCore
import L2ONN
import L2OOptimizers

extension ParameterOptimizer {
    /// The optimizer's exported state as a resume checkpoint's `optimizer_state` section: its
    /// tensors, its values and the attribute `algorithm`.
    func resumeSection(_ state: OptimizerState<Scalar>) -> CheckpointSection {
        var section = CheckpointSection()
        let exported = exportState(state)
        for (name, t) in exported.tensors { section.set(t, named: name) }
        for (name, v) in exported.values { section.values[name] = .double(v) }
        section.values["algorithm"] = .string(self.name)
        return section
    }

    /// The state a resume checkpoint's `optimizer_state` holds, for `parameters`; typed
    /// `TrainingError.cannotResume` errors name the file when it was written by another optimizer
    /// or does not fit.
    func resumedState(from checkpoint: Checkpoint, for parameters: NamedParameters<Scalar>) throws -> OptimizerState<Scalar> {
        let stored = try checkpoint.optimizerState.string(named: "algorithm")
        guard stored == self.name else {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "it holds \(stored) state, this run uses \(self.name)")
        }
        var export = ExportedOptimizerState<Scalar>()
        for name in checkpoint.optimizerState.tensors.keys { export.tensors[name] = try checkpoint.optimizerState.tensor(named: name) }
        for (name, v) in checkpoint.optimizerState.values {
            if let d = v.doubleValue { export.values[name] = d }
        }
        do {
            return try importState(export, for: parameters)
        } catch let e as OptimizerError {
            throw TrainingError.cannotResume(file: checkpoint.file, reason: "its optimizer state (group optimizer_state) is not usable: \(e)")
        }
    }
}

/// Training histories as JSON text in resume checkpoints (non-finite numbers as strings).
enum HistoryJSON {
    static func encode<T: Encodable>(_ history: T) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try enc.encode(history), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String, file: String) throws -> T {
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try dec.decode(type, from: Data(text.utf8)) } catch {
            throw TrainingError.cannotResume(file: file, reason: "its training history is not readable: \(error)")
        }
    }
}
