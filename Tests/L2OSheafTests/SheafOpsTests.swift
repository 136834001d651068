import XCTest
import L2OCore
import L2ONN
@testable import L2OSheaf

/// A small hand-made multigraph: 5 agents, 6 edges (two parallel), 3 slots.
func smallGraph() throws -> SheafGraph {
    try SheafGraph(cellCount: 5, views: (0..<5).map { [$0] },
                   edges: [.init(u: 0, v: 1, uSlot: 0, vSlot: 1), .init(u: 1, v: 2, uSlot: 1, vSlot: 2), .init(u: 2, v: 3, uSlot: 0, vSlot: 0),
                           .init(u: 3, v: 4, uSlot: 2, vSlot: 1), .init(u: 0, v: 4, uSlot: 1, vSlot: 0), .init(u: 0, v: 4, uSlot: 2, vSlot: 2)],
                   slotCount: 3)
}

final class SheafOpsTests: XCTestCase {
    /// The dense coboundary matrix `[E·d_e, A·d_v]` of problem `b`'s maps.
    func denseCoboundary(_ maps: Tensor<Double>, _ g: SheafGraph, problem b: Int) -> Tensor<Double> {
        let E = g.edgeCount, de = maps.shape[3], dv = maps.shape[4], A = g.agentCount
        let m = maps.shape[0] == 1 ? 0 : b
        var d = Tensor<Double>.zeros([E * de, A * dv])
        d.withUnsafeMutableBufferPointer { p in
            for (e, edge) in g.edges.enumerated() {
                for i in 0..<de { for j in 0..<dv {
                    p[(e * de + i) * A * dv + edge.u * dv + j] += maps[m, e, 0, i, j]
                    p[(e * de + i) * A * dv + edge.v * dv + j] -= maps[m, e, 1, i, j]
                } }
            }
        }
        return d
    }

    func testCoboundaryAndAdjointAgainstTheDenseMatrix() throws {
        let g = try smallGraph()
        for M in [1, 3] {
            let B = 3, dv = 4, de = 2
            let maps = Tensor<Double>.normal([M, g.edgeCount, 2, de, dv], seed: 1)
            let z = Tensor<Double>.normal([B, g.agentCount, dv], seed: 2), r = Tensor<Double>.normal([B, g.edgeCount, de], seed: 3)
            let dz = SheafKernels.coboundary(z, maps: maps, graph: g), dtr = SheafKernels.coboundaryAdjoint(r, maps: maps, graph: g)
            for b in 0..<B {
                let D = denseCoboundary(maps, g, problem: b)
                let wantDz = matmul(D, z.rows(b..<(b + 1)).reshaped([-1, 1])).reshaped([-1])
                let wantDtr = matmul(D, r.rows(b..<(b + 1)).reshaped([-1, 1]), transposeA: true).reshaped([-1])
                // Each entry is a sum of 2·d_v (resp. ≤ deg·d_e) products: within a few ulps of the
                // sum of magnitudes; 64·ε·(that sum) bounds both orders of summation.
                let bound = 64 * Double.ulpOfOne * (matmul(abs(D), abs(z.rows(b..<(b + 1)).reshaped([-1, 1]))).max() + 1)
                XCTAssertLessThan(dz.rows(b..<(b + 1)).reshaped([-1]).maxAbsDifference(wantDz), bound, "δz, M = \(M)")
                let boundT = 64 * Double.ulpOfOne * (matmul(abs(D), abs(r.rows(b..<(b + 1)).reshaped([-1, 1])), transposeA: true).max() + 1)
                XCTAssertLessThan(dtr.rows(b..<(b + 1)).reshaped([-1]).maxAbsDifference(wantDtr), boundT, "δᵀr, M = \(M)")
            }
        }
    }

    /// With one map shared by every edge end, agents that agree (the same vertex value) give a
    /// zero residual: constant sections are global sections, and L z = 0 there.
    func testGlobalSectionsHaveZeroLaplacian() throws {
        let g = try SheafGraph.gridPatches(height: 5, width: 5, patch: 3, stride: 1, connectivity: .eight)
        var rng = RandomState(seed: 4)
        let maps = try RestrictionMaps<Double>(vertexStalk: 4, edgeStalk: 3, sharing: .global, slotCount: g.slotCount, rng: &rng)
        let F = try maps.maps(for: g, context: ForwardContext<Double>(tape: nil))
        let v = Tensor<Double>.normal([1, 1, 4], seed: 5)
        let z = Tensor<Double>(shape: [1, g.agentCount, 4], scalars: (0..<g.agentCount).flatMap { _ in v.scalars })
        let Lz = try sheafLaplacian(Variable(constant: z), maps: F, graph: g).value
        XCTAssertLessThan(Lz.normInf(), 64 * Double.ulpOfOne * Double(g.degrees.max()!) * z.normInf() * 4)
        // A non-constant z has a non-zero Laplacian, and zᵀ L z = ‖δz‖² ≥ 0.
        let w = Tensor<Double>.normal([1, g.agentCount, 4], seed: 6)
        let Lw = try sheafLaplacian(Variable(constant: w), maps: F, graph: g).value
        let dw = try sheafCoboundary(Variable(constant: w), maps: F, graph: g).value
        XCTAssertEqual(w.dot(Lw), dw.squaredNorm(), accuracy: 1e-12 * dw.squaredNorm())
        XCTAssertGreaterThan(dw.squaredNorm(), 0.1)
    }

    func testGradientsMatchFiniteDifferences() throws {
        let g = try smallGraph()
        for M in [1, 2] {
            let B = 2, dv = 3, de = 2
            let z = Tensor<Double>.normal([B, g.agentCount, dv], seed: 7), maps = Tensor<Double>.normal([M, g.edgeCount, 2, de, dv], seed: 8)
            let r = Tensor<Double>.normal([B, g.edgeCount, de], seed: 9)
            // The ops are bilinear: central differences are exact up to rounding, ε = 1e-6 leaves
            // ~1e-10 relative; 1e-7 is far above that and far below any wrong term.
            let c1 = gradientCheck([z, maps], tolerance: 1e-7) { v in try! sheafCoboundary(v[0], maps: v[1], graph: g) }
            XCTAssertTrue(c1.passed, "coboundary, M = \(M): \(c1)")
            let c2 = gradientCheck([r, maps], tolerance: 1e-7) { v in try! sheafCoboundaryAdjoint(v[0], maps: v[1], graph: g) }
            XCTAssertTrue(c2.passed, "adjoint, M = \(M): \(c2)")
            // Quadratic in the maps: central differences are exact for quadratics too.
            let c3 = gradientCheck([z, maps], tolerance: 1e-7) { v in try! sheafLaplacian(v[0], maps: v[1], graph: g) }
            XCTAssertTrue(c3.passed, "laplacian, M = \(M): \(c3)")
        }
    }

    func testShapeErrorsNameTheShapes() throws {
        let g = try smallGraph()
        let z = Variable(constant: Tensor<Double>.zeros([1, 4, 3]))
        XCTAssertThrowsError(try sheafCoboundary(z, maps: Variable(constant: .zeros([1, g.edgeCount, 2, 2, 3])), graph: g)) { e in
            XCTAssertTrue("\(e)".contains("[1, 4, 3]"), "\(e)")
        }
        let z5 = Variable(constant: Tensor<Double>.zeros([2, 5, 3]))
        XCTAssertThrowsError(try sheafCoboundary(z5, maps: Variable(constant: .zeros([3, g.edgeCount, 2, 2, 3])), graph: g))
        XCTAssertThrowsError(try sheafCoboundaryAdjoint(Variable(constant: Tensor<Double>.zeros([2, 5, 2])), maps: Variable(constant: Tensor<Double>.zeros([1, g.edgeCount, 2, 2, 3])), graph: g))
    }
}
