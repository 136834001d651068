import L2OCore
import L2OData
import L2ONN

/// A model that reads a batch of mazes (of one size) through agents on patches and returns
/// per-pixel path logits after each of its rounds (ADMM iterations or message-passing steps):
/// Sheaf-ADMM and the message-passing baselines, trained and evaluated the same way.
public protocol MazeSolverModel: Module where Scalar == Float {
    associatedtype Config: Codable & Equatable & Sendable
    /// The checkpoint kind of the model (`sheaf-admm`, `maze-mpnn`).
    static var kind: String { get }
    var config: Config { get }
    init(config: Config, rng: inout RandomState) throws
    /// Logits `[B, size²]` after each of the last `decodeLast` (all when nil) of `rounds` rounds.
    func pathLogits(_ mazes: [Maze], rounds: Int, decodeLast: Int?, context: ForwardContext<Float>) throws -> [Variable<Float>]
    /// One tape-free pass for evaluation: the logits after every round, and the mean primal and
    /// dual residuals per round when the model has them (Sheaf-ADMM).
    func evaluationPass(_ mazes: [Maze], rounds: Int) throws -> (logits: [Tensor<Float>], residuals: (primal: [Double], dual: [Double])?)
}

extension MazeSolverModel {
    /// Binary cross-entropy of the path labels, averaged over the last `window` rounds.
    public func mazeLoss(_ mazes: [Maze], paths: [[Bool]], rounds: Int, window: Int, context: ForwardContext<Float>) throws -> Variable<Float> {
        let w = Swift.max(1, Swift.min(window, rounds))
        return try pathLoss(try pathLogits(mazes, rounds: rounds, decodeLast: w, context: context), paths: paths)
    }
}

/// The mean over `logits` (each `[B, size²]`) of the binary cross-entropy against the path masks.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func pathLoss<S: TensorScalar>(_ logits: [Variable<S>], paths: [[Bool]]) throws -> Variable<S> {
    guard let first = logits.first else { throw SheafError.invalidConfiguration("no logits to score") }
    let targets = Tensor<S>(shape: first.shape, scalars: paths.flatMap { $0.map { $0 ? 1 : 0 } })
    var total: Variable<S>? = nil
    for l in logits {
        let term = try binaryCrossEntropy(logits: l, targets: targets)
        total = total.map { $0 + term } ?? term
    }
    return total! * (1 / S(logits.count))
}

/// The size shared by a batch of mazes (a batch runs on one agent graph).
func commonMazeSize(_ mazes: [Maze]) throws -> Int {
    guard let size = mazes.first?.size, mazes.allSatisfy({ $0.size == size }) else {
        throw SheafError.invalidConfiguration("a batch needs mazes of one size, got sizes \(Set(mazes.map(\.size)).sorted())")
    }
    return size
}

/// Per-pixel logits from per-agent view logits: each pixel's logit is the mean over the views
/// that contain it. `perView [B·A, p²]` → `[B, size²]`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func averageOverViews<S: TensorScalar>(_ perView: Variable<S>, graph: SheafGraph, batch B: Int, size: Int) -> Variable<S> {
    let A = graph.agentCount, v = graph.views[0].count
    let index = (0..<B).flatMap { b in (0..<A).flatMap { a in graph.views[a].map { b * size * size + $0 } } }
    var counts = [S](repeating: 0, count: size * size)
    for view in graph.views { for p in view { counts[p] += 1 } }
    let inverse = Tensor<S>(shape: [B * size * size, 1], scalars: (0..<B).flatMap { _ in counts.map { $0 > 0 ? 1 / $0 : 0 } })
    return (perView.reshaped([B * A * v, 1]).scatterAddRows(index, rowCount: B * size * size) * inverse).reshaped([B, size * size])
}

/// `out[s] = max over the rows r with segment[r] = s of values[r]` (elementwise over columns;
/// 0 for an empty segment), differentiable: the gradient goes to the row that attained the
/// maximum (the first one on ties). Throws unless there is one segment id in `0..<count` per row.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func segmentMax<S: TensorScalar>(_ values: Variable<S>, segments: [Int], count: Int) throws -> Variable<S> {
    let n = values.shape.first ?? 0, d = values.shape.dropFirst().reduce(1, *)
    guard values.shape.count >= 1, segments.count == n, count >= 0, segments.allSatisfy({ (0..<count).contains($0) }) else {
        throw SheafError.shapeMismatch(operation: "segmentMax: \(segments.count) segment ids in 0..<\(count) expected, one per row",
                                       expected: "[\(segments.count), *]", actual: values.shape)
    }
    var argmax = [Int](repeating: -1, count: count * d)
    let v = values.value
    let out = Tensor<S>(shape: [count, d]) { o in
        for k in 0..<(count * d) { o[k] = 0 }
        v.withUnsafeBufferPointer { p in
            for r in 0..<n {
                let s = segments[r]
                for j in 0..<d where argmax[s * d + j] < 0 || p[r * d + j] > o[s * d + j] {
                    o[s * d + j] = p[r * d + j]
                    argmax[s * d + j] = r
                }
            }
        }
    }
    let shape = values.shape
    return Variable.record(out, inputs: [values]) { g in
        var grad = Tensor<S>.zeros(shape)
        grad.withUnsafeMutableBufferPointer { gp in
            g.withUnsafeBufferPointer { gg in
                for k in 0..<(count * d) where argmax[k] >= 0 { gp[argmax[k] * d + k % d] += gg[k] }
            }
        }
        return [grad]
    }
}
