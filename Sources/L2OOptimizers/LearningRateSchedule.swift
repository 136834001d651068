import Foundation

/// A learning-rate multiplier as a function of the 0-based iteration `t`; the effective rate is
/// `lr_t = lr · multiplier(t)`. Closed forms:
///
/// - `constant`: `1`.
/// - `linearWarmup(steps: W, then: s)`: `(t + 1)/W` for `t < W`, then `s(t − W)`
///   (so the first step already moves, and the rate reaches `lr` at `t = W − 1`).
/// - `cosine(steps: T, floor: m)`: `m + (1 − m)·(1 + cos(π·min(t, T)/T))/2`
///   (SGDR without restarts, Loshchilov & Hutter 2017; `1` at `t = 0`, `m` from `t = T` on).
/// - `step(every: k, factor: γ)`: `γ^⌊t/k⌋` (PyTorch `StepLR`).
public indirect enum LearningRateSchedule: Equatable, Sendable {
    case constant
    case linearWarmup(steps: Int, then: LearningRateSchedule)
    case cosine(steps: Int, floor: Double)
    case step(every: Int, factor: Double)

    /// The multiplier at 0-based iteration `t` (see the closed forms above).
    public func multiplier(at t: Int) -> Double {
        switch self {
        case .constant:
            return 1
        case let .linearWarmup(w, next):
            return t < w ? Double(t + 1) / Double(w) : next.multiplier(at: t - w)
        case let .cosine(steps, floor):
            let progress = Double(Swift.min(Swift.max(t, 0), steps)) / Double(steps)
            return floor + (1 - floor) * (1 + cos(Double.pi * progress)) / 2
        case let .step(every, factor):
            return pow(factor, Double(Swift.max(t, 0) / every))
        }
    }

    /// Throws `invalidHyperParameter` for non-positive step counts, a cosine floor outside [0, 1]
    /// or a step factor outside (0, 1].
    public func validate(optimizer: String) throws {
        switch self {
        case .constant:
            return
        case let .linearWarmup(w, next):
            guard w > 0 else {
                throw OptimizerError.invalidHyperParameter(
                    optimizer: optimizer, name: "warmup steps", value: Double(w), requirement: "must be at least 1 (use .constant for no warm-up)")
            }
            try next.validate(optimizer: optimizer)
        case let .cosine(steps, floor):
            guard steps > 0 else {
                throw OptimizerError.invalidHyperParameter(
                    optimizer: optimizer, name: "cosine steps", value: Double(steps), requirement: "must be at least 1 (the number of iterations to decay over)")
            }
            guard floor >= 0 && floor <= 1 else {
                throw OptimizerError.invalidHyperParameter(
                    optimizer: optimizer, name: "cosine floor", value: floor, requirement: "must lie in [0, 1] (a fraction of the base rate, e.g. 0)")
            }
        case let .step(every, factor):
            guard every > 0 else {
                throw OptimizerError.invalidHyperParameter(
                    optimizer: optimizer, name: "step schedule period", value: Double(every), requirement: "must be at least 1")
            }
            guard factor > 0 && factor <= 1 else {
                throw OptimizerError.invalidHyperParameter(
                    optimizer: optimizer, name: "step schedule factor", value: factor, requirement: "must lie in (0, 1] (PyTorch StepLR's default gamma is 0.1)")
            }
        }
    }
}
