import XCTest
import L2OCore
@testable import L2ONN

/// Finite-difference check of a module's forward with respect to its inputs *and* every
/// parameter: parameters are substituted by gradient-check leaves through `ForwardContext`.
/// Fails the test if the check fails or if it covered fewer tensors than expected.
func checkModuleGradients<M: Module>(
    _ module: M, inputs: [Tensor<Double>], tolerance: Double = 1e-6,
    file: StaticString = #filePath, line: UInt = #line,
    _ forward: @escaping (M, [Variable<Double>], ForwardContext<Double>) throws -> Variable<Double>
) where M.Scalar == Double {
    let named = module.namedParameters()
    let k = inputs.count
    let result = gradientCheck(inputs + named.map(\.parameter.value), tolerance: tolerance) { vars in
        let ctx = try! ForwardContext(tape: vars[0].tape, substitutes: Array(zip(named.map(\.parameter), vars[k...])))
        return try! forward(module, Array(vars[..<k]), ctx)
    }
    XCTAssertEqual(result.maxErrors.count, k + named.count, "gradient check did not cover every tensor", file: file, line: line)
    XCTAssertTrue(result.passed, "\(result) for inputs + \(named.map(\.name))", file: file, line: line)

    // The default path (parameters watched on the tape) must deliver the same gradients into
    // `Parameter.grad`, and they must not be all zero (otherwise the check above proves little).
    let tape = Tape<Double>()
    module.zeroGrad()
    let xs = inputs.map { tape.variable($0) }
    let y = try! forward(module, xs, ForwardContext(tape: tape))
    let u = Tensor<Double>.uniform(y.shape, low: 0.5, high: 1.5, seed: 11)
    tape.backward((y * u).sum())
    for (name, p) in named {
        guard let g = p.grad else { XCTFail("no gradient reached \(name)", file: file, line: line); continue }
        XCTAssertGreaterThan(g.norm(), 0, "zero gradient for \(name)", file: file, line: line)
    }
    for (i, x) in xs.enumerated() {
        XCTAssertGreaterThan(tape.gradient(of: x).norm(), 0, "zero gradient for input \(i)", file: file, line: line)
    }
    module.zeroGrad()
}

/// Runs the same architecture in Double and Float (the Float copy loaded from the Double state)
/// and compares outputs, input gradients and parameter gradients within a Float tolerance.
func checkFloatMatchesDouble<MD: Module, MF: Module>(
    _ md: MD, _ mf: MF, inputs: [Tensor<Double>], tolerance: Double = 1e-4,
    file: StaticString = #filePath, line: UInt = #line,
    forwardDouble: (MD, [Variable<Double>]) throws -> Variable<Double>,
    forwardFloat: (MF, [Variable<Float>]) throws -> Variable<Float>
) throws where MD.Scalar == Double, MF.Scalar == Float {
    try mf.loadState(md.stateTensors().mapValues { $0.cast(to: Float.self) })
    md.zeroGrad()
    mf.zeroGrad()
    let td = Tape<Double>(), tf = Tape<Float>()
    let xd = inputs.map { td.variable($0) }
    let xf = inputs.map { tf.variable($0.cast(to: Float.self)) }
    let yd = try forwardDouble(md, xd)
    let yf = try forwardFloat(mf, xf)
    XCTAssertEqual(yd.shape, yf.shape, file: file, line: line)
    func close(_ f: Tensor<Float>, _ d: Tensor<Double>, _ what: String) {
        let scale = Swift.max(1, d.normInf())
        let err = f.cast(to: Double.self).maxAbsDifference(d)
        XCTAssertLessThanOrEqual(err, tolerance * scale, "\(what): Float differs from Double by \(err)", file: file, line: line)
    }
    close(yf.value, yd.value, "output")
    let u = Tensor<Double>.uniform(yd.shape, low: 0.5, high: 1.5, seed: 5)
    td.backward((yd * u).sum())
    tf.backward((yf * u.cast(to: Float.self)).sum())
    for i in 0..<inputs.count { close(tf.gradient(of: xf[i]), td.gradient(of: xd[i]), "gradient of input \(i)") }
    let pd = md.namedParameters(), pf = mf.namedParameters()
    XCTAssertEqual(pd.map(\.name), pf.map(\.name), file: file, line: line)
    for (a, b) in zip(pd, pf) {
        guard let gd = a.parameter.grad, let gf = b.parameter.grad else {
            XCTFail("missing gradient for \(a.name)", file: file, line: line); continue
        }
        close(gf, gd, "gradient of \(a.name)")
    }
    let bd = md.namedBuffers(), bf = mf.namedBuffers()
    for (a, b) in zip(bd, bf) { close(b.buffer.value, a.buffer.value, "buffer \(a.name)") }
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(
    _ expected: NNError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected \(expected) but nothing was thrown", file: file, line: line)
    } catch let e as NNError {
        XCTAssertEqual(e, expected, file: file, line: line)
    } catch {
        XCTFail("expected NNError, got \(error)", file: file, line: line)
    }
}

/// Asserts that `body` throws an `NNError` whose message contains every string in `fragments`.
func assertThrowsMessage<T>(
    containing fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected an error mentioning \(fragments) but nothing was thrown", file: file, line: line)
    } catch let e as NNError {
        for f in fragments {
            XCTAssertTrue(e.description.contains(f), "'\(e.description)' does not mention \(f)", file: file, line: line)
        }
    } catch {
        XCTFail("expected NNError, got \(error)", file: file, line: line)
    }
}

func rng(_ seed: UInt64 = 42) -> RandomState { RandomState(seed: seed) }
