import L2OCore

extension Optimizee {
    /// `Σ_s α_s ∇²f_s(x) v`.
    public func smoothHessianVectorProduct(at x: Tensor<Scalar>, direction v: Tensor<Scalar>) -> Tensor<Scalar> {
        let w = shardWeights
        var out = Tensor<Scalar>.zeros([dimension])
        for s in 0..<shardCount { out.addScaled(hessianVectorProduct(shard: s, at: x, direction: v), w[s]) }
        return out
    }
}

/// The centralized reference solver: FISTA (Beck & Teboulle, 2009) with backtracking and the
/// gradient-based adaptive restart of O'Donoghue & Candès (2015), in Double, for convex `f`.
///
/// With `f = Σ_s α_s f_s` and step `1/L`:
/// ```
/// x⁺ = prox_{r/L}(y − ∇f(y)/L)          L doubled until (∇f(x⁺) − ∇f(y))ᵀ(x⁺ − y) ≤ L/2‖x⁺ − y‖²
/// restart if (y − x⁺)ᵀ(x⁺ − x) > 0:  t = 1, y = x⁺
/// else  t⁺ = (1 + √(1 + 4t²))/2,  y = x⁺ + ((t − 1)/t⁺)(x⁺ − x)
/// ```
/// For convex `f`, `f(y) ≥ f(x⁺) + ∇f(x⁺)ᵀ(y − x⁺)`, so the gradient test implies the usual
/// quadratic upper bound `f(x⁺) ≤ f(y) + ∇f(y)ᵀ(x⁺ − y) + L/2‖x⁺ − y‖²`; unlike a test on function
/// values it does not suffer cancellation near the optimum (a value test there doubles `L`
/// spuriously and stalls the iteration). `L` starts from a power-iteration estimate of
/// `‖∇²f(x₀)‖₂`. The solver stops when the KKT residual `‖dist(−∇f(x⁺), ∂r(x⁺))‖₂`
/// (`Optimizee.kktResidual`) of the latest prox point is ≤ `tolerance`; it is evaluated every
/// iteration from the `∇f(x⁺)` the test already computed. That point has exact zeros where the
/// ℓ₁ prox sets them.
public struct FISTA: Sendable {
    /// Target KKT residual.
    public var tolerance: Double
    /// Iteration budget; exceeding it throws `OptimizeeError.referenceNotConverged`.
    public var maxIterations: Int
    /// Power iterations for the initial `L`.
    public var powerIterations: Int
    /// Called after every iteration with the iteration count and the KKT residual (for progress
    /// displays on large problems; the callee should throttle its own output).
    public var progress: (@Sendable (Int, Double) -> Void)?

    public init(tolerance: Double = 1e-12, maxIterations: Int = 200_000, powerIterations: Int = 50) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.powerIterations = powerIterations
    }

    /// The largest eigenvalue of `∇²f(x)` by power iteration from a fixed start.
    public static func smoothnessEstimate<P: Optimizee>(_ problem: P, at x: Tensor<Double>, iterations: Int) -> Double
    where P.Scalar == Double {
        var v = Tensor<Double>.normal([problem.dimension], seed: 0x5EED)
        v = v * (1 / v.norm())
        var estimate = 0.0
        for _ in 0..<max(1, iterations) {
            let hv = problem.smoothHessianVectorProduct(at: x, direction: v)
            estimate = hv.norm()
            guard estimate > 0 else { return 1 }
            v = hv * (1 / estimate)
        }
        return estimate
    }

    /// Minimizes `problem` from `x₀` (zeros by default). Throws `referenceNotConverged` when the
    /// budget runs out or the iterates stop changing (the floating-point floor) above `tolerance`.
    public func solve<P: Optimizee>(_ problem: P, from start: Tensor<Double>? = nil) throws -> ReferenceOptimum<Double>
    where P.Scalar == Double {
        let d = problem.dimension
        let r = problem.regularizer
        var x = start ?? .zeros([d])
        precondition(x.shape == [d], "FISTA: start must be [\(d)], got \(x.shape)")
        var L = max(Self.smoothnessEstimate(problem, at: x, iterations: powerIterations), 1e-12)
        var gx = problem.smoothGradient(at: x)
        var residual = r.optimalityViolation(at: x, gradient: gx).norm()
        if residual <= tolerance {
            return ReferenceOptimum(x: x, value: problem.value(x), kktResidual: residual, iterations: 0)
        }
        var y = x, gy = gx, t = 1.0
        var stalled = 0, iterations = 0
        let eps = Double.ulpOfOne
        for k in 1...max(1, maxIterations) {
            iterations = k
            var xNext: Tensor<Double>, gNext: Tensor<Double>
            while true {
                xNext = r.prox(y - gy * (1 / L), step: 1 / L)
                gNext = problem.smoothGradient(at: xNext)
                let step = xNext - y
                let slack = 8 * eps * (gy.norm() + gNext.norm()) * step.norm()
                if (gNext - gy).dot(step) <= L / 2 * step.squaredNorm() + slack { break }
                L *= 2
            }
            residual = r.optimalityViolation(at: xNext, gradient: gNext).norm()
            progress?(k, residual)
            if residual <= tolerance {
                return ReferenceOptimum(x: xNext, value: problem.value(xNext), kktResidual: residual, iterations: k)
            }
            stalled = xNext == x ? stalled + 1 : 0
            if stalled >= 10 { break }
            if (y - xNext).dot(xNext - x) > 0 {
                t = 1
                y = xNext
                gy = gNext
            } else {
                let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
                y = xNext + (xNext - x) * ((t - 1) / tNext)
                t = tNext
                gy = y == xNext ? gNext : problem.smoothGradient(at: y)
            }
            x = xNext
            gx = gNext
        }
        throw OptimizeeError.referenceNotConverged(iterations: iterations, residual: residual, tolerance: tolerance)
    }
}

extension LASSO {
    /// This instance with `referenceOptimum` computed by FISTA (default settings) on its Double copy
    /// (so a Float instance gets the exact optimum of its own Float-rounded data).
    public func withReferenceOptimum() throws -> LASSO { try withReferenceOptimum(FISTA()) }

    /// This instance with `referenceOptimum` computed by `solver` on its Double copy.
    public func withReferenceOptimum(_ solver: FISTA) throws -> LASSO {
        var copy = self
        copy.referenceOptimum = try solver.solve(cast(to: Double.self)).cast()
        return copy
    }
}

extension LogisticRegression {
    /// This instance with `referenceOptimum` computed by FISTA (default settings) on its Double copy.
    public func withReferenceOptimum() throws -> LogisticRegression { try withReferenceOptimum(FISTA()) }

    /// This instance with `referenceOptimum` computed by `solver` on its Double copy.
    public func withReferenceOptimum(_ solver: FISTA) throws -> LogisticRegression {
        var copy = self
        copy.referenceOptimum = try solver.solve(cast(to: Double.self)).cast()
        return copy
    }
}
