import L2OCore
import L2OOptimizees

/// A meta-batch of `B` problems for a learned decentralized rule, built from any `Optimizee`
/// through its oracles: node `i`'s iterates of all problems form one `[B, d]` variable, and the
/// problems' shards are the nodes.
///
/// `gradients` is the tape op `x_i ↦ ∇f_i(x_i)` (each problem's `gradients(at:)`). Its backward
/// is the problems' Hessian-vector product `∇²f_i(x_i) ū` when `secondOrder` (meta-gradients
/// through the gradient, as [MiLoDo] §4.3 does for LASSO), or nothing otherwise (gradients as
/// constants: first-order meta-gradients, as the authors do for networks).
public struct OptimizeeMetaBatch<Problem: Optimizee> {
    public typealias Scalar = Problem.Scalar
    public let problems: [Problem]
    /// Shards (nodes) and dimension shared by the problems.
    public let nodes: Int, dimension: Int
    /// The ℓ₁ weight λ shared by the problems (0 without an ℓ₁ term), for the rule's prox.
    public let lambda: Scalar
    /// `F*` of every problem (`[B]`), when all of them carry a reference optimum.
    public let optimalValues: Tensor<Scalar>?
    /// Whether `gradients` records Hessian-vector products for the meta-gradient.
    public let secondOrder: Bool
    public var batch: Int { problems.count }

    public init(_ problems: [Problem], secondOrder: Bool = true) throws {
        guard let first = problems.first else { throw MetaTrainingError.invalid("a meta-batch needs at least one instance") }
        for p in problems where p.shardCount != first.shardCount || p.dimension != first.dimension || p.regularizer != first.regularizer {
            throw MetaTrainingError.invalid(
                "instances of one meta-batch must share nodes, dimension and regularizer: \(p.shardCount) nodes, d = \(p.dimension), λ = \(p.regularizer.lambda) vs \(first.shardCount), \(first.dimension), \(first.regularizer.lambda)")
        }
        self.problems = problems
        nodes = first.shardCount
        dimension = first.dimension
        lambda = first.regularizer.lambda
        self.secondOrder = secondOrder
        let optima = problems.compactMap(\.referenceOptimum)
        optimalValues = optima.count == problems.count ? Tensor(optima.map { Scalar($0.value) }) : nil
    }

    /// Row `b` of a `[B, d]` tensor as a `[d]` vector.
    @inlinable
    func row(_ t: Tensor<Scalar>, _ b: Int) -> Tensor<Scalar> {
        let d = dimension
        return Tensor(shape: [d], scalars: Array(t.scalars[(b * d)..<((b + 1) * d)]))
    }

    /// `∇f_i(x_i)` for every node, each `[B, d]` (differentiable; see the type's note).
    @_specialize(where Problem == LASSO<Float>)
    @_specialize(where Problem == LASSO<Double>)
    public func gradients(_ xs: [Variable<Scalar>]) -> [Variable<Scalar>] {
        let B = batch, d = dimension, n = nodes
        var out = [[Scalar]](repeating: [Scalar](repeating: 0, count: B * d), count: n)
        var X = [Scalar](repeating: 0, count: n * d)
        for b in 0..<B {
            for i in 0..<n {
                let x = xs[i].value.scalars
                for j in 0..<d { X[i * d + j] = x[b * d + j] }
            }
            let G = problems[b].gradients(at: Tensor(shape: [n, d], scalars: X)).scalars
            for i in 0..<n {
                for j in 0..<d { out[i][b * d + j] = G[i * d + j] }
            }
        }
        return (0..<n).map { i in
            let g = Tensor(shape: [B, d], scalars: out[i])
            guard secondOrder else { return Variable(constant: g) }
            let xv = xs[i].value
            return Variable.record(g, inputs: [xs[i]]) { u in
                var h = [Scalar](repeating: 0, count: B * d)
                for b in 0..<B {
                    let hv = problems[b].hessianVectorProduct(shard: i, at: row(xv, b), direction: row(u, b)).scalars
                    for j in 0..<d { h[b * d + j] = hv[j] }
                }
                return [Tensor(shape: [B, d], scalars: h)]
            }
        }
    }

    /// The mean `x̄ = (1/n) Σ_i x_i` of the nodes' iterates, `[B, d]`.
    @_specialize(where Problem == LASSO<Float>)
    @_specialize(where Problem == LASSO<Double>)
    public func average(_ xs: [Variable<Scalar>]) -> Variable<Scalar> {
        var xbar = xs[0]
        for x in xs.dropFirst() { xbar = xbar + x }
        return xbar / Scalar(nodes)
    }

    /// `F(x̄_b)` for every problem `b` (shape `[B]`), differentiable (`Optimizee.value` with the
    /// ℓ₁ subgradient `λ·sign(x̄)`).
    @_specialize(where Problem == LASSO<Float>)
    @_specialize(where Problem == LASSO<Double>)
    public func objectives(_ xs: [Variable<Scalar>]) -> Variable<Scalar> {
        let xbar = average(xs)
        let xv = xbar.value
        let B = batch, d = dimension
        let values = (0..<B).map { problems[$0].value(row(xv, $0)) }
        return Variable.record(Tensor(values), inputs: [xbar]) { g in
            var out = [Scalar](repeating: 0, count: B * d)
            for b in 0..<B {
                let x = row(xv, b), p = problems[b]
                let s = (p.smoothGradient(at: x) + p.regularizer.subgradient(x)).scalars
                let gb = g.scalars[b]
                for j in 0..<d { out[b * d + j] = s[j] * gb }
            }
            return [Tensor(shape: [B, d], scalars: out)]
        }
    }

    /// The consensus error `(1/n) Σ_i ‖x_i − x̄‖²` of every problem (shape `[B]`), differentiable.
    @_specialize(where Problem == LASSO<Float>)
    @_specialize(where Problem == LASSO<Double>)
    public func consensusErrors(_ xs: [Variable<Scalar>]) -> Variable<Scalar> {
        let xbar = average(xs)
        var e: Variable<Scalar>?
        for x in xs {
            let r = x - xbar
            let sq = (r * r).sum(axis: 1)
            e = e.map { $0 + sq } ?? sq
        }
        return e! / Scalar(nodes)
    }
}
