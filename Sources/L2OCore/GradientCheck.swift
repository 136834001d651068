/// The outcome of a finite-difference gradient check.
public struct GradientCheckResult: CustomStringConvertible, Sendable {
    /// Per input: the largest error `|analytic − numeric| / max(1, |numeric|)` over its elements.
    public let maxErrors: [Double]
    /// The tolerance the errors were compared against.
    public let tolerance: Double
    public var passed: Bool { maxErrors.allSatisfy { $0 <= tolerance } }
    public var description: String {
        "gradientCheck \(passed ? "passed" : "FAILED"): max errors \(maxErrors.map { String(format: "%.2e", $0) }) (tolerance \(tolerance))"
    }
}

import Foundation

/// Checks the reverse-mode gradient of `f` against central differences, in Double.
///
/// The output of `f` may have any shape: it is reduced to the scalar `L = Σ u ⊙ f(x)` with a fixed
/// random `u` (seeded), so every output element's sensitivity is tested. For each element of each
/// input, `∂L/∂x ≈ (L(x + ε) − L(x − ε)) / 2ε` is compared with the tape's gradient.
///
/// - Parameters:
///   - inputs: the points at which to check, one tensor per differentiable input.
///   - epsilon: the finite-difference step.
///   - tolerance: bound on `|analytic − numeric| / max(1, |numeric|)`.
///   - f: the function, built from `Variable` operations on the given variables.
public func gradientCheck(
    _ inputs: [Tensor<Double>], epsilon: Double = 1e-6, tolerance: Double = 1e-6, seed: UInt64 = 7,
    _ f: ([Variable<Double>]) -> Variable<Double>
) -> GradientCheckResult {
    let tape = Tape<Double>()
    let vars = inputs.map { tape.variable($0) }
    let out = f(vars)
    let u = Tensor<Double>.uniform(out.shape, low: 0.5, high: 1.5, seed: seed)
    let loss = (out * u).sum()
    tape.backward(loss)
    let analytic = vars.map { tape.gradient(of: $0) }

    func value(_ xs: [Tensor<Double>]) -> Double {
        let t = Tape<Double>()
        t.isRecording = false
        return (f(xs.map { t.constant($0) }).value * u).sum()
    }
    var errors = [Double]()
    for (k, x) in inputs.enumerated() {
        var worst = 0.0
        for i in 0..<x.count {
            var xs = inputs
            xs[k].scalars[i] = x.scalars[i] + epsilon
            let up = value(xs)
            xs[k].scalars[i] = x.scalars[i] - epsilon
            let down = value(xs)
            let numeric = (up - down) / (2 * epsilon)
            let err = Swift.abs(analytic[k].scalars[i] - numeric) / Swift.max(1, Swift.abs(numeric))
            worst = Swift.max(worst, err)
        }
        errors.append(worst)
    }
    return GradientCheckResult(maxErrors: errors, tolerance: tolerance)
}
