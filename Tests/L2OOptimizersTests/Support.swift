import Foundation
import L2OCore
import L2ONN
import XCTest
@testable import L2OOptimizers

/// Tolerance for comparing a few-operation computation against hand-written arithmetic: a few
/// hundred ulps of the scalar type, relative to the magnitude compared (≈ 5.7e-14 in Double).
func tolerance<S: TensorScalar>(_ type: S.Type, ulps: Double = 256) -> Double { ulps * Double(S.epsilon) }

/// Named parameters from plain values (rank-1 unless a shape is given).
func makeParameters<S: TensorScalar>(_ spec: [(String, [Double])], _ type: S.Type = S.self) -> NamedParameters<S> {
    spec.map { (name: $0.0, parameter: Parameter(Tensor<S>($0.1.map { S($0) }))) }
}

/// Runs `optimizer` with the given gradient for each step (one gradient list per step, one
/// entry per parameter) and returns the parameter values after each step, in Double.
func iterates<O: ParameterOptimizer>(
    _ optimizer: O, start: [[Double]], gradients: [[[Double]]], file: StaticString = #filePath, line: UInt = #line
) throws -> [[[Double]]] {
    let params = makeParameters(start.enumerated().map { ("p\($0.offset)", $0.element) }, O.Scalar.self)
    var state = optimizer.makeState(for: params)
    var out = [[[Double]]]()
    for (t, grads) in gradients.enumerated() {
        for (k, g) in grads.enumerated() { params[k].parameter.grad = Tensor(g.map { O.Scalar($0) }) }
        let report = try optimizer.step(&state, parameters: params, context: StepContext(iteration: t))
        XCTAssertTrue(report.applied, "step \(t) was skipped: \(report.skipReason ?? "")", file: file, line: line)
        out.append(params.map { $0.parameter.value.scalars.map(Double.init) })
    }
    return out
}

/// Asserts `actual ≈ expected` elementwise with `|a − e| ≤ tol·max(1, |e|)`.
func assertClose(_ actual: [Double], _ expected: [Double], tol: Double, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "length differs \(message)", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        XCTAssertLessThanOrEqual(abs(a - e), tol * max(1, abs(e)), "element \(i): \(a) vs \(e) \(message)", file: file, line: line)
    }
}

/// Asserts that `body` throws an `OptimizerError` and returns it.
@discardableResult
func assertOptimizerError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> OptimizerError? {
    do {
        _ = try body()
        XCTFail("expected an OptimizerError", file: file, line: line)
        return nil
    } catch let e as OptimizerError {
        XCTAssertFalse(e.description.isEmpty, file: file, line: line)
        return e
    } catch {
        XCTFail("expected an OptimizerError, got \(error)", file: file, line: line)
        return nil
    }
}
