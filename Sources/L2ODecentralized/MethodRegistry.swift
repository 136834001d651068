import L2OCore

/// The handcrafted decentralized methods by name (`prox-ed`, …): the one place a new method is
/// registered for the command line, evaluation and tuning.
public enum HandcraftedMethods {
    /// Names in the order tables list them.
    public static let names = ["prox-dgd", "pg-extra", "prox-ed", "prox-atc", "dapg", "odapg", "admm"]

    /// The method `name` with step size `stepSize`; throws `unknownMethod` for another name.
    public static func make<S: TensorScalar>(_ name: String, stepSize: S) throws -> any DecentralizedMethod<S> {
        switch name {
        case "prox-dgd": return ProxDGD(stepSize: stepSize)
        case "pg-extra": return PGExtra(stepSize: stepSize)
        case "prox-ed": return ProxED(stepSize: stepSize)
        case "prox-atc": return ProxATC(stepSize: stepSize)
        case "dapg": return DAPG(stepSize: stepSize)
        case "odapg": return ODAPG(stepSize: stepSize)
        case "admm": return DecentralizedADMM(stepSize: stepSize)
        default: throw DecentralizedMethodError.unknownMethod(name: name, known: names)
        }
    }
}

/// A decentralized method named that does not exist.
public enum DecentralizedMethodError: Error, Equatable, CustomStringConvertible {
    case unknownMethod(name: String, known: [String])
    public var description: String {
        switch self {
        case let .unknownMethod(name, known): return "unknown method '\(name)'; choose from \(known.joined(separator: ", "))"
        }
    }
}
