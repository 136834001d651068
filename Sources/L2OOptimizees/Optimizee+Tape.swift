import L2OCore

/// The oracles as tape operations, for meta-training that differentiates through them.
extension Optimizee {
    /// `∇f_s(x)` as a tape op. Backward: `ū ↦ ∇²f_s(x) ū` (the Hessian is symmetric), so the
    /// meta-gradient sees second-order terms.
    public func gradient(shard s: Int, at x: Variable<Scalar>) -> Variable<Scalar> {
        let xv = x.value
        return Variable.record(gradient(shard: s, at: xv), inputs: [x]) { u in
            [self.hessianVectorProduct(shard: s, at: xv, direction: u)]
        }
    }

    /// All local gradients `G = [∇f_i(x_i)]_i` of a node matrix `X` `[n, d]` as one tape op.
    /// Backward: row `i` of `Ū` becomes `∇²f_i(x_i) ū_i`.
    public func gradients(at X: Variable<Scalar>) -> Variable<Scalar> {
        let xv = X.value
        return Variable.record(gradients(at: xv), inputs: [X]) { u in
            [self.hessianVectorProducts(at: xv, directions: u)]
        }
    }

    /// `F(x)` as a scalar tape op (e.g. the meta-loss `F(x̄)`). Backward:
    /// `ḡ·(Σ_s α_s ∇f_s(x) + ξ)` with the subgradient `ξ = λ·sign(x)` of the ℓ₁ term (0 at 0).
    public func value(_ x: Variable<Scalar>) -> Variable<Scalar> {
        let xv = x.value
        return Variable.record(Tensor(value(xv)), inputs: [x]) { g in
            [(self.smoothGradient(at: xv) + self.regularizer.subgradient(xv)) * g.scalars[0]]
        }
    }
}
