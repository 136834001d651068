import Foundation
import L2OCore
import L2ODecentralized

/// Grid search of a method's step size on training instances, so every baseline is compared at
/// its best.
///
/// Each γ of a geometric grid runs `iterations` iterations on every training instance. A γ is
/// *stable* when no instance diverges and the final relative gap is below the starting one. The
/// chosen γ minimises the median (over instances) of the iterations needed to reach `tolerance`;
/// instances that never reach it count as `iterations + 1`, and ties go to the median final gap.
/// With `margin = m > 0` only steps whose next `m` larger grid points are stable too are eligible,
/// which keeps the choice away from the stability edge of the training instances (an instance
/// never seen in tuning may have a slightly lower edge).
public struct StepSizeTuner: Sendable {
    public var grid: [Double]
    public var iterations: Int
    public var tolerance: Double
    /// Larger grid points that must also be stable for a step to be chosen.
    public var margin: Int = 0

    /// `count` log-spaced values from `low` to `high`.
    public init(low: Double = 1e-3, high: Double = 1, count: Int = 25, iterations: Int = 2000, tolerance: Double = 1e-6, margin: Int = 0) {
        let c = max(count, 2)
        self.grid = (0..<c).map { low * pow(high / low, Double($0) / Double(c - 1)) }
        self.iterations = iterations
        self.tolerance = tolerance
        self.margin = max(0, margin)
    }

    public struct Candidate: Sendable, Codable {
        public var stepSize: Double
        public var stable: Bool
        public var medianIterations: Double
        public var medianFinalGap: Double
    }

    public struct Result: Sendable, Codable {
        public var method: String
        public var best: Double
        public var candidates: [Candidate]
        /// The chosen step is the largest of the grid: the grid should be widened upwards.
        public var atGridEdge: Bool { best == candidates.last?.stepSize }
    }

    public enum TuningError: Error, CustomStringConvertible {
        case noStableStep(method: String, grid: ClosedRange<Double>, margin: Int)
        public var description: String {
            switch self {
            case .noStableStep(let m, let g, let margin):
                return "no stable step size for \(m) in [\(g.lowerBound), \(g.upperBound)]"
                    + (margin > 0 ? " with \(margin) stable grid point(s) above it" : "") + "; widen the grid (lower --low)"
            }
        }
    }

    /// Tunes `make(γ)` on `instances`. `progress` is called after each grid point.
    public func tune<M: DecentralizedMethod>(
        _ make: (M.Scalar) -> M, on instances: [EvaluationInstance<M.Scalar>], mixing: MixingMatrix<M.Scalar>,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Result {
        let settings = EvaluationSettings(iterations: iterations, tolerances: [tolerance], logIterations: [0, iterations])
        var candidates = [Candidate]()
        var name = ""
        for (k, gamma) in grid.enumerated() {
            let method = make(M.Scalar(gamma))
            name = method.name
            var iters = [Double](), finals = [Double]()
            var stable = true
            for inst in instances {
                let t = EvaluationRunner.run(method, on: inst, mixing: mixing, settings: settings)
                let first = t.points.first?.relativeGap ?? .infinity, last = t.points.last?.relativeGap ?? .infinity
                if t.diverged || !(last < first) { stable = false }
                iters.append(Double(t.hitIterations[0] ?? (iterations + 1)))
                finals.append(last)
            }
            candidates.append(Candidate(stepSize: gamma, stable: stable, medianIterations: EvaluationReport.median(iters),
                                        medianFinalGap: EvaluationReport.median(finals)))
            progress?(k + 1, grid.count)
        }
        let eligible = candidates.indices.filter { k in
            candidates[k].stable && (0..<margin).allSatisfy { k + 1 + $0 < candidates.count && candidates[k + 1 + $0].stable }
        }.map { candidates[$0] }
        guard let best = eligible.min(by: { ($0.medianIterations, $0.medianFinalGap) < ($1.medianIterations, $1.medianFinalGap) }) else {
            throw TuningError.noStableStep(method: name, grid: (grid.first ?? 0)...(grid.last ?? 0), margin: margin)
        }
        return Result(method: name, best: best.stepSize, candidates: candidates)
    }
}
