import Foundation

/// Typed access to the JSON `config` attribute.
extension Checkpoint {
    /// Encodes a configuration as canonical JSON text (sorted keys), for `config:` arguments.
    public static func configJSON<C: Encodable>(_ config: C) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            let data = try encoder.encode(config)
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw CheckpointError.invalidConfig(file: "(in memory)", detail: "cannot encode \(C.self): \(error)")
        }
    }

    /// Decodes the `config` attribute into a configuration type.
    public func decodeConfig<C: Decodable>(_ type: C.Type = C.self) throws -> C {
        do {
            return try JSONDecoder().decode(C.self, from: Data(config.utf8))
        } catch {
            throw CheckpointError.invalidConfig(file: file, detail: "does not decode as \(C.self): \(error)")
        }
    }

    /// Throws `invalidConfig` unless `text` is valid JSON.
    static func validateJSON(_ text: String, file: String) throws {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw CheckpointError.invalidConfig(file: file, detail: "not valid JSON text: \(error.localizedDescription)")
        }
    }
}
