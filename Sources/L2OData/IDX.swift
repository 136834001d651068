import CZlib
import Foundation
import L2OCore

/// An array in the IDX format of MNIST, Fashion-MNIST and friends (LeCun et al.): a 4-byte magic
/// `0x00 0x00 TYPE RANK`, `RANK` big-endian `UInt32` extents, then the elements row-major and
/// big-endian. `TYPE`: `0x08` UInt8, `0x09` Int8, `0x0B` Int16, `0x0C` Int32, `0x0D` Float32,
/// `0x0E` Float64.
public struct IDXArray: Equatable, Sendable {
    /// The element storage, in the file's own type.
    public enum Elements: Equatable, Sendable {
        case uint8([UInt8]), int8([Int8]), int16([Int16]), int32([Int32]), float32([Float]), float64([Double])

        public var count: Int {
            switch self {
            case .uint8(let a): return a.count
            case .int8(let a): return a.count
            case .int16(let a): return a.count
            case .int32(let a): return a.count
            case .float32(let a): return a.count
            case .float64(let a): return a.count
            }
        }

        /// The type byte of the magic number.
        public var typeCode: UInt8 {
            switch self {
            case .uint8: return 0x08
            case .int8: return 0x09
            case .int16: return 0x0B
            case .int32: return 0x0C
            case .float32: return 0x0D
            case .float64: return 0x0E
            }
        }

        /// Element `i` as a Double.
        @inlinable
        public subscript(i: Int) -> Double {
            switch self {
            case .uint8(let a): return Double(a[i])
            case .int8(let a): return Double(a[i])
            case .int16(let a): return Double(a[i])
            case .int32(let a): return Double(a[i])
            case .float32(let a): return Double(a[i])
            case .float64(let a): return a[i]
            }
        }
    }

    public var shape: [Int]
    public var elements: Elements

    /// Checks that the element count matches the shape.
    public init(shape: [Int], elements: Elements) throws {
        guard let need = try? ResourceLimits.elementCount(shape, what: "IDX array"), need == elements.count else {
            throw DataError.inconsistent(detail: "IDX array of shape \(shape) does not hold \(elements.count) elements")
        }
        self.shape = shape
        self.elements = elements
    }

    /// The elements as a tensor, each multiplied by `scale` (e.g. 1/255 for pixel bytes).
    public func tensor<S: TensorScalar>(_: S.Type = S.self, scale: Double = 1) -> Tensor<S> {
        if case .uint8(let bytes) = elements {
            let table = (0..<256).map { S(Double($0) * scale) }
            return Tensor(shape: shape) { out in
                for i in 0..<out.count { out[i] = table[Int(bytes[i])] }
            }
        }
        return Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = S(elements[i] * scale) }
        }
    }

    /// The elements as integers (class labels); throws for non-integral values.
    public func integers() throws -> [Int] {
        try (0..<elements.count).map { i in
            let v = elements[i]
            guard v == v.rounded(), abs(v) < 1e15 else {
                throw DataError.inconsistent(detail: "IDX element \(i) is \(v), not an integer label")
            }
            return Int(v)
        }
    }
}

/// Reading and writing IDX files, gzip-compressed or not (zlib's `gzread` reads both).
public enum IDX {
    /// Reads `path` (`.gz` or plain). Throws `fileNotFound` (with `hint`) or `malformed`.
    public static func read(path: String, hint: String = "check the path") throws -> IDXArray {
        guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileNotFound(path: path, hint: hint) }
        guard let file = gzopen(path, "rb") else { throw DataError.malformed(path: path, detail: "cannot open it for reading") }
        defer { gzclose(file) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "zlib error \(code)"
                throw DataError.malformed(path: path, detail: "decompression failed (\(message)); the file is damaged or truncated")
            }
            if n == 0 { break }
            guard bytes.count + Int(n) <= ResourceLimits.memoryBytes / 2 else {
                throw DataError.malformed(path: path, detail: "decompresses to more than half of this machine's memory (\(ResourceLimits.formatBytes(ResourceLimits.memoryBytes))); not an image or label file")
            }
            bytes.append(contentsOf: chunk[0..<Int(n)])
        }
        return try decode(bytes, source: path)
    }

    /// Parses the bytes of an (uncompressed) IDX file.
    public static func decode(_ bytes: [UInt8], source: String = "(in memory)") throws -> IDXArray {
        guard bytes.count >= 4 else { throw DataError.malformed(path: source, detail: "only \(bytes.count) bytes, shorter than the 4-byte magic") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.malformed(path: source, detail: String(format: "magic starts with 0x%02x%02x, not 0x0000", bytes[0], bytes[1]))
        }
        let type = bytes[2], rank = Int(bytes[3])
        let width: Int
        switch type {
        case 0x08, 0x09: width = 1
        case 0x0B: width = 2
        case 0x0C, 0x0D: width = 4
        case 0x0E: width = 8
        default: throw DataError.malformed(path: source, detail: String(format: "unknown element type 0x%02x", type))
        }
        let header = 4 + 4 * rank
        guard bytes.count >= header else { throw DataError.malformed(path: source, detail: "header of rank \(rank) is truncated") }
        var shape = [Int]()
        for k in 0..<rank { shape.append(Int(bigEndian32(bytes, 4 + 4 * k))) }
        let count: Int
        do { count = try ResourceLimits.elementCount(shape, what: source) } catch let e as ResourceLimitError {
            throw DataError.malformed(path: source, detail: e.detail)
        }
        let (payload, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, bytes.count == header + payload else {
            throw DataError.malformed(
                path: source, detail: "shape \(shape) needs \(header + count * width) bytes, the file has \(bytes.count) (truncated or extra data)")
        }
        let elements: IDXArray.Elements
        switch type {
        case 0x08: elements = .uint8(Array(bytes[header...]))
        case 0x09: elements = .int8(bytes[header...].map { Int8(bitPattern: $0) })
        case 0x0B: elements = .int16((0..<count).map { Int16(bitPattern: UInt16(bytes[header + 2 * $0]) << 8 | UInt16(bytes[header + 2 * $0 + 1])) })
        case 0x0C: elements = .int32((0..<count).map { Int32(bitPattern: bigEndian32(bytes, header + 4 * $0)) })
        case 0x0D: elements = .float32((0..<count).map { Float(bitPattern: bigEndian32(bytes, header + 4 * $0)) })
        default: elements = .float64((0..<count).map { Double(bitPattern: UInt64(bigEndian32(bytes, header + 8 * $0)) << 32 | UInt64(bigEndian32(bytes, header + 8 * $0 + 4))) })
        }
        return try IDXArray(shape: shape, elements: elements)
    }

    static func bigEndian32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    /// The IDX bytes of `array`.
    public static func encode(_ array: IDXArray) -> [UInt8] {
        var out: [UInt8] = [0, 0, array.elements.typeCode, UInt8(array.shape.count)]
        func put32(_ v: UInt32) { out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        for e in array.shape { put32(UInt32(e)) }
        switch array.elements {
        case .uint8(let a): out += a
        case .int8(let a): out += a.map { UInt8(bitPattern: $0) }
        case .int16(let a): for v in a { let u = UInt16(bitPattern: v); out += [UInt8(u >> 8), UInt8(u & 0xFF)] }
        case .int32(let a): for v in a { put32(UInt32(bitPattern: v)) }
        case .float32(let a): for v in a { put32(v.bitPattern) }
        case .float64(let a): for v in a { put32(UInt32(v.bitPattern >> 32)); put32(UInt32(v.bitPattern & 0xFFFF_FFFF)) }
        }
        return out
    }

    /// Writes `array` to `path`, gzip-compressed when `compressed` (as the datasets ship).
    public static func write(_ array: IDXArray, to path: String, compressed: Bool = true) throws {
        let bytes = encode(array)
        if !compressed {
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw DataError.writeFailed(path: path, detail: "the file could not be created")
            }
            return
        }
        guard let file = gzopen(path, "wb") else { throw DataError.writeFailed(path: path, detail: "gzopen failed") }
        let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        let closed = gzclose(file)
        guard Int(written) == bytes.count, closed == Z_OK else {
            throw DataError.writeFailed(path: path, detail: "zlib wrote \(written) of \(bytes.count) bytes")
        }
    }
}
