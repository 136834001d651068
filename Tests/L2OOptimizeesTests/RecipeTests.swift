import XCTest
import L2OCore
@testable import L2OOptimizees

final class RecipeTests: XCTestCase {
    func testLASSOShapesSparsityAndNoise() throws {
        let (n, d, N) = (4, 40, 500)
        let family = try LASSOFamily<Double>(nodes: n, dimension: d, samplesPerNode: N, lambda: 0.1, seed: 1)
        let raw = family.data(seed: 99)
        XCTAssertEqual(raw.A.shape, [n, N, d])
        XCTAssertEqual(raw.b.shape, [n, N])
        XCTAssertEqual(raw.plantedSignal.shape, [d])
        // Exactly 75% zeros, and the survivors are nonzero.
        XCTAssertEqual(raw.plantedSignal.scalars.filter { $0 == 0 }.count, 30)
        XCTAssertEqual(Recipes.zeroCount(dimension: 300), 225)
        // b − A x* = 0.1 ε exactly (up to rounding), and its sample standard deviation ≈ 0.1.
        let A = raw.A.reshaped([n * N, d])
        let residual = raw.b.reshaped([n * N]) - Tensor.matvec(A, raw.plantedSignal)
        // Error bound: b = A x* + 0.1ε and this A x* are two d-term products in possibly different
        // orders (OpenBLAS kernels depend on the CPU), each within d·u·|A||x*|; the additions and the
        // scaling round on terms ≤ |A||x*| + |b| (u = 2⁻⁵³).
        let magnitude = (Tensor.matvec(abs(A), abs(raw.plantedSignal)) + abs(raw.b.reshaped([n * N]))).max()
        XCTAssertLessThan(residual.maxAbsDifference(raw.noise.reshaped([n * N]) * 0.1), 2 * Double(d + 2) * (Double.ulpOfOne / 2) * magnitude)
        let m = Double(n * N)
        let mean = residual.sum() / m
        let std = ((residual - mean).squaredNorm() / (m - 1)).squareRoot()
        // Standard error of a sample standard deviation: σ/√(2m) ≈ 0.0016 here; allow 6 of them.
        XCTAssertEqual(std, 0.1, accuracy: 6 * 0.1 / (2 * m).squareRoot())
        XCTAssertEqual(mean, 0, accuracy: 6 * 0.1 / m.squareRoot())
        // A's entries look standard normal.
        XCTAssertEqual(raw.A.mean(), 0, accuracy: 6 / Double(raw.A.count).squareRoot())
        XCTAssertEqual(raw.A.squaredNorm() / Double(raw.A.count), 1, accuracy: 6 * (2 / Double(raw.A.count)).squareRoot())
    }

    func testSparseSignalZeroesTheSmallestMagnitudes() {
        var rng = RandomState(seed: 5)
        var copy = rng
        let x = Recipes.sparseSignal(dimension: 20, rng: &rng)
        let dense = (0..<20).map { _ in copy.normal() }
        let threshold = dense.map { abs($0) }.sorted()[15]   // the 15 smallest are zeroed
        for j in 0..<20 {
            XCTAssertEqual(x.scalars[j], abs(dense[j]) >= threshold ? dense[j] : 0)
        }
    }

    func testPerNodeSplitIsTheRowsOfTheFullMatrix() throws {
        let (n, d, N) = (3, 6, 4)
        let family = try LASSOFamily<Double>(nodes: n, dimension: d, samplesPerNode: N, lambda: 0.2, seed: 8)
        let raw = family.data(seed: InstanceSeed.derive(familySeed: 8, split: .train, index: 0))
        let p = try family.instance(.train, index: 0)
        let full = raw.A.reshaped([n * N, d]), bFull = raw.b.reshaped([n * N])
        let x = Tensor<Double>.normal([d], seed: 3)
        // Error bound for ‖Ax − b‖² evaluated in two orders: each rᵢ within (d + 1)·u·(|A||x| + |b|)ᵢ,
        // which moves Σr² by Σ 2|rᵢ|·that, and the squares and their sum add (rows + 1)·u·Σr².
        func squaredResidualBound(_ A: Tensor<Double>, _ b: Tensor<Double>, _ r: Tensor<Double>) -> Double {
            let u = Double.ulpOfOne / 2
            let rError = (Tensor.matvec(abs(A), abs(x)) + abs(b)) * (Double(d + 1) * u)
            return 2 * ((abs(r) * rError).sum() * 2 + Double(r.count + 1) * u * r.squaredNorm())
        }
        for i in 0..<n {
            let Ai = full.rows((i * N)..<((i + 1) * N)), bi = Tensor(Array(bFull.scalars[(i * N)..<((i + 1) * N)]))
            let ri = Tensor.matvec(Ai, x) - bi
            XCTAssertEqual(p.smoothValue(shard: i, at: x), ri.squaredNorm() / Double(2 * N),
                           accuracy: squaredResidualBound(Ai, bi, ri) / Double(2 * N))
            XCTAssertLessThan(relativeError(p.gradient(shard: i, at: x), Tensor.matvec(Ai, ri, transpose: true) * (1 / Double(N))), 1e2 * Double.epsilon)
        }
        let r = Tensor.matvec(full, x) - bFull
        // The same bound over all rows, plus d + 2 roundings of λ‖x‖₁ and the final sum.
        let valueBound = squaredResidualBound(full, bFull, r) / Double(2 * n * N) + 2 * Double(d + 2) * (Double.ulpOfOne / 2) * (0.2 * x.norm1() + r.squaredNorm() / Double(2 * n * N))
        XCTAssertEqual(p.value(x), r.squaredNorm() / Double(2 * n * N) + 0.2 * x.norm1(), accuracy: valueBound)
        XCTAssertEqual(p.shardWeights, [Double](repeating: 1.0 / 3, count: 3))
    }

    func testLogisticLabelsFollowThePlantedSignal() throws {
        let family = try LogisticFamily<Double>(nodes: 2, dimension: 12, samplesPerNode: 50, lambda: 0.1, seed: 4)
        let raw = family.data(seed: 17)
        XCTAssertEqual(raw.plantedSignal.scalars.filter { $0 == 0 }.count, 9)
        let z = Tensor.matvec(raw.A.reshaped([100, 12]), raw.plantedSignal)
        XCTAssertEqual(raw.b.reshaped([100]), z.map { $0 >= 0 ? 1 : 0 })
        let ones = raw.b.sum()
        XCTAssertGreaterThan(ones, 20)   // both classes present
        XCTAssertLessThan(ones, 80)
    }

    func testSplitsNeverOverlapAndAreDeterministic() throws {
        var seen = Set<UInt64>()
        for split in Split.allCases {
            for k in 0..<500 { seen.insert(InstanceSeed.derive(familySeed: 7, split: split, index: k)) }
        }
        XCTAssertEqual(seen.count, 1500)
        let family = try LASSOFamily<Double>(nodes: 2, dimension: 4, samplesPerNode: 3, lambda: 0.1, seed: 7)
        let train = try family.instances(.train, count: 3)
        let test = try family.instances(.test, count: 3)
        XCTAssertNotEqual(train[0].A, test[0].A)
        XCTAssertNotEqual(train[0].A, train[1].A)
        // Instance k does not depend on how many are drawn or on the start.
        XCTAssertEqual(try family.instances(.train, count: 1, from: 2)[0].A, train[2].A)
        XCTAssertEqual(try family.instance(.train, index: 1).b, train[1].b)
        // Another family seed gives other data.
        let other = try LASSOFamily<Double>(nodes: 2, dimension: 4, samplesPerNode: 3, lambda: 0.1, seed: 8)
        XCTAssertNotEqual(try other.instance(.train, index: 0).A, train[0].A)
        XCTAssertEqual(family.name, "LASSO(2,4,3,0.1)")
    }

    func testInvalidInputsThrowTypedErrors() {
        XCTAssertThrowsError(try LASSOFamily<Double>(nodes: 0, dimension: 4, samplesPerNode: 3, lambda: 0.1, seed: 1)) {
            XCTAssertEqual($0 as? OptimizeeError, .invalidArgument(what: "LASSO nodes n", detail: "0 must be ≥ 1"))
        }
        XCTAssertThrowsError(try LogisticFamily<Double>(nodes: 1, dimension: 4, samplesPerNode: 3, lambda: -1, seed: 1))
        XCTAssertThrowsError(try LASSO<Double>(A: .zeros([2, 3, 4]), b: .zeros([2, 4]), lambda: 0.1)) {
            guard case .shapeMismatch? = $0 as? OptimizeeError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try LASSO<Double>(A: .zeros([2, 3]), b: .zeros([2, 3]), lambda: 0.1))
        XCTAssertThrowsError(try LASSO<Double>(A: Tensor(shape: [1, 1, 1], scalars: [.nan]), b: .zeros([1, 1]), lambda: 0.1)) {
            XCTAssertEqual($0 as? OptimizeeError, .nonFiniteValues(what: "LASSO data", count: 1))
        }
        XCTAssertThrowsError(try LogisticRegression<Double>(A: .zeros([1, 2, 2]), b: Tensor(shape: [1, 2], scalars: [0, 2]), lambda: 0))
    }
}
