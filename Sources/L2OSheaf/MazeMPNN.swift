import L2OCore
import L2OData
import L2ONN

/// Settings of the recurrent message-passing baseline on mazes.
public struct MazeMPNNConfig: Codable, Equatable, Sendable {
    public enum Aggregation: String, Codable, Sendable, CaseIterable { case mean, max }
    public var aggregation: Aggregation = .mean
    /// Agent state size (as Sheaf-ADMM's d_v) and message size (as its d_e: the same
    /// communication per edge and round).
    public var stateSize = 10
    public var messageSize = 5
    public var patch = 3
    public var stride = 2
    public var connectivity: SheafGraph.Connectivity = .eight
    public var encoderHidden = [256, 256]
    public var decoderHidden = [256, 256]
    public var messageHidden = [64]
    public var updateHidden = [64]

    public init(aggregation: Aggregation = .mean) { self.aggregation = aggregation }

    public func validate() throws {
        guard stateSize > 0, messageSize > 0, patch > 0, stride > 0, stride <= patch else {
            throw SheafError.invalidConfiguration("MPNN sizes, patch and stride must be positive, stride ≤ patch")
        }
        guard (encoderHidden + decoderHidden + messageHidden + updateHidden).allSatisfy({ $0 > 0 }) else {
            throw SheafError.invalidConfiguration("MPNN hidden widths must be positive")
        }
    }
}

/// A recurrent message-passing network on Sheaf-ADMM's agent graph ([SheafADMM] App. G): the
/// same encoder and decoder around K rounds of `m_{v→u} = φ([h_u, h_v, direction])`,
/// `h_u ← h_u + ψ([h_u, aggregate_v m_{v→u}])` with mean or max aggregation, weights shared
/// across rounds.
public final class MazeMPNN<Scalar: TensorScalar>: Module {
    public let config: MazeMPNNConfig
    public let encoder: MLP<Scalar>
    public let message: MLP<Scalar>
    public let update: MLP<Scalar>
    public let decoder: MLP<Scalar>
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [("encoder", encoder), ("message", message), ("update", update), ("decoder", decoder)] }

    public init(config: MazeMPNNConfig, rng: inout RandomState) throws {
        try config.validate()
        self.config = config
        let inputs = 3 * config.patch * config.patch, h = config.stateSize
        encoder = try MLP(sizes: [inputs] + config.encoderHidden + [h], rng: &rng)
        message = try MLP(sizes: [2 * h + 8] + config.messageHidden + [config.messageSize], rng: &rng)
        update = try MLP(sizes: [h + config.messageSize] + config.updateHidden + [h], rng: &rng)
        decoder = try MLP(sizes: [h + inputs] + config.decoderHidden + [config.patch * config.patch], rng: &rng)
    }

    public func graph(size: Int) throws -> SheafGraph {
        try SheafGraph.gridPatches(height: size, width: size, patch: config.patch, stride: config.stride, connectivity: config.connectivity)
    }

    /// Agent states after each of `rounds` rounds, and the view features.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func states(_ mazes: [Maze], rounds: Int, context: ForwardContext<Scalar>) throws -> (states: [Variable<Scalar>], features: Variable<Scalar>, graph: SheafGraph) {
        let size = try commonMazeSize(mazes)
        guard rounds >= 1 else { throw SheafError.invalidConfiguration("rounds must be at least 1, got \(rounds)") }
        let g = try graph(size: size)
        let B = mazes.count, A = g.agentCount, E = g.edgeCount
        let features = Variable(constant: MazeSheafModel<Scalar>.viewFeatures(mazes, graph: g))
        var h = try encoder(features, context: context)  // [B·A, h]
        // Directed edges v → u for every edge end u: receivers, senders, the receiver end's direction.
        var receivers = [Int](), senders = [Int](), direction = [Scalar]()
        for b in 0..<B {
            for e in g.edges {
                receivers += [b * A + e.u, b * A + e.v]
                senders += [b * A + e.v, b * A + e.u]
                for slot in [e.uSlot, e.vSlot] { direction += (0..<8).map { $0 == slot ? 1 : 0 } }
            }
        }
        let directions = Variable(constant: Tensor(shape: [2 * B * E, 8], scalars: direction))
        var degree = [Scalar](repeating: 0, count: B * A)
        for r in receivers { degree[r] += 1 }
        let inverseDegree = Tensor(shape: [B * A, 1], scalars: degree.map { $0 > 0 ? 1 / $0 : 0 })
        var out = [Variable<Scalar>]()
        for _ in 0..<rounds {
            let m = try message(Variable.concat([h.gatherRows(receivers), h.gatherRows(senders), directions], axis: 1), context: context)
            let aggregated: Variable<Scalar>
            switch config.aggregation {
            case .mean: aggregated = m.scatterAddRows(receivers, rowCount: B * A) * inverseDegree
            case .max: aggregated = try segmentMax(m, segments: receivers, count: B * A)
            }
            h = h + (try update(Variable.concat([h, aggregated], axis: 1), context: context))
            out.append(h)
        }
        return (out, features, g)
    }
}

extension MazeMPNN {
    /// Logits `[B, size²]` after each of the last `decodeLast` (all when nil) of `rounds` rounds.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func logits(_ mazes: [Maze], rounds: Int, decodeLast: Int?, context: ForwardContext<Scalar>) throws -> [Variable<Scalar>] {
        let (hs, features, g) = try states(mazes, rounds: rounds, context: context)
        let size = mazes[0].size
        return try hs.suffix(Swift.max(1, Swift.min(decodeLast ?? rounds, rounds))).map { h in
            averageOverViews(try decoder(Variable.concat([h, features], axis: 1), context: context), graph: g, batch: mazes.count, size: size)
        }
    }

}

extension MazeMPNN: MazeSolverModel where Scalar == Float {
    public typealias Config = MazeMPNNConfig
    public static var kind: String { "maze-mpnn" }

    public func pathLogits(_ mazes: [Maze], rounds: Int, decodeLast: Int?, context: ForwardContext<Float>) throws -> [Variable<Float>] {
        try logits(mazes, rounds: rounds, decodeLast: decodeLast, context: context)
    }

    public func evaluationPass(_ mazes: [Maze], rounds: Int) throws -> (logits: [Tensor<Float>], residuals: (primal: [Double], dual: [Double])?) {
        (try pathLogits(mazes, rounds: rounds, decodeLast: nil, context: ForwardContext(tape: nil)).map(\.value), nil)
    }
}
