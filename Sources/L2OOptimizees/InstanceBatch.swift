import L2OCore

/// Several instances of one decentralized problem with equal shapes, stacked into arrays — the
/// in-memory form of an instance-set file (`docs/checkpoint-format.md` §4), without any file I/O
/// (the CLI copies it to and from `ProblemInstanceSet`).
///
/// The objective convention is the one of `LASSO` / `LogisticRegression`:
/// `F(x) = (1/n) Σ_i f_i(x) + λ‖x‖₁` with `f_i` averaged over the node's `N` rows.
public struct InstanceBatch<Scalar: TensorScalar>: Sendable, Equatable {
    /// The objective of every instance.
    public enum Problem: String, Sendable, CaseIterable {
        case lasso, logistic
    }

    public var problem: Problem
    public var lambda: Double
    /// `[count, n, N, d]`.
    public var A: Tensor<Scalar>
    /// `[count, n, N]`.
    public var b: Tensor<Scalar>
    /// `[count, d]`, when every instance has a reference optimum.
    public var xStar: Tensor<Scalar>?
    /// `[count]` (F* of each instance), when every instance has a reference optimum.
    public var fStar: Tensor<Scalar>?

    public init(problem: Problem, lambda: Double, A: Tensor<Scalar>, b: Tensor<Scalar>, xStar: Tensor<Scalar>? = nil, fStar: Tensor<Scalar>? = nil) throws {
        guard A.rank == 4, A.shape.allSatisfy({ $0 >= 1 }) else {
            throw OptimizeeError.shapeMismatch(what: "instance batch A", expected: "[count, n, N, d] with every extent ≥ 1", found: A.shape)
        }
        let (count, n, N, d) = (A.shape[0], A.shape[1], A.shape[2], A.shape[3])
        for (name, t, shape) in [("b", b, [count, n, N]), ("x_star", xStar, [count, d]), ("f_star", fStar, [count])] {
            if let t, t.shape != shape {
                throw OptimizeeError.shapeMismatch(what: "instance batch \(name)", expected: "\(shape)", found: t.shape)
            }
        }
        self.problem = problem
        self.lambda = lambda
        self.A = A
        self.b = b
        self.xStar = xStar
        self.fStar = fStar
    }

    public var count: Int { A.shape[0] }

    /// Stacks LASSO instances of equal shape and λ.
    public init(_ instances: [LASSO<Scalar>]) throws {
        try self.init(.lasso, instances.map { ($0.A, $0.b, Double($0.lambda), $0.referenceOptimum) })
    }

    /// Stacks logistic-regression instances of equal shape and λ.
    public init(_ instances: [LogisticRegression<Scalar>]) throws {
        try self.init(.logistic, instances.map { ($0.A, $0.b, Double($0.lambda), $0.referenceOptimum) })
    }

    init(_ problem: Problem, _ parts: [(Tensor<Scalar>, Tensor<Scalar>, Double, ReferenceOptimum<Scalar>?)]) throws {
        guard let first = parts.first else {
            throw OptimizeeError.invalidArgument(what: "instance batch", detail: "no instances; generate at least one")
        }
        for (k, p) in parts.enumerated() where p.0.shape != first.0.shape || p.2 != first.2 {
            throw OptimizeeError.invalidArgument(
                what: "instance batch", detail: "instance \(k) has shape \(p.0.shape), λ = \(p.2) but instance 0 has \(first.0.shape), λ = \(first.2); a batch holds one shape")
        }
        let optima = parts.compactMap(\.3)
        let complete = optima.count == parts.count
        try self.init(
            problem: problem, lambda: first.2,
            A: Tensor(shape: [parts.count] + first.0.shape, scalars: parts.flatMap(\.0.scalars)),
            b: Tensor(shape: [parts.count] + first.1.shape, scalars: parts.flatMap(\.1.scalars)),
            xStar: complete ? Tensor(shape: [parts.count, first.0.shape[2]], scalars: optima.flatMap(\.x.scalars)) : nil,
            fStar: complete ? Tensor(optima.map { Scalar($0.value) }) : nil)
    }

    /// Instance `k`'s arrays.
    func parts(_ k: Int) -> (A: Tensor<Scalar>, b: Tensor<Scalar>, x: Tensor<Scalar>?, f: Scalar?) {
        let (n, N, d) = (A.shape[1], A.shape[2], A.shape[3])
        let a = Tensor(shape: [n, N, d], scalars: Array(A.scalars[(k * n * N * d)..<((k + 1) * n * N * d)]))
        let bk = Tensor(shape: [n, N], scalars: Array(b.scalars[(k * n * N)..<((k + 1) * n * N)]))
        return (a, bk, xStar.map { Tensor(Array($0.scalars[(k * d)..<((k + 1) * d)])) }, fStar?.scalars[k])
    }

    /// The reference optimum read back: `x*` and `F*` as stored, the KKT residual re-evaluated.
    func optimum<P: Optimizee>(_ p: P, _ x: Tensor<Scalar>?, _ f: Scalar?) -> ReferenceOptimum<Scalar>? where P.Scalar == Scalar {
        guard let x, let f else { return nil }
        return ReferenceOptimum(x: x, value: Double(f), kktResidual: Double(p.kktResidual(at: x)), iterations: 0)
    }

    /// The instances as LASSO problems (throws unless `problem == .lasso`).
    public func lassoInstances() throws -> [LASSO<Scalar>] {
        guard problem == .lasso else {
            throw OptimizeeError.invalidArgument(what: "instance batch", detail: "holds \(problem.rawValue) instances, not lasso")
        }
        return try (0..<count).map { k in
            let p = parts(k)
            var inst = try LASSO(A: p.A, b: p.b, lambda: Scalar(lambda))
            inst.referenceOptimum = optimum(inst, p.x, p.f)
            return inst
        }
    }

    /// The instances as logistic-regression problems (throws unless `problem == .logistic`).
    public func logisticInstances() throws -> [LogisticRegression<Scalar>] {
        guard problem == .logistic else {
            throw OptimizeeError.invalidArgument(what: "instance batch", detail: "holds \(problem.rawValue) instances, not logistic")
        }
        return try (0..<count).map { k in
            let p = parts(k)
            var inst = try LogisticRegression(A: p.A, b: p.b, lambda: Scalar(lambda))
            inst.referenceOptimum = optimum(inst, p.x, p.f)
            return inst
        }
    }
}
