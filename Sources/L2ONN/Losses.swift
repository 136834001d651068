import L2OCore

/// Mean squared error `L = (1/N) Σ (p − t)²` over all `N` elements, as one fused node.
/// Gradients: `∂p = 2(p − t)/N`, `∂t = −2(p − t)/N`. Throws `shapeMismatch` unless the shapes agree.
@inlinable
public func mseLoss<S>(_ prediction: Variable<S>, _ target: Variable<S>) throws -> Variable<S> {
    guard prediction.shape == target.shape else {
        throw NNError.shapeMismatch(operation: "mseLoss target (prediction \(prediction.shape))",
                                    expected: "\(prediction.shape)", actual: target.shape)
    }
    let diff = prediction.value - target.value
    let n = S(Swift.max(diff.count, 1))
    let loss = diff.squaredNorm() / n
    return Variable.record(Tensor(loss), inputs: [prediction, target]) { g in
        let d = diff * (2 * g.scalars[0] / n)
        return [d, -d]
    }
}

/// `mseLoss` against a constant target.
@inlinable
public func mseLoss<S>(_ prediction: Variable<S>, _ target: Tensor<S>) throws -> Variable<S> {
    try mseLoss(prediction, Variable(constant: target))
}

/// Softmax cross-entropy from logits with integer labels, averaged over the batch:
/// ```
/// L = (1/B) Σ_b [ log Σ_k e^{z_bk} − z_{b,y_b} ],   log Σ_k e^{z_k} = M + log Σ_k e^{z_k − M},  M = max_k z_k
/// ```
/// (the shifted log-sum-exp is exact and never overflows). Gradient: `∂z = (softmax(z) − onehot(y))/B`.
/// Throws `shapeMismatch` unless `logits` is `[B, K]` with `B = labels.count`, and
/// `labelOutOfRange` for a label outside `0..<K`.
@inlinable
public func softmaxCrossEntropy<S>(logits: Variable<S>, labels: [Int]) throws -> Variable<S> {
    try requireShape(logits.shape, [labels.count, nil], "softmaxCrossEntropy logits (\(labels.count) labels)")
    let B = logits.shape[0], K = logits.shape[1]
    try requireArgument(B > 0 && K > 0, "softmaxCrossEntropy", "need a non-empty batch and at least one class, got \(logits.shape)")
    for (i, y) in labels.enumerated() where y < 0 || y >= K {
        throw NNError.labelOutOfRange(operation: "softmaxCrossEntropy", label: y, index: i, classCount: K)
    }
    var probs = [S](repeating: 0, count: B * K)
    var total: S = 0
    logits.value.scalars.withUnsafeBufferPointer { z in
        for b in 0..<B {
            let row = b * K
            var m = z[row]
            for k in 1..<K where z[row + k] > m { m = z[row + k] }
            var s: S = 0
            for k in 0..<K { let e = S.exp(z[row + k] - m); probs[row + k] = e; s += e }
            for k in 0..<K { probs[row + k] /= s }
            total += m + S.log(s) - z[row + labels[b]]
        }
    }
    let shape = logits.shape
    return Variable.record(Tensor(total / S(B)), inputs: [logits]) { g in
        let scale = g.scalars[0] / S(B)
        var gz = probs
        for b in 0..<B { gz[b * K + labels[b]] -= 1 }
        for i in 0..<gz.count { gz[i] *= scale }
        return [Tensor(shape: shape, scalars: gz)]
    }
}

/// Binary cross-entropy from logits, averaged over all `N` elements, in the stable form
/// ```
/// ℓ(z, y) = max(z, 0) − z·y + log(1 + e^{−|z|})
/// ```
/// (equal to `−y log σ(z) − (1−y) log(1−σ(z))`). Targets may be soft (in [0, 1]).
/// Gradients: `∂z = (σ(z) − y)/N`, `∂y = −z/N`. Throws `shapeMismatch` unless the shapes agree.
@inlinable
public func binaryCrossEntropy<S>(logits: Variable<S>, targets: Variable<S>) throws -> Variable<S> {
    guard logits.shape == targets.shape else {
        throw NNError.shapeMismatch(operation: "binaryCrossEntropy targets (logits \(logits.shape))",
                                    expected: "\(logits.shape)", actual: targets.shape)
    }
    let zv = logits.value, yv = targets.value
    let n = S(Swift.max(zv.count, 1))
    var total: S = 0
    for i in 0..<zv.count {
        let z = zv.scalars[i], y = yv.scalars[i]
        total += Swift.max(z, 0) - z * y + S.log1p(S.exp(-Swift.abs(z)))
    }
    return Variable.record(Tensor(total / n), inputs: [logits, targets]) { g in
        let scale = g.scalars[0] / n
        let gz = zv.zipWith(yv) { (sigmoidScalar($0) - $1) * scale }
        return [gz, zv * (-scale)]
    }
}

/// `binaryCrossEntropy` against constant targets.
@inlinable
public func binaryCrossEntropy<S>(logits: Variable<S>, targets: Tensor<S>) throws -> Variable<S> {
    try binaryCrossEntropy(logits: logits, targets: Variable(constant: targets))
}

/// The fraction of rows of `logits [B, K]` whose arg-max (first on ties) equals the label.
/// Throws like `softmaxCrossEntropy` for mismatched shapes or labels outside `0..<K`.
public func accuracy<S: TensorScalar>(logits: Tensor<S>, labels: [Int]) throws -> Double {
    try requireShape(logits.shape, [labels.count, nil], "accuracy logits (\(labels.count) labels)")
    let B = logits.shape[0], K = logits.shape[1]
    try requireArgument(K > 0, "accuracy", "need at least one class, got logits \(logits.shape)")
    guard B > 0 else { return 0 }
    for (i, y) in labels.enumerated() where y < 0 || y >= K {
        throw NNError.labelOutOfRange(operation: "accuracy", label: y, index: i, classCount: K)
    }
    let predicted = logits.argmax(axis: 1)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(B)
}

/// `accuracy(logits:labels:)` on a variable's value.
public func accuracy<S: TensorScalar>(logits: Variable<S>, labels: [Int]) throws -> Double {
    try accuracy(logits: logits.value, labels: labels)
}
