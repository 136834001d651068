import L2OCore

/// The safeguard of a learned decentralized rule, in the manner of safeguarded learned
/// optimization ([SafeL2O], `docs/references.md`): a merit that needs no `F*` and a
/// handcrafted fallback step whenever the learned steps stop making progress.
///
/// The fallback operator `T` is Exact Diffusion ([ExactDiffusion]) in the rule's own variables —
/// the iteration MiLoDo's special initialization encodes ([MiLoDo] §4.3) — at the conservative
/// step `γ = 1/L` (`L` the largest local curvature, estimated once per problem):
/// ```
/// z_i = prox_γr(x_i − γ(∇f_i(x_i) + y_i)),  y_i⁺ = y_i + (1/2γ) Σ_j w_ij (z_i − z_j),
/// x_i⁺ = z_i − ½ Σ_j w_ij (z_i − z_j)
/// ```
/// The merit at `(x, y)` is its fixed-point residual `R = (‖x⁺ − x‖² + γ²‖y⁺ − y‖²)^½`, which is 0
/// exactly at a solution (with `Σ_i y_i = 0`, which both updates keep). It is computed every
/// iteration from the gradient the learned step needs anyway, so a guarded step costs one more
/// prox and gossip, no more gradients.
///
/// Rules, every iteration `k` with merit `R_k`:
/// - **blow-up**: a non-finite `R_k`, or one above `blowUp ×` the best merit so far right after
///   a learned step, rejects that step: the state becomes `T` of the previous iterate (kept from
///   the previous iteration), and fallback steps follow;
/// - **stall**: the best merit of each window of `window` learned iterations must be below
///   `(1 − minimumDecrease) ×` the best merit before the window (the previous window's, or what the
///   last fallback period reached); otherwise the rule has stopped making progress (a limit cycle,
///   a plateau) and the next `fallbackLength` iterations are fallback steps. Consecutive firings
///   double the fallback period, so a rule that keeps stalling leaves the run to `T`, which
///   converges; a window that makes progress resets it. Merits at the rounding floor
///   (`64·u·(‖x‖ + γ‖y‖)`) count as progress: a converged run is not "stalled".
public struct Safeguard: Sendable, Equatable, Codable {
    public var window: Int
    public var minimumDecrease: Double
    public var blowUp: Double
    public var fallbackLength: Int

    public init(window: Int = 200, minimumDecrease: Double = 0.01, blowUp: Double = 10, fallbackLength: Int = 50) {
        self.window = window
        self.minimumDecrease = minimumDecrease
        self.blowUp = blowUp
        self.fallbackLength = fallbackLength
    }
}

/// How often a safeguard intervened in a run (`DecentralizedMethod.safeguardReport`).
public struct SafeguardReport: Sendable, Codable, Equatable {
    /// Times the stall or blow-up rule fired.
    public var firings = 0
    /// Of those, learned steps rejected by the blow-up rule.
    public var rejections = 0
    /// Iterations taken by the fallback step.
    public var fallbackIterations = 0
    /// The iterations at which it fired (the first 20).
    public var firedAt: [Int] = []
    public init() {}

    /// E.g. `fired 3× (at 2,500, 2,600, 2,800), 350 fallback iterations` or `never fired`.
    public var summary: String {
        guard firings > 0 else { return "never fired" }
        let at = firedAt.map { Self.formatCount($0) }.joined(separator: ", ") + (firings > firedAt.count ? ", …" : "")
        let rejected = rejections > 0 ? ", \(rejections) learned step(s) rejected" : ""
        return "fired \(firings)× (at \(at)), \(Self.formatCount(fallbackIterations)) fallback iterations\(rejected)"
    }

    static func formatCount(_ k: Int) -> String {
        let s = String(k)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}

/// The safeguard's bookkeeping within one run.
struct SafeguardState<Scalar: TensorScalar> {
    enum Action { case learned, fallback, revert }

    let settings: Safeguard
    /// The fallback step γ.
    let gamma: Scalar
    var best = Double.infinity
    var windowBest = Double.infinity, baseline = Double.infinity
    var windowCount = 0
    var fallbackRemaining = 0
    var nextFallback: Int
    var previousWasLearned = false
    /// `T` of the previous iterate, kept after a learned step (the blow-up rule's way back).
    var lastCandidate: (x: Tensor<Scalar>, y: Tensor<Scalar>)?
    var report = SafeguardReport()

    init(settings: Safeguard, gamma: Scalar) {
        self.settings = settings
        self.gamma = gamma
        nextFallback = settings.fallbackLength
    }

    mutating func fire(at iteration: Int, rejection: Bool) {
        report.firings += 1
        if rejection { report.rejections += 1 }
        if report.firedAt.count < 20 { report.firedAt.append(iteration) }
        fallbackRemaining = nextFallback
        nextFallback = Swift.min(nextFallback * 2, 1 << 40)
        windowBest = .infinity
        windowCount = 0
        baseline = .infinity
    }

    /// What iteration `iteration` does, given the merit `R` of the current iterate and its
    /// rounding floor.
    mutating func decide(merit R: Double, floor: Double, iteration: Int) -> Action {
        if !R.isFinite || (previousWasLearned && best.isFinite && R > settings.blowUp * Swift.max(best, floor)) {
            fire(at: iteration, rejection: true)
            fallbackRemaining -= 1
            return .revert
        }
        best = Swift.min(best, R)
        if fallbackRemaining > 0 {
            fallbackRemaining -= 1
            baseline = Swift.min(baseline, R)
            return .fallback
        }
        windowBest = Swift.min(windowBest, R)
        windowCount += 1
        if windowCount >= settings.window {
            let progressed = windowBest < (1 - settings.minimumDecrease) * baseline || windowBest <= floor
            if progressed {
                nextFallback = settings.fallbackLength
                baseline = windowBest
                windowBest = .infinity
                windowCount = 0
            } else {
                fire(at: iteration, rejection: false)
                fallbackRemaining -= 1
                return .fallback
            }
        }
        return .learned
    }
}

extension MixingMatrix {
    /// One fallback step `T(x, y)` from node matrices `x, y, g = ∇f(x)` `[n, d]` (see `Safeguard`),
    /// with its merit `R = (‖x⁺ − x‖² + γ²‖y⁺ − y‖²)^½` and the merit's rounding floor.
    func safeguardStep(x: Tensor<Scalar>, y: Tensor<Scalar>, g: Tensor<Scalar>, gamma: Scalar, _ p: NodeOracles<Scalar>)
        -> (x: Tensor<Scalar>, y: Tensor<Scalar>, merit: Double, floor: Double) {
        var v = x
        v.addScaled(g + y, -gamma)
        let z = p.prox(v, gamma)
        let lap = z - gossip.apply(z)  // row i: Σ_j w_ij (z_i − z_j)
        var yNew = y
        yNew.addScaled(lap, 1 / (2 * gamma))
        var xNew = z
        xNew.addScaled(lap, -0.5)
        let dx = Double((xNew - x).squaredNorm()), dy = Double((yNew - y).squaredNorm())
        let g2 = Double(gamma) * Double(gamma)
        let merit = (dx + g2 * dy).squareRoot()
        let floor = 64 * Double(Scalar.ulpOfOne) * (Double(x.squaredNorm()).squareRoot() + Double(gamma) * Double(y.squaredNorm()).squareRoot())
        return (xNew, yNew, merit, floor)
    }
}
