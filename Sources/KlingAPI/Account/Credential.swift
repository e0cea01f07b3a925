/// How a provider account proves who it is. The secret inside never leaves through a
/// description, a dump or a log: every textual form is redacted.
public enum Credential: Sendable {
    /// The official API's access key and secret key, from which a short-lived JWT is signed.
    case accessKeys(accessKey: String, secretKey: String)
    /// A static token sent as `Authorization: Bearer …` (official API key, AceData, KKIAI).
    case bearer(String)
    /// Pixazo's `Ocp-Apim-Subscription-Key`.
    case subscriptionKey(String)

    /// Every secret this credential holds, so tests can look for them where they must not be.
    public var secrets: [String] {
        switch self {
        case .accessKeys(let accessKey, let secretKey): [accessKey, secretKey]
        case .bearer(let token): [token]
        case .subscriptionKey(let key): [key]
        }
    }

    /// What kind of credential it is, without its value.
    public var kindDescription: String {
        switch self {
        case .accessKeys: "access key + secret key (signed JWT)"
        case .bearer: "bearer token"
        case .subscriptionKey: "subscription key"
        }
    }
}

extension Credential: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<\(kindDescription), redacted>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .enum) }
}
