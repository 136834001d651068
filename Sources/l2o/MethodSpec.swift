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

/// A method named on the command line: a handcrafted one (`prox-ed`) or a learned one
/// (`milodo:Checkpoints/x.h5`).
enum MethodSpec {
    static let handcrafted = ["prox-dgd", "pg-extra", "prox-ed", "prox-atc", "dapg", "odapg", "admm"]

    /// Runs `body` with the method built for scalar `S` (a generic callback, so each method's
    /// concrete type reaches the runner).
    static func with<S: TensorScalar, R>(
        _ spec: String, step: Double?, scalar: S.Type, mixing: MixingMatrix<S>, floatNetworks: Bool = false,
        _ body: (any DecentralizedMethod<S>) throws -> R
    ) throws -> R {
        if spec.hasPrefix("milodo:") {
            let path = String(spec.dropFirst("milodo:".count))
            let loaded: (model: MiLoDoModel<S>, mixing: MixingMatrix<S>, config: MiLoDoConfig)
            do { loaded = try MiLoDoCheckpoint.load(from: URL(fileURLWithPath: path), as: S.self) } catch {
                throw ValidationError("cannot load \(path): \(error)")
            }
            guard loaded.model.topology.edges == mixing.topology.edges else {
                throw ValidationError("\(path) was trained on \(loaded.model.topology), but the evaluation uses \(mixing.topology); pass --topology \(loaded.config.topology)")
            }
            // Float networks in a wider run: named apart so tables say which was measured.
            loaded.model.useFloatInference(floatNetworks)
            return try body(MiLoDoOptimizer(model: loaded.model, seed: 0, name: floatNetworks ? "milodo-f32net" : "milodo"))
        }
        guard let step else { throw ValidationError("no step size for \(spec): run `l2o tune` and pass --tuned FILE, or give --step \(spec)=γ") }
        let g = S(step)
        switch spec {
        case "prox-dgd": return try body(ProxDGD(stepSize: g))
        case "pg-extra": return try body(PGExtra(stepSize: g))
        case "prox-ed": return try body(ProxED(stepSize: g))
        case "prox-atc": return try body(ProxATC(stepSize: g))
        case "dapg": return try body(DAPG(stepSize: g))
        case "odapg": return try body(ODAPG(stepSize: g))
        case "admm": return try body(DecentralizedADMM(stepSize: g))
        default:
            throw ValidationError("unknown method '\(spec)'; choose from \(handcrafted.joined(separator: ", ")) or milodo:CHECKPOINT.h5")
        }
    }

    /// `name=value` pairs from `--step`.
    static func parseSteps(_ items: [String]) throws -> [String: Double] {
        var out = [String: Double]()
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let v = Double(parts[1]), v > 0, v.isFinite else {
                throw ValidationError("--step takes METHOD=γ with γ > 0, e.g. --step prox-ed=0.04; got '\(item)'")
            }
            out[parts[0]] = v
        }
        return out
    }
}

/// Evaluation instances for LASSO problems (F in Double, F* from the reference optimum).
func evaluationInstances<S: TensorScalar>(_ problems: [LASSO<S>], names: [String]) throws -> [EvaluationInstance<S>] {
    try evaluationInstances(problems, names: names) { $0.cast(to: Double.self) }
}

/// Evaluation instances for logistic-regression problems (F in Double, F* from the reference optimum).
func evaluationInstances<S: TensorScalar>(_ problems: [LogisticRegression<S>], names: [String]) throws -> [EvaluationInstance<S>] {
    try evaluationInstances(problems, names: names) { $0.cast(to: Double.self) }
}

/// `EvaluationInstance(name:problem:reference:)` for each problem, with `reference` its Double copy.
func evaluationInstances<P: Optimizee, D: Optimizee>(_ problems: [P], names: [String], reference: (P) -> D) throws
    -> [EvaluationInstance<P.Scalar>] where D.Scalar == Double {
    try zip(problems, names).map { p, name in
        do { return try EvaluationInstance(name: name, problem: p, reference: reference(p)) } catch let error as OptimizeeError {
            throw ValidationError("\(error)")
        }
    }
}
