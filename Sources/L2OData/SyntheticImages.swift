import L2OCore

/// A small image-classification problem generated from a seed, for quick offline runs and tests.
///
/// Class `k` has a prototype image `P_k` with pixels drawn uniformly from [0, 1] (from `seed`); a
/// sample of class `k` is `clamp(P_k + noise·z, 0, 1)` with `z` standard normal per pixel. Labels
/// cycle through the classes, then the samples are in generation order (the trainer shuffles).
/// Train and test splits share the prototypes and differ in their sample seeds.
public enum SyntheticImages {
    /// `count` images of `height × width` (one channel) in `classCount` classes.
    public static func generate<S: TensorScalar>(
        _: S.Type = S.self, count: Int, height: Int = 28, width: Int = 28, classCount: Int = 10,
        noise: Double = 0.6, seed: UInt64, split: Split
    ) throws -> ImageClassificationData<S> {
        guard count >= 1, height >= 1, width >= 1, classCount >= 2 else {
            throw DataError.inconsistent(detail: "synthetic images need count ≥ 1, height and width ≥ 1 and at least 2 classes; got count \(count), \(height)×\(width), \(classCount) classes")
        }
        do {
            try ResourceLimits.checkShape([count, height, width], bytesPerElement: MemoryLayout<S>.size, copies: 2, what: "synthetic images")
        } catch let e as ResourceLimitError {
            throw DataError.inconsistent(detail: "\(count) synthetic images of \(height)×\(width): \(e.detail)")
        }
        guard noise >= 0, noise.isFinite else {
            throw DataError.inconsistent(detail: "synthetic image noise must be ≥ 0 and finite, got \(noise)")
        }
        let d = height * width
        var protoRNG = RandomState(seed: seed)
        let prototypes = (0..<classCount).map { _ in (0..<d).map { _ in protoRNG.uniform() } }
        var rng = RandomState(seed: seed &+ (split == .train ? 0x7472_6169_6E00 : 0x7465_7374_0000))
        var pixels = [S]()
        pixels.reserveCapacity(count * d)
        var labels = [Int]()
        labels.reserveCapacity(count)
        for i in 0..<count {
            let k = i % classCount
            labels.append(k)
            for j in 0..<d { pixels.append(S(Swift.min(1, Swift.max(0, prototypes[k][j] + noise * rng.normal())))) }
        }
        return try ImageClassificationData(images: Tensor(shape: [count, d], scalars: pixels), labels: labels,
                                           height: height, width: width, classCount: classCount)
    }

    /// Which split to draw (they share the class prototypes).
    public enum Split: Sendable { case train, test }
}
