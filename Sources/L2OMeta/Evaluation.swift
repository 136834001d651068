import Foundation
import L2OCore
import L2ODecentralized

/// One held-out problem for the evaluation runner.
public struct EvaluationInstance<Scalar: TensorScalar> {
    public let name: String
    public let oracles: NodeOracles<Scalar>
    /// `F(x)` at a single point, evaluated in Double.
    public let objective: (Tensor<Scalar>) -> Double
    /// The reference optimum `F*` (from a centralized solver in Double).
    public let optimalValue: Double

    public init(name: String, oracles: NodeOracles<Scalar>, objective: @escaping (Tensor<Scalar>) -> Double, optimalValue: Double) {
        self.name = name
        self.oracles = oracles
        self.objective = objective
        self.optimalValue = optimalValue
    }
}

/// Settings of an evaluation run.
public struct EvaluationSettings: Sendable, Codable {
    public var iterations: Int
    /// Relative-gap tolerances whose first hitting iteration and time are recorded.
    public var tolerances: [Double]
    /// Iterations at which full metrics are logged (log-spaced by default).
    public var logIterations: [Int]
    /// The gap is checked for tolerance hits every this many iterations (1 = exact counts).
    public var checkInterval: Int

    public init(iterations: Int, tolerances: [Double] = [1e-3, 1e-5, 1e-7, 1e-9, 1e-11, 1e-13, 1e-15],
                logIterations: [Int]? = nil, checkInterval: Int = 1) {
        self.iterations = iterations
        self.tolerances = tolerances
        self.logIterations = logIterations ?? LogSchedule.iterations(last: iterations)
        self.checkInterval = max(1, checkInterval)
    }
}

/// What one method did on one instance.
public struct EvaluationTrace: Sendable, Codable {
    public struct Point: Sendable, Codable {
        public var iteration: Int
        /// Cumulative seconds spent inside the method's steps (metric evaluation excluded).
        public var seconds: Double
        public var gap: Double
        public var relativeGap: Double
        /// `(1/n) Σ_i ‖x_i − x̄‖²`.
        public var consensusError: Double
        public init(iteration: Int, seconds: Double, gap: Double, relativeGap: Double, consensusError: Double) {
            self.iteration = iteration
            self.seconds = seconds
            self.gap = gap
            self.relativeGap = relativeGap
            self.consensusError = consensusError
        }
    }
    public var method: String
    public var instance: String
    public var stepSize: Double
    public var points: [Point]
    /// First iteration (and seconds) at which the relative gap was ≤ each tolerance; nil if never.
    public var hitIterations: [Int?]
    public var hitSeconds: [Double?]
    public var diverged: Bool
    /// How often the method's safeguard replaced its steps (nil for methods without one).
    public var safeguard: SafeguardReport?
    public init(method: String, instance: String, stepSize: Double, points: [Point], hitIterations: [Int?], hitSeconds: [Double?], diverged: Bool,
                safeguard: SafeguardReport? = nil) {
        self.method = method
        self.instance = instance
        self.stepSize = stepSize
        self.points = points
        self.safeguard = safeguard
        self.hitIterations = hitIterations
        self.hitSeconds = hitSeconds
        self.diverged = diverged
    }
}

public enum EvaluationRunner {
    /// Metrics of a node matrix: absolute and relative gap of the average, consensus error.
    @inlinable
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func metrics<S>(_ x: Tensor<S>, _ inst: EvaluationInstance<S>) -> (gap: Double, relative: Double, consensus: Double) {
        let n = x.shape[0]
        let xbar = x.mean(axis: 0)
        let gap = inst.objective(xbar) - inst.optimalValue
        let rel = gap / Swift.max(Swift.abs(inst.optimalValue), .leastNormalMagnitude)
        var cons = 0.0
        let d = x.shape[1]
        x.scalars.withUnsafeBufferPointer { p in
            for i in 0..<n { for j in 0..<d { let e = Double(p[i * d + j] - xbar.scalars[j]); cons += e * e } }
        }
        return (gap, rel, cons / Double(n))
    }

    /// Runs `method` on `instance` for `settings.iterations` iterations with no tape (constant
    /// memory: only the logged points are kept). `progress` is called with the iteration count.
    @inlinable
    public static func run<M: DecentralizedMethod>(
        _ method: M, on instance: EvaluationInstance<M.Scalar>, mixing: MixingMatrix<M.Scalar>,
        settings: EvaluationSettings, progress: ((Int, Double) -> Void)? = nil
    ) -> EvaluationTrace {
        var state = method.makeState(instance.oracles, mixing: mixing)
        let logSet = Set(settings.logIterations)
        var points = [EvaluationTrace.Point]()
        var hits = [Int?](repeating: nil, count: settings.tolerances.count)
        var hitSec = [Double?](repeating: nil, count: settings.tolerances.count)
        var seconds = 0.0
        var diverged = false
        func record(_ k: Int) {
            let x = method.iterate(state)
            let m = metrics(x, instance)
            if !m.gap.isFinite { diverged = true }
            if logSet.contains(k) || diverged {
                points.append(.init(iteration: k, seconds: seconds, gap: m.gap, relativeGap: m.relative, consensusError: m.consensus))
            }
            for (t, tol) in settings.tolerances.enumerated() where hits[t] == nil && m.relative <= tol {
                hits[t] = k
                hitSec[t] = seconds
            }
        }
        record(0)
        var k = 0
        while k < settings.iterations && !diverged {
            let t0 = DispatchTime.now().uptimeNanoseconds
            method.step(&state, instance.oracles, mixing: mixing)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            k += 1
            if k % settings.checkInterval == 0 || logSet.contains(k) || k == settings.iterations { record(k) }
            if k % 256 == 0 { progress?(k, points.last?.relativeGap ?? .nan) }
        }
        progress?(k, points.last?.relativeGap ?? .nan)
        return EvaluationTrace(method: method.name, instance: instance.name, stepSize: Double(method.stepSize), points: points,
                               hitIterations: hits, hitSeconds: hitSec, diverged: diverged, safeguard: method.safeguardReport(state))
    }
}
