import ArgumentParser
import Foundation
import L2O

/// Step sizes chosen by `l2o tune`, stored as JSON and read by `l2o evaluate --tuned`.
struct TunedSteps: Codable {
    var problems: String
    var topology: String
    var mixing: String
    var iterations: Int
    var tolerance: Double
    var steps: [String: Double]
    var results: [StepSizeTuner.Result]
}

extension TunedSteps {
    /// Reads and checks a tuned-steps file (`--tuned`): valid JSON of this shape, every step
    /// size a finite positive number. Errors name the file and the flag.
    static func load(_ path: String) throws -> TunedSteps {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("--tuned \(path): cannot read the file; pass the JSON written by `l2o tune --out`")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let tuned: TunedSteps
        do { tuned = try dec.decode(TunedSteps.self, from: data) } catch {
            throw InputError("--tuned \(path): not a tuned-steps file written by `l2o tune` (\(describeDecodingError(error)))")
        }
        for (method, step) in tuned.steps.sorted(by: { $0.key < $1.key }) {
            guard step.isFinite, step > 0, step <= MethodSpec.maximumStepSize else {
                throw InputError("--tuned \(path): the step size of \(method) is \(step); it must be a positive number (at most 1e6). Re-run `l2o tune` or pass --step \(method)=γ")
            }
        }
        return tuned
    }
}

/// A readable account of a `DecodingError`: what was wrong and where in the JSON.
func describeDecodingError(_ error: Error) -> String {
    func at(_ path: [CodingKey]) -> String { path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
    guard let e = error as? DecodingError else { return "\(error)" }
    switch e {
    case .dataCorrupted(let c): return "invalid JSON at \(at(c.codingPath)): \(c.debugDescription)"
    case .keyNotFound(let k, let c): return "missing key '\(k.stringValue)' at \(at(c.codingPath))"
    case .typeMismatch(_, let c): return "wrong type at \(at(c.codingPath)): \(c.debugDescription)"
    case .valueNotFound(_, let c): return "missing value at \(at(c.codingPath))"
    @unknown default: return "\(error)"
    }
}

/// A method named on the command line: a handcrafted one (`prox-ed`) or a learned one
/// (`milodo:Checkpoints/x.h5`).
enum MethodSpec {
    static var handcrafted: [String] { HandcraftedMethods.names }
    /// The largest step size accepted from `--step` or `--tuned`.
    static let maximumStepSize = 1e6

    /// The comma-separated `--methods` list, each checked (known name, or `milodo:` with a path),
    /// with no duplicates; checked before any problem is loaded.
    static func parseList(_ text: String, flag: String = "--methods", allowLearned: Bool = true) throws -> [String] {
        let specs = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("\(flag) is empty; name at least one method: \(handcrafted.joined(separator: ", "))\(allowLearned ? " or milodo:CHECKPOINT.h5" : "")")
        }
        var seen = Set<String>()
        for spec in specs {
            guard !spec.isEmpty else { throw ValidationError("\(flag) '\(text)' has an empty entry (two commas, or a comma at an end)") }
            if spec.hasPrefix("milodo:") {
                guard allowLearned else { throw ValidationError("\(flag): '\(spec)' is a learned method; this command takes handcrafted methods only") }
                guard spec.count > "milodo:".count else { throw ValidationError("\(flag): '\(spec)' needs a checkpoint path, e.g. milodo:Checkpoints/milodo-lasso-10-300-10-0.1.h5") }
            } else if !handcrafted.contains(spec) {
                throw ValidationError("\(flag): unknown method '\(spec)'; choose from \(handcrafted.joined(separator: ", "))\(allowLearned ? " or milodo:CHECKPOINT.h5" : "")")
            }
            guard seen.insert(spec).inserted else { throw ValidationError("\(flag) names '\(spec)' twice") }
        }
        return specs
    }

    /// Runs `body` with the method built for scalar `S` (a generic callback, so each method's
    /// concrete type reaches the runner).
    static func with<S: TensorScalar, R>(
        _ spec: String, step: Double?, scalar: S.Type, mixing: MixingMatrix<S>, floatNetworks: Bool = true, safeguard: Safeguard? = Safeguard(),
        _ body: (any DecentralizedMethod<S>) throws -> R
    ) throws -> R {
        try body(try ProblemSource.cli { try DecentralizedMethods.make(spec, stepSize: step, mixing: mixing, floatNetworks: floatNetworks,
                                                                            safeguard: safeguard) })
    }

    /// `name=value` pairs from `--step`.
    static func parseSteps(_ items: [String]) throws -> [String: Double] {
        var out = [String: Double]()
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let v = Double(parts[1]), v > 0, v <= maximumStepSize else {
                throw ValidationError("--step takes METHOD=γ with 0 < γ ≤ 1e6, e.g. --step prox-ed=0.04; got '\(item)'")
            }
            out[parts[0]] = v
        }
        return out
    }
}

/// Evaluation instances for LASSO problems (F in Double, F* from the reference optimum).
func evaluationInstances<S: TensorScalar>(_ problems: [LASSO<S>], names: [String]) throws -> [EvaluationInstance<S>] {
    try ProblemSource.cli { try ProblemSources.evaluationInstances(problems, names: names) }
}
