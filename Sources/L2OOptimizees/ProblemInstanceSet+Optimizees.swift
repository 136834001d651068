import L2OCheckpoint
import L2OCore

/// Instance sets (`ProblemInstanceSet`, the arrays of an instance-set file) to and from problems.
///
/// The objective convention is the one of `LASSO` / `LogisticRegression`:
/// `F(x) = (1/n) Σ_i f_i(x) + λ‖x‖₁` with `f_i` averaged over the node's `N` rows.
extension ProblemInstanceSet {
    /// Stacks LASSO instances of equal shape and λ (reference optima kept when every instance has one).
    public init(_ instances: [LASSO<Scalar>], seed: UInt64? = nil) throws {
        try self.init(.lasso, instances.map { ($0.A, $0.b, Double($0.lambda), $0.referenceOptimum) }, seed: seed)
    }

    /// Stacks logistic-regression instances of equal shape and λ.
    public init(_ instances: [LogisticRegression<Scalar>], seed: UInt64? = nil) throws {
        try self.init(.logistic, instances.map { ($0.A, $0.b, Double($0.lambda), $0.referenceOptimum) }, seed: seed)
    }

    init(_ problem: Problem, _ parts: [(Tensor<Scalar>, Tensor<Scalar>, Double, ReferenceOptimum<Scalar>?)], seed: UInt64?) throws {
        guard let first = parts.first else {
            throw OptimizeeError.invalidArgument(what: "instance set", detail: "no instances; generate at least one")
        }
        for (k, p) in parts.enumerated() where p.0.shape != first.0.shape || p.2 != first.2 {
            throw OptimizeeError.invalidArgument(
                what: "instance set", detail: "instance \(k) has shape \(p.0.shape), λ = \(p.2) but instance 0 has \(first.0.shape), λ = \(first.2); a set holds one shape")
        }
        let optima = parts.compactMap(\.3)
        let complete = optima.count == parts.count
        try self.init(
            problem: problem, lambda: first.2,
            A: Tensor(shape: [parts.count] + first.0.shape, scalars: parts.flatMap(\.0.scalars)),
            b: Tensor(shape: [parts.count] + first.1.shape, scalars: parts.flatMap(\.1.scalars)),
            xStar: complete ? Tensor(shape: [parts.count, first.0.shape[2]], scalars: optima.flatMap(\.x.scalars)) : nil,
            fStar: complete ? Tensor(optima.map { Scalar($0.value) }) : nil, seed: seed)
    }

    /// The reference optimum read back: `x*` and `F*` as stored, the KKT residual re-evaluated.
    func optimum<P: Optimizee>(_ p: P, _ x: Tensor<Scalar>?, _ f: Scalar?) -> ReferenceOptimum<Scalar>? where P.Scalar == Scalar {
        guard let x, let f else { return nil }
        return ReferenceOptimum(x: x, value: Double(f), kktResidual: Double(p.kktResidual(at: x)), iterations: 0)
    }

    /// The instances as LASSO problems (throws unless `problem == .lasso`).
    public func lassoInstances() throws -> [LASSO<Scalar>] {
        guard problem == .lasso else {
            throw OptimizeeError.invalidArgument(what: "instance set", detail: "holds \(problem.rawValue) instances, not lasso")
        }
        return try (0..<count).map { k in
            let p = instance(k)
            var inst = try LASSO(A: p.A, b: p.b, lambda: Scalar(lambda))
            inst.referenceOptimum = optimum(inst, p.xStar, p.fStar)
            return inst
        }
    }

    /// The instances as logistic-regression problems (throws unless `problem == .logistic`).
    public func logisticInstances() throws -> [LogisticRegression<Scalar>] {
        guard problem == .logistic else {
            throw OptimizeeError.invalidArgument(what: "instance set", detail: "holds \(problem.rawValue) instances, not logistic")
        }
        return try (0..<count).map { k in
            let p = instance(k)
            var inst = try LogisticRegression(A: p.A, b: p.b, lambda: Scalar(lambda))
            inst.referenceOptimum = optimum(inst, p.xStar, p.fStar)
            return inst
        }
    }
}
