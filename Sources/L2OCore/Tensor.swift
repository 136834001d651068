/// A dense, contiguous, row-major n-dimensional array with value semantics.
///
/// Storage is a Swift array, so copies are copy-on-write: assigning a tensor is O(1) and the
/// elements are duplicated only when one of the copies is mutated. Rank 0 (a scalar) has shape `[]`.
public struct Tensor<Scalar: TensorScalar>: Sendable {
    /// The extent of each dimension.
    public let shape: [Int]
    /// The elements in row-major order.
    public var scalars: [Scalar]

    /// Creates a tensor from row-major elements; `scalars.count` must equal the product of `shape`.
    @inlinable
    public init(shape: [Int], scalars: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(
            shape.reduce(1, *) == scalars.count,
            "Tensor: shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor filled with `value`.
    @inlinable
    public init(repeating value: Scalar, shape: [Int]) {
        self.init(shape: shape, scalars: [Scalar](repeating: value, count: shape.reduce(1, *)))
    }

    /// A rank-0 tensor.
    @inlinable
    public init(_ value: Scalar) { self.init(shape: [], scalars: [value]) }

    /// A rank-1 tensor.
    @inlinable
    public init(_ values: [Scalar]) { self.init(shape: [values.count], scalars: values) }

    /// A rank-2 tensor from rows of equal length.
    @inlinable
    public init(rows: [[Scalar]]) {
        let cols = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == cols }, "Tensor(rows:): rows differ in length")
        self.init(shape: [rows.count, cols], scalars: rows.flatMap { $0 })
    }

    /// An uninitialised tensor whose elements are written by `body` (which must write all of them).
    @inlinable
    public init(
        shape: [Int], unsafeUninitialized body: (UnsafeMutableBufferPointer<Scalar>) -> Void
    ) {
        let count = shape.reduce(1, *)
        let s = [Scalar](unsafeUninitializedCapacity: count) { buf, initialized in
            body(buf)
            initialized = count
        }
        self.init(shape: shape, scalars: s)
    }

    @inlinable public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    @inlinable public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }
    /// The n×n identity matrix.
    @inlinable public static func eye(_ n: Int) -> Tensor {
        var t = Tensor.zeros([n, n])
        for i in 0..<n { t.scalars[i * n + i] = 1 }
        return t
    }

    /// Number of elements.
    @inlinable public var count: Int { scalars.count }
    @inlinable public var rank: Int { shape.count }
    /// The single element of a tensor with one element.
    @inlinable public var scalar: Scalar {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
        return scalars[0]
    }

    /// Element access by multi-index.
    @inlinable
    public subscript(_ index: Int...) -> Scalar {
        get { scalars[flatIndex(index)] }
        set { scalars[flatIndex(index)] = newValue }
    }

    @inlinable
    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor: index \(index) for shape \(shape)")
        var flat = 0
        for (i, (ix, n)) in zip(index, shape).enumerated() {
            precondition(ix >= 0 && ix < n, "Tensor: index \(index) out of range in dim \(i) of \(shape)")
            flat = flat * n + ix
        }
        return flat
    }

    /// Reads the elements through a pointer.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }
    /// Writes the elements through a pointer (copies first if the storage is shared).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        try scalars.withUnsafeMutableBufferPointer(body)
    }

    /// The same elements viewed with another shape of equal element count; one dimension may be -1.
    @inlinable
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let k = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != k }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "reshape: cannot infer -1 in \(newShape) for \(shape)")
            s[k] = count / known
        }
        precondition(s.reduce(1, *) == count, "reshape: \(shape) (\(count) elements) cannot become \(newShape)")
        return Tensor(shape: s, scalars: scalars)
    }

    /// Converts the element type.
    @inlinable
    public func cast<T: TensorScalar>(to: T.Type = T.self) -> Tensor<T> {
        Tensor<T>(shape: shape, scalars: scalars.map { T($0) })
    }
}

extension Tensor: Equatable {
    public static func == (a: Tensor, b: Tensor) -> Bool { a.shape == b.shape && a.scalars == b.scalars }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor<\(Scalar.dtypeName)>\(shape)[\(shown)\(count > 8 ? ", …" : "")]"
    }
}

extension Tensor {
    /// Whether every element is finite.
    @inlinable public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }

    /// Largest absolute elementwise difference to another tensor of the same shape.
    @inlinable
    public func maxAbsDifference(_ other: Tensor) -> Scalar {
        precondition(shape == other.shape, "maxAbsDifference: shapes \(shape) and \(other.shape) differ")
        var m: Scalar = 0
        for i in 0..<count { m = Swift.max(m, Swift.abs(scalars[i] - other.scalars[i])) }
        return m
    }

    /// Elementwise closeness: `|a − b| ≤ atol + rtol·|b|` everywhere.
    @inlinable
    public func isClose(to other: Tensor, rtol: Scalar, atol: Scalar) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count where !(Swift.abs(scalars[i] - other.scalars[i]) <= atol + rtol * Swift.abs(other.scalars[i])) {
            return false
        }
        return true
    }
}
