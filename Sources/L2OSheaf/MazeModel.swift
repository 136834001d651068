import L2OCore
import L2OData
import L2ONN

/// Settings of the maze model (stored with its checkpoints).
public struct MazeModelConfig: Codable, Equatable, Sendable {
    public var layer: SheafADMMConfig
    /// Patch size and stride of the agents' views, and their connectivity.
    public var patch: Int = 3
    public var stride: Int = 2
    public var connectivity: SheafGraph.Connectivity = .eight
    /// Rank of the encoder's restriction-map update (0: fixed maps).
    public var rank: Int = 4
    /// Hidden widths of the shared encoder and decoder MLPs.
    public var encoderHidden: [Int] = [256, 256]
    public var decoderHidden: [Int] = [256, 256]

    /// The paper's maze configuration: d_v = 10, d_e = 5, rank 4, directional base maps,
    /// 3×3 patches with stride 2, 8-connected.
    public static var paper: MazeModelConfig {
        var layer = SheafADMMConfig(vertexStalk: 10, edgeStalk: 5)
        layer.sharing = .perSlot
        return MazeModelConfig(layer: layer)
    }

    public init(layer: SheafADMMConfig) { self.layer = layer }

    public func validate() throws {
        try layer.validate()
        guard patch > 0, stride > 0, stride <= patch else {
            throw SheafError.invalidConfiguration("patch (\(patch)) and stride (\(stride)) must be positive, stride ≤ patch")
        }
        guard rank >= 0 else { throw SheafError.invalidConfiguration("rank must not be negative, got \(rank)") }
        guard (encoderHidden + decoderHidden).allSatisfy({ $0 > 0 }) else {
            throw SheafError.invalidConfiguration("hidden widths must be positive, got \(encoderHidden) and \(decoderHidden)")
        }
    }
}

/// Sheaf-ADMM on mazes: every agent sees one patch (its pixels' three channels: open, start,
/// goal); a shared encoder maps the patch to the agent's local objective (curvature D =
/// softplus(·) + 1e-4, linear term q), its initial state and its low-rank restriction-map update;
/// the layer runs K ADMM iterations; a shared decoder maps each agent's iterate and patch to
/// logits for its pixels (on the shortest path or not), averaged over the views that see a pixel.
public final class MazeSheafModel<Scalar: TensorScalar>: Module {
    public let config: MazeModelConfig
    public let encoder: MLP<Scalar>
    public let decoder: MLP<Scalar>
    public let layer: SheafADMMLayer<Scalar>
    public var isTraining = true
    public var localParameters: NamedParameters<Scalar> { [] }
    public var localBuffers: NamedBuffers<Scalar> { [] }
    public var children: NamedChildren<Scalar> { [("encoder", encoder), ("layer", layer), ("decoder", decoder)] }

    var viewSize: Int { config.patch * config.patch }
    var encoderOutputs: Int {
        let dv = config.layer.vertexStalk, de = config.layer.edgeStalk
        return 3 * dv + config.rank * (de + dv)
    }

    public init(config: MazeModelConfig, rng: inout RandomState) throws {
        try config.validate()
        self.config = config
        let inputs = 3 * config.patch * config.patch, dv = config.layer.vertexStalk
        layer = try SheafADMMLayer(config: config.layer, slotCount: 8, rng: &rng)
        encoder = try MLP(sizes: [inputs] + config.encoderHidden + [3 * dv + config.rank * (config.layer.edgeStalk + dv)], rng: &rng)
        decoder = try MLP(sizes: [dv + inputs] + config.decoderHidden + [config.patch * config.patch], rng: &rng)
    }

    /// The agents' graph for mazes of `size × size` pixels.
    public func graph(size: Int) throws -> SheafGraph {
        try SheafGraph.gridPatches(height: size, width: size, patch: config.patch, stride: config.stride, connectivity: config.connectivity)
    }

    /// The agents' views of a batch of mazes of one size: `[B·A, 3·p²]` (channel-major per pixel).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func viewFeatures(_ mazes: [Maze], graph: SheafGraph) -> Tensor<Scalar> {
        let v = graph.views[0].count, A = graph.agentCount
        return Tensor(shape: [mazes.count * A, 3 * v]) { out in
            for (b, m) in mazes.enumerated() {
                for a in 0..<A {
                    for (k, p) in graph.views[a].enumerated() {
                        let row = (b * A + a) * 3 * v
                        out[row + k] = m.open[p] ? 1 : 0
                        out[row + v + k] = p == m.start ? 1 : 0
                        out[row + 2 * v + k] = p == m.goal ? 1 : 0
                    }
                }
            }
        }
    }

    /// Pixel logits `[B, size²]` after each of the last `decodeLast` (all by default) of
    /// `iterations` ADMM iterations, and the layer's output.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func callAsFunction(_ mazes: [Maze], iterations: Int, decodeLast: Int? = nil, context: ForwardContext<Scalar>) throws
        -> (logits: [Variable<Scalar>], admm: SheafADMMOutput<Scalar>)
    {
        let size = try commonMazeSize(mazes)
        let g = try graph(size: size)
        let B = mazes.count, A = g.agentCount, dv = config.layer.vertexStalk, de = config.layer.edgeStalk, r = config.rank
        let features = Variable(constant: Self.viewFeatures(mazes, graph: g))
        let enc = try encoder(features, context: context)  // [B·A, out]
        func part(_ lo: Int, _ n: Int) -> Variable<Scalar> { enc.columns(lo..<(lo + n)) }
        let D = softplus(part(0, dv)).reshaped([B, A, dv]) + Scalar(1e-4)
        let q = part(dv, dv).reshaped([B, A, dv])
        let x0 = part(2 * dv, dv).reshaped([B, A, dv])
        let lowRank = r > 0 ? (part(3 * dv, de * r).reshaped([B, A, de, r]), part(3 * dv + de * r, dv * r).reshaped([B, A, dv, r])) : nil
        let out = try layer(LocalObjective(curvature: D, linear: q), initial: x0, graph: g, iterations: iterations,
                            lowRank: lowRank, context: context)
        // Each pixel's logit: the mean of the decoder's logits from the views that see it.
        let logits = try out.iterates.suffix(Swift.max(1, Swift.min(decodeLast ?? iterations, iterations))).map { x -> Variable<Scalar> in
            let perView = try decoder(Variable.concat([x.reshaped([B * A, dv]), features], axis: 1), context: context)  // [B·A, p²]
            return averageOverViews(perView, graph: g, batch: B, size: size)
        }
        return (logits, out)
    }

    /// Binary cross-entropy of the path labels, averaged over the last `window` iterates.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func loss(_ mazes: [Maze], paths: [[Bool]], iterations: Int, window: Int, context: ForwardContext<Scalar>) throws -> Variable<Scalar> {
        let w = Swift.max(1, Swift.min(window, iterations))
        return try pathLoss(try self(mazes, iterations: iterations, decodeLast: w, context: context).logits, paths: paths)
    }

    /// A maze counts as solved at an iterate when the pixels with a positive logit are exactly
    /// its shortest path. Returns, per maze, whether the last iterate solves it and the first
    /// iterate that does (nil if none).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func solved(_ logits: [Tensor<Scalar>], paths: [[Bool]]) -> [(solved: Bool, first: Int?)] {
        paths.indices.map { b in
            let n = paths[b].count
            func ok(_ t: Tensor<Scalar>) -> Bool {
                t.withUnsafeBufferPointer { p in (0..<n).allSatisfy { (p[b * n + $0] > 0) == paths[b][$0] } }
            }
            return (logits.last.map(ok) ?? false, logits.indices.first { ok(logits[$0]) }.map { $0 + 1 })
        }
    }
}

extension MazeSheafModel: MazeSolverModel where Scalar == Float {
    public typealias Config = MazeModelConfig
    public static var kind: String { "sheaf-admm" }

    public func pathLogits(_ mazes: [Maze], rounds: Int, decodeLast: Int?, context: ForwardContext<Float>) throws -> [Variable<Float>] {
        try self(mazes, iterations: rounds, decodeLast: decodeLast, context: context).logits
    }

    public func evaluationPass(_ mazes: [Maze], rounds: Int) throws -> (logits: [Tensor<Float>], residuals: (primal: [Double], dual: [Double])?) {
        let (logits, admm) = try self(mazes, iterations: rounds, context: ForwardContext(tape: nil))
        func mean(_ t: [Tensor<Float>]) -> [Double] { t.map { Double($0.sum()) / Double($0.shape[0] * $0.shape[1]) } }
        return (logits.map(\.value), (mean(admm.diagnostics.primal), mean(admm.diagnostics.dual)))
    }
}
