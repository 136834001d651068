import Foundation
import XCTest
import L2OCore
import L2OOptimizees
import L2ODecentralized
import L2OMeta

/// The shipped rule on an instance where it stalls on its own: instance 3 of the test split of
/// LASSO(10,300,20,0.1) with suite seed 777, one of two of twelve fresh instances on which the
/// unguarded rule froze near a relative gap of 7e-7 (a limit cycle) while the other ten reached
/// machine precision (`docs/milodo.md`, "The safeguard"). With the safeguard, which evaluation and
/// inference use by default, it converges.
final class SafeguardRegressionTests: XCTestCase {
    var packageRoot: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    func testTheShippedRuleConvergesOnAnInstanceWhereItStallsAlone() throws {
        let shipped = packageRoot.appendingPathComponent("Checkpoints/milodo-lasso-10-300-10-0.1-support.h5").path
        let family = try LASSOFamily<Double>(nodes: 10, dimension: 300, samplesPerNode: 20, lambda: 0.1,
                                             seed: InstanceSeed.group(suiteSeed: 777, group: 0))
        let problem = try family.instance(.test, index: 3).withReferenceOptimum()
        let star = try XCTUnwrap(problem.referenceOptimum).value
        let oracles = try NodeOracles<Double>(problem)
        let mixing = try MixingMatrix<Double>(topology: try .ring(10), rule: .uniform)
        let milodo = try DecentralizedMethods.loadMiLoDo(shipped, mixing: mixing)
        XCTAssertNotNil(milodo.safeguard, "on by default")
        var state = milodo.makeState(oracles, mixing: mixing)
        var gap = Double.infinity
        for k in 1...5000 {
            milodo.step(&state, oracles, mixing: mixing)
            if k % 250 == 0 {
                gap = (problem.value(milodo.iterate(state).mean(axis: 0)) - star) / abs(star)
                if gap <= 1e-10 { break }
            }
        }
        let report = try XCTUnwrap(milodo.safeguardReport(state))
        print("safeguard on the stalling instance: \(report.summary); relative gap \(gap) at iteration \(milodo.iterationCount(state))")
        XCTAssertLessThanOrEqual(gap, 1e-10, "safeguard \(report.summary)")
    }
}
