import CHDF5
import L2OCore

/// Writes an in-memory `HDF5Group` tree into a new HDF5 file.
///
/// Tensors become datasets of little-endian IEEE float32/float64 (rank 0 → scalar dataspace);
/// attributes become scalar fixed-length NUL-terminated UTF-8 strings, int64 or float64.
///
/// Integrity: files use the HDF5 1.8 object format (`H5Pset_libver_bounds(V18, V18)`), whose
/// superblock, object headers and group indexes carry checksums, and every non-empty array dataset
/// is chunked with the Fletcher-32 checksum filter, so a flipped bit anywhere in a file we wrote is
/// reported as an error on reading instead of yielding garbage (or crashing the library). Both are
/// standard HDF5 features that h5py, h5dump and every HDF5 ≥ 1.8 reader understand.
/// Must be called inside `HDF5Library.locked`.
struct HDF5Writer {
    let context: HDF5Context

    /// Creates `path` (which must not exist), writes `root` into it, flushes and closes it.
    func write(_ root: HDF5Group, toNewFileAt path: String) throws {
        let fapl = try context.handle(H5Pcreate(l2o_H5P_FILE_ACCESS()), closer: H5Pclose, "create file-access list for", path)
        try context.check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG), "configure", path)
        try context.check(H5Pset_libver_bounds(fapl.id, H5F_LIBVER_V18, H5F_LIBVER_V18), "select the 1.8 file format for", path)
        let file = try context.handle(
            H5Fcreate(path, l2o_H5F_ACC_EXCL(), l2o_H5P_DEFAULT(), fapl.id), closer: H5Fclose, "create file", path)
        try writeContents(of: root, into: file.id, path: "/")
        try context.check(H5Fflush(file.id, H5F_SCOPE_GLOBAL), "flush file", path)
        guard file.close() else { throw context.failure("close file", path) }
    }

    private func writeContents(of group: HDF5Group, into location: hid_t, path: String) throws {
        for name in group.attributes.keys.sorted() {
            guard let value = group.attributes[name] else { continue }
            try writeAttribute(name, value, on: location, objectPath: path)
        }
        for name in group.children.keys.sorted() {
            guard let node = group.children[name] else { continue }
            _ = try HDF5Group.components(of: name)  // rejects '', '.', and names containing '/'
            let childPath = path == "/" ? "/" + name : path + "/" + name
            switch node {
            case .group(let child):
                let g = try context.handle(
                    H5Gcreate2(location, name, l2o_H5P_DEFAULT(), l2o_H5P_DEFAULT(), l2o_H5P_DEFAULT()),
                    closer: H5Gclose, "create group", childPath)
                try withExtendedLifetime(g) { try writeContents(of: child, into: g.id, path: childPath) }
            case .dataset(let dataset):
                try writeDataset(dataset, named: name, into: location, path: childPath)
            }
        }
    }

    private func dataspace(for shape: [Int], _ object: String) throws -> HDF5Handle {
        if shape.isEmpty {
            return try context.handle(H5Screate(H5S_SCALAR), closer: H5Sclose, "create dataspace for", object)
        }
        let dims = shape.map { hsize_t($0) }
        return try context.handle(
            H5Screate_simple(Int32(dims.count), dims, nil), closer: H5Sclose, "create dataspace for", object)
    }

    private func writeDataset(_ dataset: HDF5Dataset, named name: String, into location: hid_t, path: String) throws {
        guard case .tensor(let tensor) = dataset.content else {
            throw CheckpointError.writeFailed(
                file: context.file, detail: "dataset '\(path)' has an unsupported element type (\(dataset.dtypeName)) and cannot be written")
        }
        let space = try dataspace(for: tensor.shape, path)
        let fileType: hid_t
        let memType: hid_t
        switch tensor {
        case .float32: (fileType, memType) = (l2o_H5T_IEEE_F32LE(), l2o_H5T_NATIVE_FLOAT())
        case .float64: (fileType, memType) = (l2o_H5T_IEEE_F64LE(), l2o_H5T_NATIVE_DOUBLE())
        }
        let dcpl = try creationProperties(for: tensor, path)
        let d = try context.handle(
            H5Dcreate2(location, name, fileType, space.id, l2o_H5P_DEFAULT(), dcpl.id, l2o_H5P_DEFAULT()),
            closer: H5Dclose, "create dataset", path)
        if tensor.count > 0 {
            let status: herr_t
            switch tensor {
            case .float32(let t):
                status = t.withUnsafeBufferPointer { H5Dwrite(d.id, memType, l2o_H5S_ALL(), l2o_H5S_ALL(), l2o_H5P_DEFAULT(), $0.baseAddress) }
            case .float64(let t):
                status = t.withUnsafeBufferPointer { H5Dwrite(d.id, memType, l2o_H5S_ALL(), l2o_H5S_ALL(), l2o_H5P_DEFAULT(), $0.baseAddress) }
            }
            try context.check(status, "write dataset", path)
        }
        for attribute in dataset.attributes.keys.sorted() {
            guard let value = dataset.attributes[attribute] else { continue }
            try writeAttribute(attribute, value, on: d.id, objectPath: path)
        }
    }

    /// Chunk size cap in bytes: HDF5 chunks must stay below 4 GiB; smaller chunks also bound the
    /// memory a reader needs per chunk.
    static let maximumChunkBytes = 64 << 20

    /// Dataset creation properties: chunked with Fletcher-32 for non-empty arrays; default
    /// (contiguous, no filter) for scalars and empty arrays, which HDF5 cannot chunk.
    private func creationProperties(for tensor: AnyTensor, _ path: String) throws -> HDF5Handle {
        let dcpl = try context.handle(H5Pcreate(l2o_H5P_DATASET_CREATE()), closer: H5Pclose, "create properties for", path)
        guard !tensor.shape.isEmpty, tensor.count > 0 else { return dcpl }
        let elementBytes = tensor.dtypeName == Float.dtypeName ? 4 : 8
        var chunk = tensor.shape
        var axis = 0
        while chunk.reduce(elementBytes, *) > HDF5Writer.maximumChunkBytes && axis < chunk.count {
            if chunk[axis] > 1 { chunk[axis] = (chunk[axis] + 1) / 2 } else { axis += 1 }
        }
        let dims = chunk.map { hsize_t($0) }
        try context.check(H5Pset_chunk(dcpl.id, Int32(dims.count), dims), "set chunking for", path)
        try context.check(H5Pset_fletcher32(dcpl.id), "set checksum filter for", path)
        return dcpl
    }

    private func writeAttribute(_ name: String, _ value: HDF5AttributeValue, on location: hid_t, objectPath: String) throws {
        let object = "\(objectPath)@\(name)"
        let space = try context.handle(H5Screate(H5S_SCALAR), closer: H5Sclose, "create dataspace for", object)
        switch value {
        case .string(let s):
            // Fixed-length, NUL-terminated UTF-8: stored inside the (checksummed) object header,
            // unlike variable-length strings, whose unchecksummed global heap lets a corrupted
            // file crash libhdf5.
            var bytes = Array(s.utf8)
            bytes.append(0)
            let type = try context.handle(H5Tcopy(l2o_H5T_C_S1()), closer: H5Tclose, "create string type for", object)
            try context.check(H5Tset_size(type.id, bytes.count), "size string type for", object)
            try context.check(H5Tset_strpad(type.id, H5T_STR_NULLTERM), "set padding on", object)
            try context.check(H5Tset_cset(type.id, H5T_CSET_UTF8), "set UTF-8 on", object)
            let a = try context.handle(
                H5Acreate2(location, name, type.id, space.id, l2o_H5P_DEFAULT(), l2o_H5P_DEFAULT()),
                closer: H5Aclose, "create attribute", object)
            try context.check(H5Awrite(a.id, type.id, &bytes), "write attribute", object)
        case .integer(var i):
            let a = try context.handle(
                H5Acreate2(location, name, l2o_H5T_STD_I64LE(), space.id, l2o_H5P_DEFAULT(), l2o_H5P_DEFAULT()),
                closer: H5Aclose, "create attribute", object)
            try context.check(H5Awrite(a.id, l2o_H5T_NATIVE_INT64(), &i), "write attribute", object)
        case .double(var x):
            let a = try context.handle(
                H5Acreate2(location, name, l2o_H5T_IEEE_F64LE(), space.id, l2o_H5P_DEFAULT(), l2o_H5P_DEFAULT()),
                closer: H5Aclose, "create attribute", object)
            try context.check(H5Awrite(a.id, l2o_H5T_NATIVE_DOUBLE(), &x), "write attribute", object)
        case .unsupported(let d):
            throw CheckpointError.writeFailed(
                file: context.file, detail: "attribute '\(object)' is unsupported (\(d)) and cannot be written")
        }
    }
}
