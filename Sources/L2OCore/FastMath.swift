/// Branch-free single-precision transcendental functions that the compiler can vectorize.
///
/// `exp` uses Cody–Waite range reduction `x = k·ln2 + r` with a degree-6 minimax polynomial for
/// `e^r` on `|r| ≤ ln2/2` (Cephes coefficients) and builds `2^k` from its bit pattern; rounding to
/// the nearest `k` uses the `1.5·2^23` shifter so no library call or branch is involved. Maximum
/// error is a few ulp over the clamped range [−87, 88]. Used by the Float paths of fused kernels;
/// Double paths use the C library for full accuracy.
public enum FastMath {
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let xc = Swift.min(Swift.max(x, -87), 88)
        let shifter: Float = 12_582_912  // 1.5·2^23
        let kf = xc * 1.442_695_04 + shifter
        let k = kf - shifter
        let r = xc - k * 0.693_359_375 + k * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * r * r + r + 1
        let scale = Float(bitPattern: (kf.bitPattern &- 0x4B40_0000 &+ 127) << 23)
        return y * scale
    }

    /// `1 / (1 + e^{−x})`.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// `tanh x = 2σ(2x) − 1` (absolute error ≈ 1e-7).
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float { 2 / (1 + exp(-2 * x)) - 1 }
}
