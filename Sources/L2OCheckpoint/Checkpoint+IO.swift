import Foundation

/// Writing and reading checkpoint files.
extension Checkpoint {
    /// Names of the section groups.
    public static let parametersGroup = "parameters"
    public static let optimizerStateGroup = "optimizer_state"
    public static let trainingGroup = "training"

    /// The whole file as an HDF5 tree; validates names, config and metadata first.
    public func hdf5Root(file: String = "(in memory)") throws -> HDF5Group {
        try Checkpoint.validateJSON(config, file: file)
        if let clash = metadata.keys.first(where: { Checkpoint.reservedAttributes.contains($0) }) {
            throw CheckpointError.nameConflict(path: "/@\(clash)", reason: "metadata may not redefine a schema attribute")
        }
        var root = HDF5Group(attributes: metadata)
        root.attributes["format"] = .string(Checkpoint.formatName)
        root.attributes["format_version"] = .integer(Checkpoint.formatVersion)
        root.attributes["checkpoint_type"] = .string(type.rawValue)
        root.attributes["kind"] = .string(kind)
        root.attributes["config"] = .string(config)
        root.attributes["seed"] = .integer(Int64(bitPattern: seed))
        root.attributes["created"] = .string(created)
        root.children[Checkpoint.parametersGroup] = .group(try parameters.hdf5Group())
        if type == .resume {
            root.children[Checkpoint.optimizerStateGroup] = .group(try optimizerState.hdf5Group())
            root.children[Checkpoint.trainingGroup] = .group(try training.hdf5Group())
        }
        return root
    }

    /// Writes the checkpoint atomically to `url` (temporary file, flush, fsync, rename).
    public func write(to url: URL) throws {
        try write(to: url, beforeRename: nil)
    }

    /// `write(to:)` with the test seam of `AtomicFile`.
    func write(to url: URL, beforeRename: AtomicFile.BeforeRename?) throws {
        let root = try hdf5Root(file: url.path)
        try HDF5File.write(root, to: url, beforeRename: beforeRename)
    }

    /// Reads and fully validates the checkpoint at `url`.
    /// - Parameters:
    ///   - kind: when given, the file's `kind` must equal it (`wrongKind` otherwise).
    ///   - requireResume: when true, a weights checkpoint is refused (`wrongCheckpointType`).
    public static func read(from url: URL, kind: String? = nil, requireResume: Bool = false) throws -> Checkpoint {
        let file = url.path
        return try Checkpoint(root: try HDF5File.read(from: url), file: file, kind: kind, requireResume: requireResume)
    }

    /// Decodes and validates a checkpoint from its HDF5 tree.
    public init(root: HDF5Group, file: String, kind expectedKind: String? = nil, requireResume: Bool = false) throws {
        let attributes = RootAttributes(root: root, file: file)
        let format = root.attributes["format"]
        guard format?.stringValue == Checkpoint.formatName else {
            throw CheckpointError.wrongFormat(file: file, expected: Checkpoint.formatName, found: format.map { $0.stringValue ?? $0.description })
        }
        let version = try attributes.integer("format_version")
        guard version >= 1, version <= Checkpoint.formatVersion else {
            throw CheckpointError.unsupportedFormatVersion(file: file, found: version, supported: Checkpoint.formatVersion)
        }
        let typeName = try attributes.string("checkpoint_type")
        guard let type = CheckpointType(rawValue: typeName) else {
            throw CheckpointError.wrongCheckpointType(file: file, expected: "weights or resume", found: typeName)
        }
        let kind = try attributes.string("kind")
        if let expectedKind, expectedKind != kind {
            throw CheckpointError.wrongKind(file: file, expected: expectedKind, found: kind)
        }
        if requireResume && type != .resume {
            throw CheckpointError.wrongCheckpointType(file: file, expected: CheckpointType.resume.rawValue, found: typeName)
        }
        let config = try attributes.string("config")
        try Checkpoint.validateJSON(config, file: file)
        let seed = UInt64(bitPattern: try attributes.integer("seed"))
        let created = try attributes.string("created")

        func section(_ name: String) throws -> CheckpointSection {
            switch root.children[name] {
            case .group(let g)?: return try CheckpointSection(group: g, file: file, groupPath: "/" + name)
            case .dataset?: throw CheckpointError.wrongObjectType(file: file, path: "/" + name, expected: "group", found: "dataset")
            case nil: throw CheckpointError.missingDataset(file: file, dataset: "/" + name)
            }
        }
        self.init(weightsOf: kind, config: config, seed: seed, parameters: try section(Checkpoint.parametersGroup))
        self.type = type
        self.created = created
        self.file = file
        if type == .resume {
            optimizerState = try section(Checkpoint.optimizerStateGroup)
            training = try section(Checkpoint.trainingGroup)
        }
        metadata = root.attributes.filter { !Checkpoint.reservedAttributes.contains($0.key) }
    }
}

/// Typed access to required root attributes with schema errors.
private struct RootAttributes {
    let root: HDF5Group
    let file: String

    func value(_ name: String) throws -> HDF5AttributeValue {
        guard let v = root.attributes[name] else {
            throw CheckpointError.missingAttribute(file: file, object: "/", attribute: name)
        }
        return v
    }

    func string(_ name: String) throws -> String {
        let v = try value(name)
        guard let s = v.stringValue else {
            throw CheckpointError.attributeTypeMismatch(file: file, object: "/", attribute: name, expected: "a string", found: v.typeName)
        }
        return s
    }

    func integer(_ name: String) throws -> Int64 {
        let v = try value(name)
        guard let i = v.integerValue else {
            throw CheckpointError.attributeTypeMismatch(file: file, object: "/", attribute: name, expected: "an integer", found: v.typeName)
        }
        return i
    }
}
