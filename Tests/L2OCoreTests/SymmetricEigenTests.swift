import XCTest
@testable import L2OCore

final class SymmetricEigenTests: XCTestCase {
    func testKnownSpectrum() throws {
        // [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors (1,−1)/√2 and (1,1)/√2.
        let (w, v) = try SymmetricEigen.decompose(Tensor(rows: [[2, 1], [1, 2]]), vectors: true)
        XCTAssertEqual(w[0], 1, accuracy: 1e-14)
        XCTAssertEqual(w[1], 3, accuracy: 1e-14)
        let vec = try XCTUnwrap(v)
        XCTAssertEqual(Swift.abs(vec[0, 1]), 1 / 2.0.squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(vec[0, 1] * vec[1, 1], 0.5, accuracy: 1e-14)  // second column ∝ (1, 1)
    }

    func testReconstruction() throws {
        let b = Tensor<Double>.normal([6, 6], seed: 4)
        let a = (b + b.transposed()) * 0.5
        let (w, v) = try SymmetricEigen.decompose(a, vectors: true)
        let q = try XCTUnwrap(v)
        var d = Tensor<Double>.zeros([6, 6])
        for i in 0..<6 { d[i, i] = w[i] }
        let r = matmul(matmul(q, d), q, transposeB: true)
        XCTAssertLessThan(r.maxAbsDifference(a), 1e-12)
        XCTAssertEqual(w, w.sorted())
    }

    func testRejectsNonSymmetricAndNonSquare() {
        XCTAssertThrowsError(try SymmetricEigen.decompose(Tensor(rows: [[1, 2], [0, 1]])))
        XCTAssertThrowsError(try SymmetricEigen.decompose(Tensor<Double>.zeros([2, 3])))
    }
}
