/// The project's one seeded pseudo-random generator: xoshiro256** (Blackman & Vigna, 2018), seeded
/// through SplitMix64. The same seed gives the same stream on every run and every machine, because
/// the generator, the seeding and the floating-point conversions are all defined here.
public struct RandomState: RandomNumberGenerator, Sendable, Codable, Equatable {
    @usableFromInline var s: (UInt64, UInt64, UInt64, UInt64)
    /// The four state words.
    public var stateWords: [UInt64] { [s.0, s.1, s.2, s.3] }
    /// A cached second normal draw from the Box–Muller pair.
    @usableFromInline var spareNormal: Double?

    public init(seed: UInt64) {
        var sm = seed
        func splitmix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
        spareNormal = nil
    }

    @inlinable static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = RandomState.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = RandomState.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [low, high).
    @inlinable
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// Standard normal by the Box–Muller transform (both values of each pair are used).
    @inlinable
    public mutating func normal() -> Double {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        var u1 = uniform()
        while u1 <= 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * _log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = r * _sin(theta)
        return r * _cos(theta)
    }

    /// Uniform integer in 0..<n.
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "RandomState.int(below:): n must be positive, got \(n)")
        return Int(next(upperBound: UInt64(n)))
    }

    /// A random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = int(below: i + 1)
                p.swapAt(i, j)
            }
        }
        return p
    }

    /// An independent generator derived from this one's seed stream (for per-worker streams).
    public mutating func split() -> RandomState { RandomState(seed: next()) }

    public static func == (a: RandomState, b: RandomState) -> Bool {
        a.s == b.s && a.spareNormal == b.spareNormal
    }

    enum CodingKeys: String, CodingKey { case s, spare }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let a = try c.decode([UInt64].self, forKey: .s)
        guard a.count == 4 else {
            throw DecodingError.dataCorruptedError(forKey: .s, in: c, debugDescription: "need 4 words")
        }
        s = (a[0], a[1], a[2], a[3])
        spareNormal = try c.decodeIfPresent(Double.self, forKey: .spare)
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode([s.0, s.1, s.2, s.3], forKey: .s)
        try c.encodeIfPresent(spareNormal, forKey: .spare)
    }
}

import Foundation
@inlinable func _log(_ x: Double) -> Double { Foundation.log(x) }
@inlinable func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inlinable func _cos(_ x: Double) -> Double { Foundation.cos(x) }

extension Tensor {
    /// iid uniform elements in [low, high).
    @inlinable
    public static func uniform(_ shape: [Int], low: Scalar = 0, high: Scalar = 1, rng: inout RandomState) -> Tensor {
        let lo = Double(low), hi = Double(high)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Scalar(rng.uniform(lo, hi)) })
    }
    /// iid normal elements with the given mean and standard deviation.
    @inlinable
    public static func normal(_ shape: [Int], mean: Scalar = 0, std: Scalar = 1, rng: inout RandomState) -> Tensor {
        let m = Double(mean), s = Double(std)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Scalar(m + s * rng.normal()) })
    }
    /// Convenience: uniform elements from a fresh generator seeded with `seed`.
    public static func uniform(_ shape: [Int], low: Scalar = 0, high: Scalar = 1, seed: UInt64) -> Tensor {
        var r = RandomState(seed: seed)
        return uniform(shape, low: low, high: high, rng: &r)
    }
    /// Convenience: normal elements from a fresh generator seeded with `seed`.
    public static func normal(_ shape: [Int], mean: Scalar = 0, std: Scalar = 1, seed: UInt64) -> Tensor {
        var r = RandomState(seed: seed)
        return normal(shape, mean: mean, std: std, rng: &r)
    }
}
