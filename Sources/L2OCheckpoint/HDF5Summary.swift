import Foundation

/// The human-readable description of an HDF5 file printed by `l2o inspect`: the checkpoint header
/// (kind, type, format, seed, created), the pretty-printed config, other root attributes, and a tree
/// of groups and datasets with shapes, dtypes and min/max/mean.
public enum HDF5Summary {
    /// Reads `url` and describes it; throws the reader's `CheckpointError` for a bad file.
    public static func describe(fileAt url: URL) throws -> String {
        describe(try HDF5File.read(from: url), file: url.path)
    }

    /// Describes an HDF5 tree read from `file`.
    public static func describe(_ root: HDF5Group, file: String) -> String {
        var lines = ["file: \(file)"]
        let a = root.attributes
        let format = a["format"]?.stringValue
        if let format {
            let version = a["format_version"].map { " v\($0)" } ?? ""
            lines.append("format: \(format)\(version)")
        } else {
            lines.append("format: (no 'format' attribute: not an l2o checkpoint or instance set)")
        }
        for key in ["kind", "checkpoint_type", "problem", "lambda", "seed", "created"] {
            if let v = a[key] { lines.append("\(key): \(v.stringValue ?? v.description)") }
        }
        if let config = a["config"] {
            lines.append("config:")
            lines.append(contentsOf: prettyJSON(config.stringValue ?? config.description).map { "  " + $0 })
        }
        let shown: Set<String> = ["format", "format_version", "kind", "checkpoint_type", "problem", "lambda", "seed", "created", "config"]
        let others = a.keys.filter { !shown.contains($0) }.sorted()
        if !others.isEmpty {
            lines.append("attributes:")
            for key in others { lines.append("  \(key) = \(a[key]?.description ?? "")") }
        }
        lines.append("tree:")
        lines.append("/")
        root.walk { path, depth, node in
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let indent = String(repeating: "  ", count: depth)
            switch node {
            case .group(let g):
                let attributes = g.attributes.keys.sorted().map { "\($0)=\(g.attributes[$0]?.description ?? "")" }
                lines.append("\(indent)\(name)/" + (attributes.isEmpty ? "" : "  {" + attributes.joined(separator: ", ") + "}"))
            case .dataset(let d):
                let stats = d.tensor.map { "  " + TensorStatistics($0).text } ?? "  (not a float tensor)"
                lines.append("\(indent)\(name)  \(d.dtypeName) \(d.shape)\(stats)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Pretty-printed JSON lines with sorted keys, or the text unchanged when it is not JSON.
    static func prettyJSON(_ text: String) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
        else { return [text] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}
