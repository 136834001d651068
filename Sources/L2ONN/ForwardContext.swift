import L2OCore

/// How a forward pass turns a module's `Parameter`s into `Variable`s.
///
/// By default each parameter is watched on `tape` (`tape.watch(p)`), so its gradient accumulates
/// into `p.grad` after `tape.backward`. A parameter can instead be *substituted* by any variable of
/// the right shape — the functional form `f(x; θ)` used to differentiate with respect to
/// parameters that live on the tape (meta-learning through an optimizee's weights, or gradient
/// checks against finite differences). With no tape, parameters enter as constants.
public struct ForwardContext<Scalar: TensorScalar> {
    public let tape: Tape<Scalar>?
    @usableFromInline let substitutes: [ObjectIdentifier: Variable<Scalar>]

    /// Parameters are watched on `tape` (or constants when `tape` is nil).
    public init(tape: Tape<Scalar>?) {
        self.tape = tape
        self.substitutes = [:]
    }

    /// Parameters in `substitutes` are replaced by the paired variables; others are watched.
    /// A pair whose shapes differ throws `parameterShapeMismatch` with the name `"?"`.
    public init(tape: Tape<Scalar>?, substitutes: [(Parameter<Scalar>, Variable<Scalar>)]) throws {
        self.tape = tape
        var map = [ObjectIdentifier: Variable<Scalar>]()
        for (p, v) in substitutes {
            guard p.shape == v.shape else {
                throw NNError.parameterShapeMismatch(name: "?", expected: p.shape, actual: v.shape)
            }
            map[ObjectIdentifier(p)] = v
        }
        self.substitutes = map
    }

    /// Substitutes parameters of `module` by full name (see `Module.namedParameters()`).
    /// Unknown names throw `unknownParameter`; wrong shapes `parameterShapeMismatch`. Names that
    /// are not given are watched on `tape` as usual.
    public init(tape: Tape<Scalar>?, module: some Module<Scalar>, substitutes: [String: Variable<Scalar>]) throws {
        let named = Dictionary(uniqueKeysWithValues: module.namedParameters().map { ($0.name, $0.parameter) })
        var pairs = [(Parameter<Scalar>, Variable<Scalar>)]()
        for name in substitutes.keys.sorted() {
            guard let p = named[name] else { throw NNError.unknownParameter(name: name) }
            let v = substitutes[name]!
            guard p.shape == v.shape else {
                throw NNError.parameterShapeMismatch(name: name, expected: p.shape, actual: v.shape)
            }
            pairs.append((p, v))
        }
        try self.init(tape: tape, substitutes: pairs)
    }

    /// Whether some parameters are replaced by other variables in this forward pass.
    @inlinable public var hasSubstitutes: Bool { !substitutes.isEmpty }

    /// The variable standing for `p` in this forward pass.
    @inlinable
    public func variable(_ p: Parameter<Scalar>) -> Variable<Scalar> {
        if let v = substitutes[ObjectIdentifier(p)] { return v }
        if let tape { return tape.watch(p) }
        return Variable(constant: p.value)
    }

    /// The context a layer uses when none is given: parameters watched on the input's tape.
    @inlinable
    public static func `default`(for x: Variable<Scalar>) -> ForwardContext {
        ForwardContext(tape: x.tape)
    }
}
