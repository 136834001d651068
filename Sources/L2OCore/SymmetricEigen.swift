import CBLAS

/// Errors of dense linear-algebra routines.
public enum LinearAlgebraError: Error, CustomStringConvertible, Equatable {
    case notSquare(shape: [Int])
    case notSymmetric(maxAsymmetry: Double)
    case lapackFailure(routine: String, info: Int)

    public var description: String {
        switch self {
        case .notSquare(let s): return "expected a square matrix, got shape \(s)"
        case .notSymmetric(let a): return "expected a symmetric matrix; largest |a_ij − a_ji| is \(a)"
        case .lapackFailure(let r, let info): return "LAPACK \(r) failed with info = \(info)"
        }
    }
}

/// Eigen-decomposition of a real symmetric matrix through LAPACK `dsyev` (in Double).
public enum SymmetricEigen {
    /// Eigenvalues in ascending order, and (when `vectors`) the orthonormal eigenvectors as the
    /// columns of a row-major `n × n` tensor.
    public static func decompose(_ a: Tensor<Double>, vectors: Bool = false, symmetryTolerance: Double = 1e-10) throws
        -> (values: [Double], vectors: Tensor<Double>?)
    {
        guard a.rank == 2, a.shape[0] == a.shape[1] else { throw LinearAlgebraError.notSquare(shape: a.shape) }
        let n = a.shape[0]
        var asym = 0.0
        for i in 0..<n { for j in 0..<i { asym = Swift.max(asym, Swift.abs(a[i, j] - a[j, i])) } }
        guard asym <= symmetryTolerance * Swift.max(1, a.normInf()) else { throw LinearAlgebraError.notSymmetric(maxAsymmetry: asym) }
        if n == 0 { return ([], vectors ? Tensor.zeros([0, 0]) : nil) }
        // Row-major symmetric = column-major symmetric; dsyev returns eigenvectors as columns of
        // the column-major array, i.e. as rows of the row-major buffer.
        var m = a.scalars
        var w = [Double](repeating: 0, count: n)
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1
        var query = 0.0
        let jobz: CChar = vectors ? 86 : 78  // "V" or "N"
        let uplo: CChar = 85  // "U"
        var jz = jobz, ul = uplo
        dsyev_(&jz, &ul, &nn, &m, &lda, &w, &query, &lwork, &info, 1, 1)
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "dsyev (workspace query)", info: Int(info)) }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Swift.max(1, Int(lwork)))
        dsyev_(&jz, &ul, &nn, &m, &lda, &w, &work, &lwork, &info, 1, 1)
        guard info == 0 else { throw LinearAlgebraError.lapackFailure(routine: "dsyev", info: Int(info)) }
        return (w, vectors ? Tensor(shape: [n, n], scalars: m).transposed() : nil)
    }
}
