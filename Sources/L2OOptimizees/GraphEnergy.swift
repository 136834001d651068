import Foundation
import L2OCore
import L2OData

/// `(sin x, cos x)`, evaluated in Double and rounded to `S` (correctly rounded for Float).
@inlinable
func sinCos<S: TensorScalar>(_ x: S) -> (sin: S, cos: S) {
    let d = Double(x)
    return (S(Foundation.sin(d)), S(Foundation.cos(d)))
}

/// The oracle preconditions every single-shard graph energy shares: shard 0 and `x` of shape
/// `[dimension]` (programming errors, not user input).
@inlinable
func checkSingleShard<S: TensorScalar>(_ problem: StaticString, shard s: Int, _ x: Tensor<S>, dimension: Int) {
    precondition(s == 0, "\(problem): shard \(s) outside 0..<1")
    precondition(x.shape == [dimension], "\(problem): x must be [\(dimension)], got \(x.shape)")
}

/// Checks what every graph energy needs: at least one edge, and a finite initial point of
/// shape `[dimension]`.
func validateGraphEnergy<S: TensorScalar>(_ graph: Graph, initialPoint: Tensor<S>, dimension: Int, problem: String) throws {
    guard graph.edgeCount >= 1 else {
        throw OptimizeeError.invalidArgument(what: "\(problem) graph", detail: "\(graph.name) has no edges; the energy would be constant")
    }
    guard initialPoint.shape == [dimension] else {
        throw OptimizeeError.shapeMismatch(what: "\(problem) initial point", expected: "[\(dimension)]", found: initialPoint.shape)
    }
    let bad = initialPoint.scalars.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
    guard bad == 0 else { throw OptimizeeError.nonFiniteValues(what: "\(problem) initial point", count: bad) }
}

/// The Kuramoto order parameter `ρ = |(1/n) Σ_j e^{i w_j}| = (1/n)·√((Σ_j cos w_j)² + (Σ_j sin w_j)²)`
/// of phases `w` (1 when all phases are equal mod 2π, near 0 for incoherent phases).
@inlinable
public func kuramotoOrderParameter<S: TensorScalar>(_ w: Tensor<S>) -> Double {
    guard w.count > 0 else { return 0 }
    var c = 0.0, s = 0.0
    for x in w.scalars {
        c += Foundation.cos(Double(x))
        s += Foundation.sin(Double(x))
    }
    return (c * c + s * s).squareRoot() / Double(w.count)
}

/// `Σ_e t_e (e_i − e_j)` over the edges `e = (i, j)`: `out_i += t_e`, `out_j −= t_e` with
/// `t_e = term(i, j)` — the shape of every gradient and Hessian-vector product of an energy of
/// differences across edges. `count` is the length of `out`.
@inlinable
func edgeAntisymmetricSum<S: TensorScalar>(_ graph: Graph, count: Int, _ term: (Int, Int) -> S) -> Tensor<S> {
    var out = Tensor<S>.zeros([count])
    out.scalars.withUnsafeMutableBufferPointer { o in
        graph.edges.withUnsafeBufferPointer { e in
            for edge in e {
                let t = term(edge.i, edge.j)
                o[edge.i] += t
                o[edge.j] -= t
            }
        }
    }
    return out
}
