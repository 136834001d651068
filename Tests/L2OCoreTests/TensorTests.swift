import XCTest
@testable import L2OCore

final class TensorTests: XCTestCase {
    func testCreationAndShape() {
        let t = Tensor<Double>(rows: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t[1, 2], 6)
        XCTAssertEqual(Tensor<Float>.zeros([2, 2]).scalars, [0, 0, 0, 0])
        XCTAssertEqual(Tensor<Float>.ones([3]).sum(), 3)
        XCTAssertEqual(Tensor<Double>.eye(2).scalars, [1, 0, 0, 1])
        XCTAssertEqual(t.reshaped([3, -1]).shape, [3, 2])
        XCTAssertEqual(Tensor<Double>(3).shape, [])
    }

    func testCopyOnWrite() {
        let a = Tensor<Double>([1, 2, 3])
        var b = a
        b[0] = 10
        XCTAssertEqual(a.scalars, [1, 2, 3])
        XCTAssertEqual(b.scalars, [10, 2, 3])
    }

    func testBroadcastingValues() {
        let m = Tensor<Double>(rows: [[1, 2], [3, 4]])
        XCTAssertEqual((m + Tensor([10, 20])).scalars, [11, 22, 13, 24])
        XCTAssertEqual((m * Tensor(shape: [2, 1], scalars: [2, 3])).scalars, [2, 4, 9, 12])
        XCTAssertEqual((m - 1).scalars, [0, 1, 2, 3])
        XCTAssertEqual((2 / m).scalars, [2, 1, 2.0 / 3, 0.5])
        let r = Tensor<Double>(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6]) + Tensor(shape: [2, 1], scalars: [10, 20])
        XCTAssertEqual(r.shape, [2, 2, 3])
        XCTAssertEqual(r.scalars, [11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26])
        XCTAssertEqual(Broadcast.shape([3, 1], [4]), [3, 4])
        XCTAssertNil(Broadcast.shape([3, 2], [4]))
        let expected: [Double] = [81, 141]  // Σ of the 3-D operand (21) + 6·10 and + 6·20
        XCTAssertEqual(r.sumToShape([2, 1]).scalars, expected)
    }

    func testElementwiseClosedForms() {
        let x = Tensor<Double>([-2, -0.5, 0, 0.5, 2])
        XCTAssertEqual(relu(x).scalars, [0, 0, 0, 0.5, 2])
        XCTAssertEqual(leakyRelu(x, slope: 0.1).scalars, [-0.2, -0.05, 0, 0.5, 2])
        XCTAssertEqual(sign(x).scalars, [-1, -1, 0, 1, 1])
        XCTAssertEqual(abs(x).scalars, [2, 0.5, 0, 0.5, 2])
        XCTAssertEqual(clamp(x, min: -1, max: 1).scalars, [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(softThreshold(x, 1).scalars, [-1, 0, 0, 0, 1])
        XCTAssertEqual(softThreshold(x, Tensor([1, 0.25, 1, 1, 3])).scalars, [-1, -0.25, 0, 0, 0])
        XCTAssertEqual(sigmoid(Tensor<Double>([0])).scalars[0], 0.5)
        XCTAssertEqual(sigmoid(Tensor<Double>([-800])).scalars[0], 0)  // no overflow
        XCTAssertEqual(softplus(Tensor<Double>([800])).scalars[0], 800)  // no overflow
        XCTAssertEqual(softplus(Tensor<Double>([0])).scalars[0], Foundation.log(2), accuracy: 1e-15)
        XCTAssertEqual(exp(Tensor<Double>([1])).scalars[0], M_E, accuracy: 1e-15)
    }

    func testReductionsAndNorms() {
        let t = Tensor<Double>(shape: [2, 3], scalars: [1, -2, 3, 4, 5, -6])
        XCTAssertEqual(t.sum(), 5)
        XCTAssertEqual(t.sum(axis: 0).scalars, [5, 3, -3])
        XCTAssertEqual(t.sum(axis: 1).scalars, [2, 3])
        XCTAssertEqual(t.mean(axis: 1, keepingDims: true).shape, [2, 1])
        XCTAssertEqual(t.max(axis: 1).scalars, [3, 5])
        XCTAssertEqual(t.argmax(axis: 0), [1, 1, 0])
        XCTAssertEqual(t.norm1(), 21)
        XCTAssertEqual(t.normInf(), 6)
        XCTAssertEqual(t.squaredNorm(), 91)
        XCTAssertEqual(Tensor<Double>([3, 4]).norm(), 5)
    }

    func testMatmulAgainstHandComputed() {
        let a = Tensor<Double>(rows: [[1, 2], [3, 4], [5, 6]])
        let b = Tensor<Double>(rows: [[1, 0, 2], [0, 1, 3]])
        XCTAssertEqual(matmul(a, b).scalars, [1, 2, 8, 3, 4, 18, 5, 6, 28])
        XCTAssertEqual(matmul(a, a, transposeA: true).scalars, [35, 44, 44, 56])
        XCTAssertEqual(matmul(a, a, transposeB: true).shape, [3, 3])
        XCTAssertEqual(matmul(b, b, transposeA: true, transposeB: false).shape, [3, 3])
        XCTAssertEqual(Tensor.matvec(a, Tensor([1, 1])).scalars, [3, 7, 11])
        XCTAssertEqual(Tensor.matvec(a, Tensor([1, 0, 1]), transpose: true).scalars, [6, 8])
        let batch = Tensor.stack([a, a * 2])
        let r = matmul(batch, b)
        XCTAssertEqual(r.shape, [2, 3, 3])
        XCTAssertEqual(Array(r.scalars[9...]), (matmul(a, b) * 2).scalars)
        let f = matmul(a.cast(to: Float.self), b.cast(to: Float.self))
        XCTAssertEqual(f.scalars, [1, 2, 8, 3, 4, 18, 5, 6, 28])
    }

    func testShapeOps() {
        let a = Tensor<Double>(rows: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(a.transposed().scalars, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(a.rows(1..<2).scalars, [4, 5, 6])
        XCTAssertEqual(a.columns(1..<3).scalars, [2, 3, 5, 6])
        XCTAssertEqual(Tensor.concat([a, a], axis: 1).scalars, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        XCTAssertEqual(Tensor.concat([a, a.rows(0..<1)], axis: 0).shape, [3, 3])
        XCTAssertEqual(Tensor.stack([Tensor<Double>([1, 2]), Tensor([3, 4])], axis: 1).scalars, [1, 3, 2, 4])
        XCTAssertEqual(a.gatherRows([1, 1, 0]).scalars, [4, 5, 6, 4, 5, 6, 1, 2, 3])
        XCTAssertEqual(a.scatterAddRows([2, 2], rowCount: 3).scalars, [0, 0, 0, 0, 0, 0, 5, 7, 9])
        let big = Tensor<Double>.uniform([70, 45], seed: 3)
        XCTAssertEqual(big.transposed().transposed(), big)
        XCTAssertEqual(big.transposed()[7, 60], big[60, 7])
    }

    func testSparseMatchesDense() {
        let triplets: [(Int, Int, Double)] = [(0, 2, 1.5), (1, 0, -1), (2, 1, 2), (2, 2, 0.5), (0, 2, 0.5)]
        let s = SparseMatrix(rows: 3, cols: 3, triplets: triplets)
        XCTAssertEqual(s.nonzeroCount, 4)  // duplicate summed
        let x = Tensor<Double>.uniform([3, 4], seed: 5)
        XCTAssertLessThan(s.matmul(x).maxAbsDifference(matmul(s.toDense(), x)), 1e-14)
        XCTAssertLessThan(s.transposedMatmul(x).maxAbsDifference(matmul(s.toDense(), x, transposeA: true)), 1e-14)
        XCTAssertEqual(s.transposed().toDense(), s.toDense().transposed())
    }

    func testGossipRobustFormMatchesDenseMixing() {
        // Ring of 4 with weight 1/3: W x equals the dense product and preserves the average.
        var t = [(Int, Int, Double)]()
        for i in 0..<4 { t.append((i, (i + 1) % 4, 1.0 / 3)); t.append((i, (i + 3) % 4, 1.0 / 3)) }
        let op = GossipOperator(weights: SparseMatrix(rows: 4, cols: 4, triplets: t))
        var dense = Tensor<Double>.eye(4) * (1.0 / 3)
        for (i, j, w) in t { dense[i, j] = w }
        let x = Tensor<Double>.uniform([4, 3], seed: 9)
        // Error bound (u = 2⁻⁵³): the robust form xᵢ − Σⱼ wᵢⱼ(xᵢ − xⱼ) rounds 3·deg + 1 = 7 times on
        // terms of size at most |xᵢ| + Σⱼ wᵢⱼ(|xᵢ| + |xⱼ|) ≤ 3·max|x| (rows sum to 1); the dense
        // product (OpenBLAS dgemm, CPU-dependent order) is within γ₄·max|x|. The means add 4 terms.
        let u = Double.ulpOfOne / 2, tol = (7 + 4) * u * 3 * x.normInf()
        XCTAssertLessThan(op.apply(x).maxAbsDifference(matmul(dense, x)), tol)
        XCTAssertEqual(op.apply(x).mean(axis: 0).scalars[0], x.mean(axis: 0).scalars[0], accuracy: tol + 2 * 5 * u * x.normInf())
        XCTAssertLessThan(op.applyAdjoint(x).maxAbsDifference(matmul(dense, x, transposeA: true)), tol)
        // Consensus is a fixed point, exactly, even in Float.
        let c = Tensor<Float>(repeating: 0.1, shape: [4, 3])
        XCTAssertEqual(GossipOperator(weights: SparseMatrix<Float>(rows: 4, cols: 4, triplets: t.map { ($0.0, $0.1, Float($0.2)) })).apply(c), c)
    }

    func testLSTMCellForwardHandComputed() {
        // One row, input 1, hidden 1: every gate's pre-activation is known.
        let w = Tensor<Double>(shape: [1, 4], scalars: [0.5, -0.5, 1.0, 2.0])
        let u = Tensor<Double>(shape: [1, 4], scalars: [0.1, 0.2, 0.3, 0.4])
        let b = Tensor<Double>([0.0, 1.0, 0.0, -1.0])
        let x = Tensor<Double>(shape: [1, 1], scalars: [2]), h = Tensor<Double>(shape: [1, 1], scalars: [1]), c = Tensor<Double>(shape: [1, 1], scalars: [0.5])
        let (h2, c2) = lstmCell(x: Variable(constant: x), h: Variable(constant: h), c: Variable(constant: c),
                                w: Variable(constant: w), u: Variable(constant: u), b: Variable(constant: b))
        func sg(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
        let i = sg(1.1), f = sg(0.2), g = Foundation.tanh(2.3), o = sg(3.4)
        let cExp = f * 0.5 + i * g
        XCTAssertEqual(c2.value.scalars[0], cExp, accuracy: 1e-14)
        XCTAssertEqual(h2.value.scalars[0], o * Foundation.tanh(cExp), accuracy: 1e-14)
    }
}
