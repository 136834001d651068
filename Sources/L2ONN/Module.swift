import L2OCore

/// Parameters with their names, in order.
public typealias NamedParameters<S: TensorScalar> = [(name: String, parameter: Parameter<S>)]
/// Buffers with their names, in order.
public typealias NamedBuffers<S: TensorScalar> = [(name: String, buffer: Buffer<S>)]
/// Child modules with their local names, in order.
public typealias NamedChildren<S: TensorScalar> = [(name: String, module: any Module<S>)]

/// A container of named trainable parameters, named buffers and child modules.
///
/// ## Naming scheme (stable: optimizers and checkpoints key on it)
/// A parameter's full name is the dot-joined path of child names from the root to the module that
/// owns it, followed by its local name: `encoder.0.weight`, `layers.1.bias`, `bn1.running_mean`.
/// `namedParameters()` lists a module's own parameters first (in the order of
/// `localParameters`), then each child's, depth first, in the order of `children`. The order and
/// the names depend only on the architecture, never on values or on the run.
///
/// Conformers declare only their *own* tensors and their children; everything else
/// (`namedParameters`, `parameterCount`, `loadParameters`, `train()`/`eval()`, …) is provided.
/// The three declarations have no default on purpose: a conformer that mistyped one would
/// otherwise silently lose its parameters. Leaf layers write `children: NamedChildren<Scalar> { [] }`.
public protocol Module<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// This module's own trainable tensors, with local names (no dots), in a fixed order.
    var localParameters: NamedParameters<Scalar> { get }
    /// This module's own non-trainable state, with local names (no dots), in a fixed order.
    var localBuffers: NamedBuffers<Scalar> { get }
    /// Direct sub-modules with their local names, in a fixed order.
    var children: NamedChildren<Scalar> { get }
    /// Training mode (`true`, the default) or evaluation mode. Set it for a whole tree with
    /// `train()` / `eval()`; only layers whose forward differs (BatchNorm) read it.
    var isTraining: Bool { get set }
}

extension Module {
    /// Every trainable parameter of the tree with its full hierarchical name (see `Module`).
    public func namedParameters(prefix: String = "") -> NamedParameters<Scalar> {
        var out = localParameters.map { (name: prefix + $0.name, parameter: $0.parameter) }
        for child in children {
            out += child.module.namedParameters(prefix: prefix + child.name + ".")
        }
        return out
    }

    /// Every buffer of the tree with its full hierarchical name (see `Module`).
    public func namedBuffers(prefix: String = "") -> NamedBuffers<Scalar> {
        var out = localBuffers.map { (name: prefix + $0.name, buffer: $0.buffer) }
        for child in children {
            out += child.module.namedBuffers(prefix: prefix + child.name + ".")
        }
        return out
    }

    /// The parameters in `namedParameters()` order.
    public var parameters: [Parameter<Scalar>] { namedParameters().map(\.parameter) }

    /// Total number of trainable scalars.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.parameter.value.count } }

    /// Full names of the parameters, in order.
    public var parameterNames: [String] { namedParameters().map(\.name) }

    /// Sets training mode on this module and every descendant.
    public func train(_ on: Bool = true) {
        isTraining = on
        for child in children { child.module.train(on) }
    }

    /// Sets evaluation mode on this module and every descendant (`train(false)`).
    public func eval() { train(false) }

    /// Clears the accumulated gradient of every parameter.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// Parameter values by full name.
    public func parameterTensors() -> [String: Tensor<Scalar>] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.name, $0.parameter.value) })
    }

    /// Buffer values by full name.
    public func bufferTensors() -> [String: Tensor<Scalar>] {
        Dictionary(uniqueKeysWithValues: namedBuffers().map { ($0.name, $0.buffer.value) })
    }

    /// Parameters and buffers by full name (what a checkpoint stores).
    public func stateTensors() -> [String: Tensor<Scalar>] {
        parameterTensors().merging(bufferTensors()) { a, _ in a }
    }

    /// Replaces every parameter value from `tensors`, keyed by full name.
    ///
    /// All-or-nothing: every owned name must be present with exactly its current shape, and every
    /// key must be an owned name; otherwise the first problem (in parameter order, then unknown
    /// keys sorted) is thrown as `missingParameter`, `parameterShapeMismatch` or
    /// `unknownParameter`, and no parameter is changed. Gradients are left untouched.
    public func loadParameters(_ tensors: [String: Tensor<Scalar>]) throws {
        try Self.load(tensors, into: parameterSlots())
    }

    /// Replaces every buffer value from `tensors` with the same all-or-nothing checks as
    /// `loadParameters(_:)`.
    public func loadBuffers(_ tensors: [String: Tensor<Scalar>]) throws {
        try Self.load(tensors, into: bufferSlots())
    }

    /// Replaces parameters and buffers together (the inverse of `stateTensors()`), all or nothing.
    public func loadState(_ tensors: [String: Tensor<Scalar>]) throws {
        try Self.load(tensors, into: parameterSlots() + bufferSlots())
    }

    /// All parameters concatenated into one vector, in `namedParameters()` order (row-major each).
    public func flatParameters() -> Tensor<Scalar> {
        Tensor(namedParameters().flatMap(\.parameter.value.scalars))
    }

    /// All gradients concatenated like `flatParameters()`; zeros for parameters without one.
    public func flatGradients() -> Tensor<Scalar> {
        Tensor(namedParameters().flatMap { $0.parameter.grad?.scalars ?? .init(repeating: 0, count: $0.parameter.value.count) })
    }

    /// Sets every parameter from a vector laid out like `flatParameters()` (all or nothing).
    public func loadFlatParameters(_ flat: Tensor<Scalar>) throws {
        let named = namedParameters()
        guard flat.rank == 1, flat.count == parameterCount else {
            throw NNError.shapeMismatch(operation: "loadFlatParameters", expected: "[\(parameterCount)]", actual: flat.shape)
        }
        var offset = 0
        for (_, p) in named {
            let n = p.value.count
            p.value = Tensor(shape: p.value.shape, scalars: Array(flat.scalars[offset..<(offset + n)]))
            offset += n
        }
    }

    typealias Slot = (name: String, get: () -> Tensor<Scalar>, set: (Tensor<Scalar>) -> Void)

    func parameterSlots() -> [Slot] {
        namedParameters().map { p in (p.name, { p.parameter.value }, { p.parameter.value = $0 }) }
    }

    func bufferSlots() -> [Slot] {
        namedBuffers().map { b in (b.name, { b.buffer.value }, { b.buffer.value = $0 }) }
    }

    static func load(
        _ tensors: [String: Tensor<Scalar>],
        into slots: [Slot]
    ) throws {
        for (name, get, _) in slots {
            guard let t = tensors[name] else { throw NNError.missingParameter(name: name) }
            let expected = get().shape
            guard t.shape == expected else {
                throw NNError.parameterShapeMismatch(name: name, expected: expected, actual: t.shape)
            }
        }
        let known = Set(slots.map(\.0))
        if let extra = tensors.keys.filter({ !known.contains($0) }).sorted().first {
            throw NNError.unknownParameter(name: extra)
        }
        for (name, _, set) in slots { set(tensors[name]!) }
    }
}
