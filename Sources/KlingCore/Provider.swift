/// A gateway through which Kling videos are generated and billed.
public enum Provider: String, CaseIterable, Codable, Hashable, Sendable {
    /// The official Kling API, billed in resource-pack units.
    case kling
    /// Pixazo's Kling gateway, billed in dollars per clip.
    case pixazo
    /// AceData Cloud's Kling API.
    case acedata
    /// KKIAI's Kling-compatible API.
    case kkiai

    /// The name people know the gateway by.
    public var displayName: String {
        switch self {
        case .kling: "Kling (official API)"
        case .pixazo: "Pixazo"
        case .acedata: "AceData Cloud"
        case .kkiai: "KKIAI"
        }
    }

    /// The provider names, for error messages and help: `kling, pixazo, acedata, kkiai`.
    public static let namesList = allCases.map(\.rawValue).joined(separator: ", ")
}

/// What a generation task makes its video from.
public enum VideoKind: String, CaseIterable, Codable, Hashable, Sendable {
    case text2video
    case image2video
    /// Extends an earlier video by a few seconds.
    case extend

    public static let namesList = allCases.map(\.rawValue).joined(separator: ", ")
}

/// Generation quality: `std` is billed as 720p, `pro` as 1080p.
public enum Mode: String, CaseIterable, Codable, Hashable, Sendable {
    case std
    case pro

    public static let namesList = allCases.map(\.rawValue).joined(separator: ", ")
}
