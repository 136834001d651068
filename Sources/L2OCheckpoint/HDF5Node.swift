/// One object in an HDF5 file held in memory: a dataset or a group of further objects.
public enum HDF5Node: Equatable, Sendable {
    case group(HDF5Group)
    case dataset(HDF5Dataset)

    /// "group" or "dataset", for messages.
    public var typeName: String {
        switch self {
        case .group: return "group"
        case .dataset: return "dataset"
        }
    }
}

/// An HDF5 dataset held in memory: a float32/float64 tensor (rank 0 = scalar dataspace) with attributes.
public struct HDF5Dataset: Equatable, Sendable {
    /// What the dataset holds.
    public enum Content: Equatable, Sendable {
        /// A float32 or float64 array.
        case tensor(AnyTensor)
        /// A dataset of another element type (integers, strings, compounds…), read from a foreign
        /// file; kept so tools can list it. `type` describes the element type.
        case unsupported(type: String, shape: [Int])
    }

    public var content: Content
    public var attributes: [String: HDF5AttributeValue]

    public init(_ tensor: AnyTensor, attributes: [String: HDF5AttributeValue] = [:]) {
        self.content = .tensor(tensor)
        self.attributes = attributes
    }

    public init(content: Content, attributes: [String: HDF5AttributeValue] = [:]) {
        self.content = content
        self.attributes = attributes
    }

    /// The tensor, unless the element type is unsupported.
    public var tensor: AnyTensor? {
        if case .tensor(let t) = content { return t } else { return nil }
    }

    /// The dataset's shape.
    public var shape: [Int] {
        switch content {
        case .tensor(let t): return t.shape
        case .unsupported(_, let shape): return shape
        }
    }

    /// `float32`, `float64`, or the description of an unsupported type.
    public var dtypeName: String {
        switch content {
        case .tensor(let t): return t.dtypeName
        case .unsupported(let type, _): return type
        }
    }
}
