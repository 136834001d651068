/// A split of a problem family's instances. Splits never share an instance (see `InstanceSeed`).
public enum Split: String, Codable, CaseIterable, Sendable {
    case train, validation, test

    /// The 2-bit tag of the split in the seed derivation.
    @inlinable public var tag: UInt64 {
        switch self {
        case .train: return 0
        case .validation: return 1
        case .test: return 2
        }
    }
}

/// Derives per-instance seeds from a family seed:
/// ```
/// key(split, index) = tag(split)·2⁶² + index                (train 0, validation 1, test 2; index < 2⁶²)
/// seed(F, split, index) = mix( F + mix(key) )                 (wrapping addition)
/// ```
/// where `mix` is the SplitMix64 output function (xor-shift-multiply rounds), a bijection of
/// `UInt64`. `key` is injective and `z ↦ mix(F + mix(z))` is a composition of bijections, so for
/// one family seed `F` two different (split, index) pairs **always** get different instance seeds:
/// train, validation and test never overlap, and instance `k` of a split does not depend on how many
/// instances are drawn. Each instance seed starts its own `RandomState`.
public enum InstanceSeed {
    /// The SplitMix64 finalizer (bijective on `UInt64`).
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed of instance `index` (0 ≤ index < 2⁶²) of `split` in the family seeded by `familySeed`.
    @inlinable
    public static func derive(familySeed: UInt64, split: Split, index: Int) -> UInt64 {
        precondition(index >= 0 && UInt64(index) < (1 << 62), "InstanceSeed: index \(index) outside 0..<2^62")
        let key = (split.tag << 62) | UInt64(index)
        return mix(familySeed &+ mix(key))
    }

    /// The seed of group `group` of a suite seeded by `suiteSeed` (`mix(suiteSeed + mix(2⁶³ + group))`,
    /// a key space disjoint from the instance keys).
    @inlinable
    public static func group(suiteSeed: UInt64, group: Int) -> UInt64 {
        precondition(group >= 0, "InstanceSeed.group: negative group \(group)")
        return mix(suiteSeed &+ mix((UInt64(3) << 62) | UInt64(group)))
    }
}
