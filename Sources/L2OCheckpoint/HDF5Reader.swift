import CHDF5
import L2OCore

/// Reads a whole HDF5 file into an in-memory `HDF5Group` tree.
///
/// Float datasets of any byte order become float32 (≤ 4-byte floats) or float64 tensors; datasets
/// of other types are kept as `.unsupported` entries; attributes are decoded as described on
/// `HDF5AttributeValue`. Only hard links are followed (soft and external links are skipped), so a
/// file cannot make the reader leave it. Must be called inside `HDF5Library.locked`.
struct HDF5Reader {
    let context: HDF5Context
    /// Deeper nesting than this is treated as a corrupted (cyclic) file.
    static let maximumDepth = 64
    /// Datasets with more elements than this are refused rather than allocated (corruption guard).
    static let maximumElements = 1 << 34
    /// Bytes of float data read so far from this file: the whole file must fit in memory
    /// (`ResourceLimits.memoryBytes`), checked before each dataset is allocated, so a small file
    /// declaring huge chunked datasets is refused instead of aborting the process.
    private final class Budget { var bytes = 0 }
    private let budget = Budget()

    init(context: HDF5Context) { self.context = context }

    /// Reads the open file `file` from its root group.
    func readRoot(of file: hid_t) throws -> HDF5Group {
        let root = try context.handle(H5Gopen2(file, "/", l2o_H5P_DEFAULT()), closer: H5Gclose, "open group", "/")
        return try withExtendedLifetime(root) { try readGroup(root.id, path: "/", depth: 0) }
    }

    private func readGroup(_ id: hid_t, path: String, depth: Int) throws -> HDF5Group {
        guard depth <= HDF5Reader.maximumDepth else {
            throw CheckpointError.hdf5Failure(
                file: context.file, object: path, operation: "read group",
                detail: "groups nest deeper than \(HDF5Reader.maximumDepth) levels (cyclic links?)")
        }
        var group = HDF5Group(attributes: try readAttributes(of: id, path: path))
        for name in try hardLinkNames(in: id, path: path) {
            let childPath = path == "/" ? "/" + name : path + "/" + name
            let object = try context.handle(H5Oopen(id, name, l2o_H5P_DEFAULT()), closer: H5Oclose, "open object", childPath)
            switch H5Iget_type(object.id) {
            case H5I_GROUP:
                group.children[name] = .group(try withExtendedLifetime(object) { try readGroup(object.id, path: childPath, depth: depth + 1) })
            case H5I_DATASET:
                group.children[name] = .dataset(try withExtendedLifetime(object) { try readDataset(object.id, path: childPath) })
            default:
                continue  // committed datatypes and other objects carry no data for us
            }
        }
        return group
    }

    private func hardLinkNames(in group: hid_t, path: String) throws -> [String] {
        final class Names { var list: [String] = [] }
        let names = Names()
        let status = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, info, data in
            guard let name, let data else { return 0 }
            if let info, info.pointee.type != H5L_TYPE_HARD { return 0 }
            Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        try context.check(status, "list members of group", path)
        return withExtendedLifetime(names) { names.list }
    }

    private func readAttributes(of object: hid_t, path: String) throws -> [String: HDF5AttributeValue] {
        final class Names { var list: [String] = [] }
        let names = Names()
        let status = H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
            guard let name, let data else { return 0 }
            Unmanaged<Names>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        try context.check(status, "list attributes of", path)
        var result: [String: HDF5AttributeValue] = [:]
        for name in withExtendedLifetime(names, { names.list }) {
            let objectName = "\(path)@\(name)"
            let a = try context.handle(H5Aopen(object, name, l2o_H5P_DEFAULT()), closer: H5Aclose, "open attribute", objectName)
            result[name] = try readAttribute(a.id, objectName)
        }
        return result
    }

    private func readAttribute(_ a: hid_t, _ object: String) throws -> HDF5AttributeValue {
        let type = try context.handle(H5Aget_type(a), closer: H5Tclose, "get type of", object)
        let space = try context.handle(H5Aget_space(a), closer: H5Sclose, "get dataspace of", object)
        let typeClass = H5Tget_class(type.id)
        let points = H5Sget_simple_extent_npoints(space.id)
        guard points == 1 else {
            return .unsupported("\(describe(type: type.id)) with \(max(points, 0)) elements")
        }
        switch typeClass {
        case H5T_STRING:
            return .string(try readString(attribute: a, fileType: type.id, object))
        case H5T_INTEGER:
            var value: Int64 = 0
            try context.check(H5Aread(a, l2o_H5T_NATIVE_INT64(), &value), "read attribute", object)
            return .integer(value)
        case H5T_FLOAT:
            var value: Double = 0
            try context.check(H5Aread(a, l2o_H5T_NATIVE_DOUBLE(), &value), "read attribute", object)
            return .double(value)
        default:
            return .unsupported(describe(type: type.id))
        }
    }

    private func readString(attribute a: hid_t, fileType: hid_t, _ object: String) throws -> String {
        let isVariable = try context.answer(H5Tis_variable_str(fileType), "inspect string type of", object)
        if isVariable {
            let memType = try context.handle(H5Tcopy(l2o_H5T_C_S1()), closer: H5Tclose, "create string type for", object)
            try context.check(H5Tset_size(memType.id, l2o_H5T_VARIABLE()), "size string type for", object)
            try context.check(H5Tset_cset(memType.id, H5Tget_cset(fileType)), "set character set for", object)
            var pointer: UnsafeMutablePointer<CChar>? = nil
            try context.check(H5Aread(a, memType.id, &pointer), "read attribute", object)
            defer { if let pointer { _ = H5free_memory(pointer) } }
            return pointer.map { String(cString: $0) } ?? ""
        }
        let size = H5Tget_size(fileType)
        guard size > 0, size < 1 << 30 else { return "" }
        let memType = try context.handle(H5Tcopy(fileType), closer: H5Tclose, "copy string type of", object)
        var bytes = [UInt8](repeating: 0, count: size)
        try context.check(H5Aread(a, memType.id, &bytes), "read attribute", object)
        var end = bytes.firstIndex(of: 0) ?? bytes.count
        if H5Tget_strpad(fileType) == H5T_STR_SPACEPAD {
            while end > 0 && bytes[end - 1] == 0x20 { end -= 1 }
        }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    private func readDataset(_ d: hid_t, path: String) throws -> HDF5Dataset {
        let type = try context.handle(H5Dget_type(d), closer: H5Tclose, "get type of", path)
        let space = try context.handle(H5Dget_space(d), closer: H5Sclose, "get dataspace of", path)
        let attributes = try readAttributes(of: d, path: path)
        let shape = try readShape(space.id, path)
        let typeClass = H5Tget_class(type.id)
        guard typeClass == H5T_FLOAT, let shape else {
            let description = shape == nil ? "\(describe(type: type.id)), empty dataspace" : describe(type: type.id)
            return HDF5Dataset(content: .unsupported(type: description, shape: shape ?? []), attributes: attributes)
        }
        let count = shape.reduce(1, *)
        let bytesPerElement = H5Tget_size(type.id) <= 4 ? 4 : 8
        let (total, overflow) = budget.bytes.addingReportingOverflow(count * bytesPerElement)
        guard !overflow, total <= ResourceLimits.memoryBytes else {
            throw CheckpointError.hdf5Failure(
                file: context.file, object: path, operation: "read",
                detail: "its declared shape \(shape) needs \(ResourceLimits.formatBytes(count * bytesPerElement)), which with the rest of the file is more than this machine's memory (\(ResourceLimits.formatBytes(ResourceLimits.memoryBytes)))")
        }
        budget.bytes = total
        if H5Tget_size(type.id) <= 4 {
            let scalars: [Float] = try readScalars(d, count: count, memType: l2o_H5T_NATIVE_FLOAT(), path)
            return HDF5Dataset(.float32(Tensor(shape: shape, scalars: scalars)), attributes: attributes)
        }
        let scalars: [Double] = try readScalars(d, count: count, memType: l2o_H5T_NATIVE_DOUBLE(), path)
        return HDF5Dataset(.float64(Tensor(shape: shape, scalars: scalars)), attributes: attributes)
    }

    /// The dataset's shape (`[]` for a scalar dataspace), or nil for a null (empty) dataspace.
    private func readShape(_ space: hid_t, _ path: String) throws -> [Int]? {
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR: return []
        case H5S_NULL: return nil
        case H5S_SIMPLE: break
        default: throw context.failure("read dataspace of", path)
        }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw context.failure("read rank of", path) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { throw context.failure("read shape of", path) }
        var count = 1
        for dim in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(clamping: dim))
            guard !overflow, product <= HDF5Reader.maximumElements else {
                throw CheckpointError.hdf5Failure(
                    file: context.file, object: path, operation: "read shape of",
                    detail: "shape \(dims) exceeds \(HDF5Reader.maximumElements) elements")
            }
            count = product
        }
        return dims.map { Int(clamping: $0) }
    }

    private func readScalars<S: TensorScalar>(_ d: hid_t, count: Int, memType: hid_t, _ path: String) throws -> [S] {
        guard count > 0 else { return [] }
        return try [S](unsafeUninitializedCapacity: count) { buffer, initialized in
            let status = H5Dread(d, memType, l2o_H5S_ALL(), l2o_H5S_ALL(), l2o_H5P_DEFAULT(), buffer.baseAddress)
            try context.check(status, "read dataset", path)
            initialized = count
        }
    }

    /// A short description of an HDF5 datatype, e.g. `int32`, `uint8`, `string`, `compound`.
    private func describe(type: hid_t) -> String {
        let bits = H5Tget_size(type) * 8
        switch H5Tget_class(type) {
        case H5T_INTEGER: return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + String(bits)
        case H5T_FLOAT: return "float\(bits)"
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        case H5T_ENUM: return "enum"
        case H5T_ARRAY: return "array"
        case H5T_VLEN: return "vlen"
        case H5T_BITFIELD: return "bitfield"
        case H5T_OPAQUE: return "opaque"
        case H5T_REFERENCE: return "reference"
        case H5T_TIME: return "time"
        default: return "unknown type"
        }
    }
}
