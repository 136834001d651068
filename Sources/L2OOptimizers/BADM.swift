import Dispatch
import Foundation
import L2OCore
import L2ONN

/// How BADM keeps its duals `π` and second moments `m` ([BADM] §2.3, eqs. (4a)–(7)).
public enum DualBookkeeping: String, Sendable, CaseIterable {
    /// One dual per sub-batch *slot* `n`, carried from batch to batch and pass to pass:
    /// memory `2·N_b·d`. The default: the paper-indexed variant needs `2·B·N_b·d` — for the 26,506-weight
    /// MLP on 60,000 images in batches of 128 with N_b = 8 that is ≈ 0.8 GB in Float against
    /// ≈ 1.7 MB — and a dual tied to batch `b` only refers to fixed data if batches are never
    /// reshuffled, which training normally does.
    case perSubBatchSlot
    /// One dual per (batch, sub-batch) pair, as the paper indexes them (`π_bn`): memory `2·B·N_b·d`.
    case perBatchAndSubBatch
}

/// BADM, batch ADMM for training (seed 002; [BADM] §2.3, eqs. (4a)–(7)).
///
/// The data of a pass is split into `B` batches, each into `N_b` sub-batches `D_bn` (contiguous,
/// sizes differing by at most one), with `α_bn = |D_bn|/N`, `α_b = Σ_n α_bn`. With `w_0 = w`, for
/// b = 1…B and every sub-batch n **in parallel**:
/// ```
/// w_bn = w_{b−1} − (∇F_bn(w_{b−1}) + π_bn)/(ρ + σ)        (5)  inexact local step
/// π_bn ← π_bn + σ(w_bn − w_{b−1})                          (4b) dual update
/// m_bn ← β m_bn + (1 − β) π_bn ⊙ π_bn,   m⁰ > 0            (6)  second moment
/// w_b  = Σ_n (α_bn/α_b) (w_bn + m_bn^{−1/2} ⊙ π_bn/σ)      (7)  weighted aggregation
/// ```
/// then `w = w_B`. `F_bn` is the mean loss over `D_bn`. The sum (7) runs in the fixed order
/// n = 1…N_b, so parallel and sequential passes give bit-identical weights.
///
/// Floating-point note: in exact arithmetic `m > 0` always (the paper's induction); in floating
/// point a coordinate whose dual stays exactly 0 lets `β^k m⁰` underflow to 0, so (7) divides by
/// `√m + m_min` with `m_min` the least positive (subnormal) value of the scalar type: a term with
/// `π = 0` then contributes 0 instead of `0/0`, and wherever `m > 0` the sum rounds to `√m`
/// exactly (`m_min` is far below half an ulp of any square root of a positive value).
///
/// Defaults: ρ = 200, σ = 400 (local step `1/(ρ+σ)` = 1/600), chosen on a validation split of
/// Fashion-MNIST (`docs/badm.md`); the paper's Cora setting ρ = 200, σ = 800 trains the same MLP
/// about 1.4 points worse in 5 epochs. β = 0.9 and m⁰ = 1e-8 (the paper gives neither; ours),
/// N_b = 8 (the paper's text-classification and pre-training setting), per-slot duals (see
/// `DualBookkeeping`).
public struct BADM<Scalar: TensorScalar> {
    public let name = "badm"
    public private(set) var rho: Double
    public private(set) var sigma: Double
    public private(set) var beta: Double
    public private(set) var initialSecondMoment: Double
    public private(set) var subBatchCount: Int
    public private(set) var bookkeeping: DualBookkeeping
    /// Batches per epoch `B` that `.perBatchAndSubBatch` keeps duals for (1 and unused otherwise).
    public private(set) var batchCount: Int
    /// Whether sub-batches run concurrently (results are identical either way).
    public var parallel: Bool

    public init(rho: Double = 200, sigma: Double = 400, beta: Double = 0.9, initialSecondMoment: Double = 1e-8,
                subBatchCount: Int = 8, bookkeeping: DualBookkeeping = .perSubBatchSlot, batchCount: Int = 1,
                parallel: Bool = true) throws {
        self.rho = rho
        self.sigma = sigma
        self.beta = beta
        self.initialSecondMoment = initialSecondMoment
        self.subBatchCount = subBatchCount
        self.bookkeeping = bookkeeping
        self.batchCount = bookkeeping == .perSubBatchSlot ? 1 : batchCount
        self.parallel = parallel
        try validate()
    }

    /// The most sub-batches per batch (each holds two model-sized tensors per batch).
    public static var maximumSubBatchCount: Int { 1024 }

    func validate() throws {
        try Check.nonNegative(name, "rho", rho, usual: "e.g. 200 with sigma 400, the default")
        try Check.positive(name, "sigma", sigma, usual: "e.g. 400 with rho 200; sigma divides the dual in (7)")
        try Check.unitInterval(name, "beta", beta, usual: "e.g. 0.9")
        try Check.positive(name, "m0", initialSecondMoment, usual: "the paper requires m⁰ > 0; e.g. 1e-8")
        guard subBatchCount >= 1, subBatchCount <= Self.maximumSubBatchCount else {
            throw OptimizerError.invalidHyperParameter(optimizer: name, name: "sub_batches", value: Double(subBatchCount),
                requirement: "must be between 1 and \(Self.maximumSubBatchCount) (the paper uses 8 or 16 sub-batches per batch; each keeps a dual and a second moment as large as the model)")
        }
        guard batchCount >= 1, batchCount <= 1 << 24 else {
            throw OptimizerError.invalidHyperParameter(optimizer: name, name: "batches", value: Double(batchCount),
                requirement: "must be between 1 and 2^24 (the batches per epoch that per-batch duals are kept for)")
        }
    }

    /// `rho`, `sigma`, `beta`, `m0`, `sub_batches`.
    public var hyperParameters: [String: Double] {
        ["rho": rho, "sigma": sigma, "beta": beta, "m0": initialSecondMoment, "sub_batches": Double(subBatchCount)]
    }

    /// Changes `rho`, `sigma`, `beta` or `m0` mid-run (validate-then-commit), or `sub_batches`
    /// before a run (it shapes the state: a state made with another count is refused by `step`).
    public mutating func setHyperParameter(_ key: String, to value: Double) throws {
        var copy = self
        switch key {
        case "rho": copy.rho = value
        case "sigma": copy.sigma = value
        case "beta": copy.beta = value
        case "m0": copy.initialSecondMoment = value
        case "sub_batches":
            guard value == value.rounded(), value >= 1, value <= Double(Self.maximumSubBatchCount) else {
                throw OptimizerError.invalidHyperParameter(optimizer: name, name: key, value: value,
                    requirement: "must be a whole number between 1 and \(Self.maximumSubBatchCount) (e.g. 8)")
            }
            copy.subBatchCount = Int(value)
        case "lr", "learning_rate":
            throw OptimizerError.invalidHyperParameter(optimizer: name, name: key, value: value,
                requirement: "does not exist for BADM: its local step is 1/(rho+sigma); set rho and sigma")
        default:
            throw OptimizerError.unknownHyperParameter(optimizer: name, name: key, known: ["rho", "sigma", "beta", "m0", "sub_batches"])
        }
        try copy.validate()
        self = copy
    }

    /// The sub-batches of a batch of `sampleCount` samples: `min(N_b, sampleCount)` contiguous
    /// non-empty ranges whose sizes differ by at most one (the larger ones first).
    public static func subBatchRanges(sampleCount: Int, subBatchCount: Int) -> [Range<Int>] {
        let k = Swift.min(subBatchCount, sampleCount)
        guard k > 0 else { return [] }
        let base = sampleCount / k, extra = sampleCount % k
        var out = [Range<Int>](), lo = 0
        for n in 0..<k {
            let size = base + (n < extra ? 1 : 0)
            out.append(lo..<(lo + size))
            lo += size
        }
        return out
    }

    /// The weights `α_bn/α_b` of (7) for sub-batches of the given sizes, with `α_bn = |D_bn|/N`.
    public static func aggregationWeights(subBatchSizes: [Int], totalSamples n: Int) -> [Double] {
        let alpha = subBatchSizes.map { Double($0) / Double(n) }
        let alphaB = alpha.reduce(0, +)
        return alpha.map { $0 / alphaB }
    }

    /// A fresh engine state: duals 0, second moments m⁰. `batchCount` is needed (and fixed) only
    /// for `.perBatchAndSubBatch`.
    func makeEngineState(for parameters: NamedParameters<Scalar>, batchCount: Int = 1) -> BADMState<Scalar> {
        let slots = bookkeeping == .perSubBatchSlot ? subBatchCount : Swift.max(batchCount, 1) * subBatchCount
        let zeros = parameters.map { Tensor<Scalar>.zeros($0.parameter.shape) }
        let m0 = parameters.map { Tensor<Scalar>(repeating: Scalar(initialSecondMoment), shape: $0.parameter.shape) }
        return BADMState(
            parameters: parameters.map { ($0.name, $0.parameter.shape) }, bookkeeping: bookkeeping,
            subBatchCount: subBatchCount, batchCount: bookkeeping == .perSubBatchSlot ? 0 : Swift.max(batchCount, 1),
            duals: Array(repeating: zeros, count: slots), secondMoments: Array(repeating: m0, count: slots))
    }

    /// The engine of `step`: one pass ℓ over the batches of `source` (or, with `batchOffset`, the
    /// batches `batchOffset…` of a pass), starting from the parameters' values and writing `w_B`
    /// back into them. Returns the α-weighted mean sub-batch loss (each evaluated at the
    /// `w_{b−1}` its gradient was taken at) and how many batches the non-finite guard skipped.
    @discardableResult
    @_specialize(where Scalar == Float, Source == ClosureGradientSource<Float>)
    func pass<Source: SubBatchGradientSource>(
        _ state: inout BADMState<Scalar>, parameters: NamedParameters<Scalar>, source: Source, batchOffset: Int? = nil
    ) throws -> BADMPassReport where Source.Scalar == Scalar {
        try state.validate(against: parameters, optimizer: self)
        let batchCount = source.batchCount
        guard batchCount > 0 else {
            throw OptimizerError.invalidArgument(operation: "BADM.pass", message: "the data source has no batches; give it at least one non-empty batch")
        }
        let offset = batchOffset ?? 0
        if bookkeeping == .perBatchAndSubBatch,
           batchOffset == nil ? batchCount != state.batchCount : (offset < 0 || offset + batchCount > state.batchCount) {
            throw OptimizerError.invalidArgument(operation: "BADM.pass",
                message: "the state holds duals for \(state.batchCount) batches but the data has \(batchOffset == nil ? batchCount : offset + batchCount); keep duals for that many batches (BADM's batchCount) or use .perSubBatchSlot")
        }
        let total = (0..<batchCount).reduce(0) { $0 + source.sampleCount(ofBatch: $1) }
        guard total > 0 else {
            throw OptimizerError.invalidArgument(operation: "BADM.pass", message: "the data source has no samples")
        }
        let coefficients = LocalStepCoefficients<Scalar>(rhoSigma: Scalar(rho + sigma), sigma: Scalar(sigma),
                                                          beta: Scalar(beta), oneMinusBeta: Scalar(1 - beta))
        let tensorCount = parameters.count
        var w = parameters.map { $0.parameter.value }
        // New duals, moments and summands are written into the workspace and swapped into the
        // state only when the batch is committed, so a skipped batch leaves everything as it was
        // and a steady-state pass allocates nothing but the gradients.
        var ws = state.workspace ?? BADMWorkspace(shapes: w.map(\.shape), positions: subBatchCount)
        state.workspace = nil
        var weightedLoss = 0.0
        var skipped = 0
        for b in 0..<batchCount {
            let ranges = Self.subBatchRanges(sampleCount: source.sampleCount(ofBatch: b), subBatchCount: subBatchCount)
            if ranges.isEmpty { continue }
            let weights = Self.aggregationWeights(subBatchSizes: ranges.map(\.count), totalSamples: total)
            let slot = { (n: Int) in bookkeeping == .perSubBatchSlot ? n : (offset + b) * subBatchCount + n }
            let wPrev = w
            let oldDuals = (0..<ranges.count).flatMap { state.duals[slot($0)] }
            let oldMoments = (0..<ranges.count).flatMap { state.secondMoments[slot($0)] }
            var losses = [Result<Scalar, Error>?](repeating: nil, count: ranges.count)
            let perKind = ws.perKind
            try withBuffers(wPrev + oldDuals + oldMoments) { read in
                try withMutableBuffers(&ws.outputs) { out in
                    // One worker per sub-batch: its gradient, then (5), (4b), (6) and the summand of (7).
                    let work = { (n: Int) -> Result<Scalar, Error> in
                        Result {
                            let (loss, grad) = try source.lossAndGradient(batch: b, samples: ranges[n], at: wPrev)
                            guard grad.count == tensorCount, zip(grad, wPrev).allSatisfy({ $0.shape == $1.shape }) else {
                                throw OptimizerError.invalidArgument(operation: "BADM.pass",
                                    message: "the data source returned gradients of shapes \(grad.map(\.shape)) for weights \(wPrev.map(\.shape))")
                            }
                            for i in 0..<tensorCount {
                                let k = n * tensorCount + i
                                grad[i].withUnsafeBufferPointer { g in
                                    Self.localStep(w: read[i], gradient: g, dual: read[tensorCount + k],
                                                   moment: read[(1 + ranges.count) * tensorCount + k],
                                                   newDual: out[k], newMoment: out[perKind + k],
                                                   summand: out[2 * perKind + k], coefficients)
                                }
                            }
                            return loss
                        }
                    }
                    try losses.withUnsafeMutableBufferPointer { buf in
                        if parallel && ranges.count > 1 {
                            DispatchQueue.concurrentPerform(iterations: ranges.count) { n in buf[n] = work(n) }
                        } else {
                            for n in 0..<ranges.count { buf[n] = work(n) }
                        }
                        _ = try buf.map { try $0!.get() }
                    }
                }
            }
            // (7), summed in the fixed order n = 0, 1, …
            for i in 0..<tensorCount {
                ws.next[i].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                for n in 0..<ranges.count { ws.next[i].addScaled(ws.outputs[ws.summandIndex(n * tensorCount + i)], Scalar(weights[n])) }
            }
            guard allFinite(ws.next) else {
                skipped += 1
                continue
            }
            swap(&w, &ws.next)
            for n in 0..<ranges.count {
                for i in 0..<tensorCount {
                    let k = n * tensorCount + i
                    swap(&state.duals[slot(n)][i], &ws.outputs[ws.dualIndex(k)])
                    swap(&state.secondMoments[slot(n)][i], &ws.outputs[ws.momentIndex(k)])
                }
                weightedLoss += Double(try losses[n]!.get()) * Double(ranges[n].count) / Double(total)
            }
        }
        for (k, p) in parameters.enumerated() { p.parameter.value = w[k] }
        state.workspace = ws
        state.passes += 1
        state.skippedBatches += skipped
        return BADMPassReport(meanLoss: weightedLoss, batches: batchCount, skippedBatches: skipped)
    }

    /// (5), (4b), (6) and the summand of (7) for one weight tensor of one sub-batch:
    /// `w_bn = w − (g + π)/(ρ+σ)`, `π' = π + σ(w_bn − w)`, `m' = βm + (1−β)π'²`,
    /// `s = w_bn + π'/(√m' + m_min)/σ`. Sixteen lanes at a time, with the same operations in the
    /// same order as the scalar tail, so every element is rounded identically.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func localStep(w: UnsafeBufferPointer<Scalar>, gradient g: UnsafeBufferPointer<Scalar>,
                          dual: UnsafeBufferPointer<Scalar>, moment: UnsafeBufferPointer<Scalar>,
                          newDual: UnsafeMutableBufferPointer<Scalar>, newMoment: UnsafeMutableBufferPointer<Scalar>,
                          summand: UnsafeMutableBufferPointer<Scalar>, _ c: LocalStepCoefficients<Scalar>) {
        typealias V = SIMD16<Scalar>
        let n = w.count
        var j = 0
        if n >= V.scalarCount, let wp = w.baseAddress, let gp = g.baseAddress, let dp = dual.baseAddress,
           let mp = moment.baseAddress, let pOut = newDual.baseAddress, let mOut = newMoment.baseAddress,
           let sOut = summand.baseAddress {
            let rhoSigma = V(repeating: c.rhoSigma), sigma = V(repeating: c.sigma)
            let beta = V(repeating: c.beta), oneMinusBeta = V(repeating: c.oneMinusBeta)
            let mMin = V(repeating: .leastNonzeroMagnitude)
            while j + V.scalarCount <= n {
                let wj = UnsafeRawPointer(wp + j).loadUnaligned(as: V.self)
                let pj = UnsafeRawPointer(dp + j).loadUnaligned(as: V.self)
                let gj = UnsafeRawPointer(gp + j).loadUnaligned(as: V.self)
                let mj = UnsafeRawPointer(mp + j).loadUnaligned(as: V.self)
                let wbn = wj - (gj + pj) / rhoSigma                                  // (5)
                let pi = pj + sigma * (wbn - wj)                                      // (4b)
                let m = beta * mj + oneMinusBeta * pi * pi                            // (6)
                let s = wbn + pi / (squareRoot(m) + mMin) / sigma                    // summand of (7)
                UnsafeMutableRawPointer(pOut + j).storeBytes(of: pi, as: V.self)
                UnsafeMutableRawPointer(mOut + j).storeBytes(of: m, as: V.self)
                UnsafeMutableRawPointer(sOut + j).storeBytes(of: s, as: V.self)
                j += V.scalarCount
            }
        }
        while j < n {
            let wbn = w[j] - (g[j] + dual[j]) / c.rhoSigma
            let pi = dual[j] + c.sigma * (wbn - w[j])
            let m = c.beta * moment[j] + c.oneMinusBeta * pi * pi
            newDual[j] = pi
            newMoment[j] = m
            summand[j] = wbn + pi / (Scalar.sqrt(m) + .leastNonzeroMagnitude) / c.sigma
            j += 1
        }
    }
}

struct LocalStepCoefficients<Scalar: TensorScalar> {
    let rhoSigma, sigma, beta, oneMinusBeta: Scalar
}

/// Scratch tensors of a BADM pass, kept in the state between passes: for each of the `N_b`
/// sub-batch positions and each weight tensor a new dual, a new second moment and a summand
/// of (7) (all in `outputs`), and the next weights.
struct BADMWorkspace<Scalar: TensorScalar> {
    var outputs: [Tensor<Scalar>]
    var next: [Tensor<Scalar>]
    let perKind: Int

    init(shapes: [[Int]], positions: Int) {
        perKind = positions * shapes.count
        outputs = (0..<3 * positions).flatMap { _ in shapes.map { Tensor<Scalar>.zeros($0) } }
        next = shapes.map { Tensor<Scalar>.zeros($0) }
    }
    func dualIndex(_ k: Int) -> Int { k }
    func momentIndex(_ k: Int) -> Int { perKind + k }
    func summandIndex(_ k: Int) -> Int { 2 * perKind + k }
}

/// What a BADM pass did.
struct BADMPassReport: Equatable, Sendable {
    /// Σ_bn α_bn F_bn(w_{b−1}) over the batches that were applied.
    public var meanLoss: Double
    public var batches: Int
    /// Batches whose aggregated weights were non-finite; they were skipped (weights and duals kept).
    public var skippedBatches: Int
}
