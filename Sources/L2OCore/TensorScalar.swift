import CBLAS
import Foundation

/// The element types a `Tensor` can hold: `Float` (training default) and `Double` (long-horizon
/// evaluation to gaps of 1e-15, gradient checks). Every kernel is generic over this protocol; the
/// requirements below are the points where the two types dispatch to different BLAS routines or
/// libm functions.
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable,
    LosslessStringConvertible where Self.RawSignificand: FixedWidthInteger
{
    /// The HDF5/NumPy-style name of the type: `float32` or `float64`.
    static var dtypeName: String { get }
    /// Machine epsilon used to derive test and solver tolerances.
    static var epsilon: Self { get }

    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self
    static func sqrt(_ x: Self) -> Self
    static func log1p(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
    /// `e^x` for fused kernels: a vectorizable few-ulp approximation (`FastMath`).
    static func kernelExp(_ x: Self) -> Self

    /// `C ← α op(A) op(B) + β C` (row-major).
    static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `y ← α op(A) x + β y` (row-major, A is m×n).
    static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int,
        x: UnsafePointer<Self>, incx: Int, beta: Self, y: UnsafeMutablePointer<Self>, incy: Int)
    /// `y ← α x + y`.
    static func axpy(n: Int, alpha: Self, x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>)
    /// `xᵀy`.
    static func dot(n: Int, x: UnsafePointer<Self>, y: UnsafePointer<Self>) -> Self
}

extension Float: TensorScalar {
    public static var dtypeName: String { "float32" }
    public static var epsilon: Float { Float.ulpOfOne }
    @inlinable public static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { Foundation.logf(x) }
    @inlinable public static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inlinable public static func sqrt(_ x: Float) -> Float { x.squareRoot() }
    @inlinable public static func log1p(_ x: Float) -> Float { Foundation.log1pf(x) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
    @inlinable @inline(__always) public static func kernelExp(_ x: Float) -> Float { FastMath.exp(x) }

    @inlinable public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
            blasint(ldc))
    }
    @inlinable public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int
    ) {
        cblas_sgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a,
            blasint(lda), x, blasint(incx), beta, y, blasint(incy))
    }
    @inlinable public static func axpy(
        n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    ) {
        cblas_saxpy(blasint(n), alpha, x, 1, y, 1)
    }
    @inlinable public static func dot(n: Int, x: UnsafePointer<Float>, y: UnsafePointer<Float>)
        -> Float
    {
        cblas_sdot(blasint(n), x, 1, y, 1)
    }
}

extension Double: TensorScalar {
    public static var dtypeName: String { "float64" }
    public static var epsilon: Double { Double.ulpOfOne }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inlinable public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
    @inlinable public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inlinable @inline(__always) public static func kernelExp(_ x: Double) -> Double { FastMath.exp(x) }

    @inlinable public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c,
            blasint(ldc))
    }
    @inlinable public static func gemv(
        trans: Bool, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
        x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>,
        incy: Int
    ) {
        cblas_dgemv(
            CblasRowMajor, trans ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), alpha, a,
            blasint(lda), x, blasint(incx), beta, y, blasint(incy))
    }
    @inlinable public static func axpy(
        n: Int, alpha: Double, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
    ) {
        cblas_daxpy(blasint(n), alpha, x, 1, y, 1)
    }
    @inlinable public static func dot(n: Int, x: UnsafePointer<Double>, y: UnsafePointer<Double>)
        -> Double
    {
        cblas_ddot(blasint(n), x, 1, y, 1)
    }
}

/// Controls the number of threads OpenBLAS uses for one call. `Runtime.configure()` sets it to 1,
/// so kernels that call BLAS from inside their own parallel loops (`CoordinatewiseKernel`) never
/// nest two kinds of parallelism.
public enum BLASThreads {
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    public static var current: Int { Int(openblas_get_num_threads()) }
}
