/// An HDF5 group held in memory: attributes plus named child objects (groups and datasets).
///
/// This is the document model the reader produces and the writer consumes: a whole file is one root
/// group. Paths are '/'-separated names relative to the group (a leading '/' is ignored); each
/// component must be non-empty, must not be "." and must not contain '/'.
public struct HDF5Group: Equatable, Sendable {
    public var attributes: [String: HDF5AttributeValue]
    public var children: [String: HDF5Node]

    public init(attributes: [String: HDF5AttributeValue] = [:], children: [String: HDF5Node] = [:]) {
        self.attributes = attributes
        self.children = children
    }

    /// Splits a path into its components, rejecting empty and "." components.
    static func components(of path: String) throws -> [String] {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        if trimmed.isEmpty { return [] }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts where part.isEmpty || part == "." || part.contains("\0") {
            throw CheckpointError.invalidName(name: path, reason: "HDF5 path components must be non-empty and not '.'")
        }
        return parts
    }

    /// The object at `path`, or nil when there is none (or the path is malformed).
    public func node(at path: String) -> HDF5Node? {
        guard let parts = try? HDF5Group.components(of: path) else { return nil }
        var current = HDF5Node.group(self)
        for part in parts {
            guard case .group(let g) = current, let next = g.children[part] else { return nil }
            current = next
        }
        return current
    }

    /// The group at `path`, if there is one.
    public func group(at path: String) -> HDF5Group? {
        if case .group(let g)? = node(at: path) { return g } else { return nil }
    }

    /// The dataset at `path`, if there is one.
    public func dataset(at path: String) -> HDF5Dataset? {
        if case .dataset(let d)? = node(at: path) { return d } else { return nil }
    }

    /// Puts `node` at `path`, creating missing intermediate groups. Throws `nameConflict` when an
    /// intermediate component is a dataset or when an object already exists at `path`.
    public mutating func insert(_ node: HDF5Node, at path: String) throws {
        let parts = try HDF5Group.components(of: path)
        guard !parts.isEmpty else {
            throw CheckpointError.invalidName(name: path, reason: "the root itself cannot be replaced")
        }
        try insert(node, parts: parts[...], fullPath: path)
    }

    private mutating func insert(_ node: HDF5Node, parts: ArraySlice<String>, fullPath: String) throws {
        guard let first = parts.first else { return }
        if parts.count == 1 {
            if children[first] != nil {
                throw CheckpointError.nameConflict(path: fullPath, reason: "an object with this name already exists")
            }
            children[first] = node
            return
        }
        var child: HDF5Group
        switch children[first] {
        case nil: child = HDF5Group()
        case .group(let g)?: child = g
        case .dataset?:
            throw CheckpointError.nameConflict(
                path: fullPath, reason: "'\(first)' is a dataset, so it cannot also be a group")
        }
        children[first] = nil  // keep the child uniquely referenced while it is mutated
        defer { children[first] = .group(child) }
        try child.insert(node, parts: parts.dropFirst(), fullPath: fullPath)
    }

    /// Visits every object below this group depth-first in name order, with its path relative
    /// to this group (e.g. `parameters/encoder/0/weight`) and its depth (1 for direct children).
    public func walk(_ visit: (_ path: String, _ depth: Int, _ node: HDF5Node) throws -> Void) rethrows {
        try walk(prefix: "", depth: 1, visit)
    }

    private func walk(prefix: String, depth: Int, _ visit: (String, Int, HDF5Node) throws -> Void) rethrows {
        for name in children.keys.sorted() {
            guard let node = children[name] else { continue }
            let path = prefix.isEmpty ? name : prefix + "/" + name
            try visit(path, depth, node)
            if case .group(let g) = node { try g.walk(prefix: path, depth: depth + 1, visit) }
        }
    }

    /// All datasets below this group, keyed by their path relative to the group.
    public var allDatasets: [String: HDF5Dataset] {
        var result: [String: HDF5Dataset] = [:]
        walk { path, _, node in if case .dataset(let d) = node { result[path] = d } }
        return result
    }
}
