// Differentiable elementwise arithmetic with broadcasting. Gradients of broadcast inputs are
// summed back to the input's shape (`Tensor.sumToShape`).

extension Variable {
    @inlinable public static func + (a: Variable, b: Variable) -> Variable {
        let sa = a.shape, sb = b.shape
        return binary(a, b, a.value + b.value) { g, na, nb in
            (na ? g.sumToShape(sa) : nil, nb ? g.sumToShape(sb) : nil)
        }
    }
    @inlinable public static func - (a: Variable, b: Variable) -> Variable {
        let sa = a.shape, sb = b.shape
        return binary(a, b, a.value - b.value) { g, na, nb in
            (na ? g.sumToShape(sa) : nil, nb ? (-g).sumToShape(sb) : nil)
        }
    }
    @inlinable public static func * (a: Variable, b: Variable) -> Variable {
        let av = a.value, bv = b.value
        return binary(a, b, av * bv) { g, na, nb in
            (na ? (g * bv).sumToShape(av.shape) : nil, nb ? (g * av).sumToShape(bv.shape) : nil)
        }
    }
    @inlinable public static func / (a: Variable, b: Variable) -> Variable {
        let av = a.value, bv = b.value
        let out = av / bv
        return binary(a, b, out) { g, na, nb in
            (na ? (g / bv).sumToShape(av.shape) : nil, nb ? (-(g * out) / bv).sumToShape(bv.shape) : nil)
        }
    }
    @inlinable public static prefix func - (a: Variable) -> Variable { unary(a, -a.value) { -$0 } }

    @inlinable public static func + (a: Variable, s: Scalar) -> Variable { unary(a, a.value + s) { $0 } }
    @inlinable public static func - (a: Variable, s: Scalar) -> Variable { unary(a, a.value - s) { $0 } }
    @inlinable public static func * (a: Variable, s: Scalar) -> Variable { unary(a, a.value * s) { $0 * s } }
    @inlinable public static func / (a: Variable, s: Scalar) -> Variable { unary(a, a.value / s) { $0 / s } }
    @inlinable public static func + (s: Scalar, a: Variable) -> Variable { a + s }
    @inlinable public static func - (s: Scalar, a: Variable) -> Variable { unary(a, s - a.value) { -$0 } }
    @inlinable public static func * (s: Scalar, a: Variable) -> Variable { a * s }
    @inlinable public static func / (s: Scalar, a: Variable) -> Variable {
        let av = a.value
        let out = s / av
        return unary(a, out) { g in -(g * out) / av }
    }

    /// Mixed forms with plain tensors (treated as constants).
    @inlinable public static func + (a: Variable, b: Tensor<Scalar>) -> Variable { a + Variable(constant: b) }
    @inlinable public static func - (a: Variable, b: Tensor<Scalar>) -> Variable { a - Variable(constant: b) }
    @inlinable public static func * (a: Variable, b: Tensor<Scalar>) -> Variable { a * Variable(constant: b) }
    @inlinable public static func / (a: Variable, b: Tensor<Scalar>) -> Variable { a / Variable(constant: b) }
    @inlinable public static func + (a: Tensor<Scalar>, b: Variable) -> Variable { Variable(constant: a) + b }
    @inlinable public static func - (a: Tensor<Scalar>, b: Variable) -> Variable { Variable(constant: a) - b }
    @inlinable public static func * (a: Tensor<Scalar>, b: Variable) -> Variable { Variable(constant: a) * b }
}

// MARK: Elementwise functions

@inlinable public func exp<S>(_ x: Variable<S>) -> Variable<S> {
    let y = exp(x.value)
    return Variable.unary(x, y) { $0 * y }
}
@inlinable public func log<S>(_ x: Variable<S>) -> Variable<S> {
    let xv = x.value
    return Variable.unary(x, log(xv)) { $0 / xv }
}
@inlinable public func sqrt<S>(_ x: Variable<S>) -> Variable<S> {
    let y = sqrt(x.value)
    return Variable.unary(x, y) { g in g.zipWith(y) { $0 / (2 * $1) } }
}
@inlinable public func square<S>(_ x: Variable<S>) -> Variable<S> {
    let xv = x.value
    return Variable.unary(x, square(xv)) { g in g.zipWith(xv) { 2 * $0 * $1 } }
}
@inlinable public func tanh<S>(_ x: Variable<S>) -> Variable<S> {
    let y = tanh(x.value)
    return Variable.unary(x, y) { g in g.zipWith(y) { $0 * (1 - $1 * $1) } }
}
@inlinable public func sigmoid<S>(_ x: Variable<S>) -> Variable<S> {
    let y = sigmoid(x.value)
    return Variable.unary(x, y) { g in g.zipWith(y) { $0 * $1 * (1 - $1) } }
}
@inlinable public func softplus<S>(_ x: Variable<S>) -> Variable<S> {
    let xv = x.value
    return Variable.unary(x, softplus(xv)) { g in g.zipWith(xv) { $0 * sigmoidScalar($1) } }
}
@inlinable public func relu<S>(_ x: Variable<S>) -> Variable<S> {
    let xv = x.value
    return Variable.unary(x, relu(xv)) { g in g.zipWith(xv) { $1 > 0 ? $0 : 0 } }
}
@inlinable public func leakyRelu<S>(_ x: Variable<S>, slope: S = 0.01) -> Variable<S> {
    let xv = x.value
    return Variable.unary(x, leakyRelu(xv, slope: slope)) { g in g.zipWith(xv) { $1 > 0 ? $0 : slope * $0 } }
}
@inlinable public func abs<S>(_ x: Variable<S>) -> Variable<S> {
    let xv = x.value
    return Variable.unary(x, abs(xv)) { g in g.zipWith(xv) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) } }
}
/// −1, 0 or 1 elementwise; its derivative is zero almost everywhere.
@inlinable public func sign<S>(_ x: Variable<S>) -> Variable<S> {
    let shape = x.shape
    return Variable.unary(x, sign(x.value)) { _ in .zeros(shape) }
}
@inlinable public func clamp<S>(_ x: Variable<S>, min lo: S, max hi: S) -> Variable<S> {
    let xv = x.value
    return Variable.unary(x, clamp(xv, min: lo, max: hi)) { g in g.zipWith(xv) { ($1 >= lo && $1 <= hi) ? $0 : 0 } }
}
/// Soft-thresholding with a constant threshold: the prox of `t‖·‖₁`.
@inlinable public func softThreshold<S>(_ v: Variable<S>, _ t: S) -> Variable<S> {
    let vv = v.value
    return Variable.unary(v, softThreshold(vv, t)) { g in g.zipWith(vv) { Swift.abs($1) > t ? $0 : 0 } }
}
@inlinable public func maximum<S>(_ a: Variable<S>, _ b: Variable<S>) -> Variable<S> {
    let av = a.value, bv = b.value
    return Variable.binary(a, b, maximum(av, bv)) { g, na, nb in
        let maskA = av.zipWith(bv) { $0 >= $1 ? 1 : 0 }
        return (na ? (g * maskA).sumToShape(av.shape) : nil, nb ? (g * (1 - maskA)).sumToShape(bv.shape) : nil)
    }
}
