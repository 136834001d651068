import Foundation
import L2OCore
import L2ODecentralized

/// Decentralized methods by name: a handcrafted one (`prox-ed`, with its step size; see
/// `HandcraftedMethods`) or a learned one (`milodo:PATH`, a MiLoDo checkpoint, which must have
/// been trained on the graph of `mixing`). Errors are `SourceError`s: `.selection` for a name,
/// missing step or graph that does not fit, `.data` for an unreadable checkpoint.
public enum DecentralizedMethods {
    /// The prefix of learned methods.
    public static let learnedPrefix = "milodo:"

    public static func make<S: TensorScalar>(_ spec: String, stepSize: Double?, mixing: MixingMatrix<S>,
                                             floatNetworks: Bool = true, safeguard: Safeguard? = Safeguard()) throws -> any DecentralizedMethod<S> {
        if spec.hasPrefix(learnedPrefix) {
            return try loadMiLoDo(String(spec.dropFirst(learnedPrefix.count)), mixing: mixing, floatNetworks: floatNetworks, safeguard: safeguard)
        }
        guard HandcraftedMethods.names.contains(spec) else {
            throw SourceError.selection("unknown method '\(spec)'; choose from \(HandcraftedMethods.names.joined(separator: ", ")) or \(learnedPrefix)CHECKPOINT.h5")
        }
        guard let stepSize else {
            throw SourceError.selection("no step size for \(spec): run `l2o tune` and pass --tuned FILE, or give --step \(spec)=γ")
        }
        return try HandcraftedMethods.make(spec, stepSize: S(stepSize))
    }

    /// The MiLoDo rule of the checkpoint at `path`, checked against the graph of `mixing`. With
    /// `floatNetworks` (the default: the precision the networks were trained in) its networks run
    /// in Float on the packed in-place path (`MiLoDoModel.inferenceStep`), whatever the iterates'
    /// scalar; otherwise in `S` through the tensor path, and the method is named `milodo-f64net`
    /// (for Double), so tables say which was measured. `safeguard` (on by default) falls back to
    /// Exact Diffusion's step when the learned steps stop making progress (`Safeguard`); without
    /// it the method is named `…-unguarded`.
    public static func loadMiLoDo<S: TensorScalar>(_ path: String, mixing: MixingMatrix<S>, floatNetworks: Bool = true,
                                                   safeguard: Safeguard? = Safeguard()) throws -> MiLoDoOptimizer<S> {
        let loaded: (model: MiLoDoModel<S>, mixing: MixingMatrix<S>, config: MiLoDoConfig)
        do { loaded = try MiLoDoCheckpoint.load(from: URL(fileURLWithPath: path), as: S.self) } catch {
            throw SourceError.data("cannot load \(path): \(error)")
        }
        guard loaded.model.topology.nodeCount == mixing.topology.nodeCount else {
            throw SourceError.data("\(path) was trained for \(loaded.model.topology.nodeCount) nodes, but the problems have \(mixing.topology.nodeCount) nodes; evaluate it on \(loaded.model.topology.nodeCount)-node problems or use a checkpoint trained for \(mixing.topology.nodeCount) nodes")
        }
        guard loaded.model.topology.edges == mixing.topology.edges else {
            throw SourceError.data("\(path) was trained on \(loaded.model.topology), but the evaluation uses \(mixing.topology); pass --topology \(loaded.config.topology)")
        }
        loaded.model.useFloatInference(floatNetworks)
        let name = (floatNetworks || S.self == Float.self ? "milodo" : "milodo-f64net") + (safeguard == nil ? "-unguarded" : "")
        return MiLoDoOptimizer(model: loaded.model, seed: 0, name: name, safeguard: safeguard)
    }
}
