import Foundation
import KlingCore

/// Where a provider is reached and with which credential: read from the environment, never
/// from the ledger or a file.
public struct ProviderAccount: Sendable {
    public let provider: Provider
    /// The base URL, without a trailing slash: `https://api-singapore.klingai.com`.
    public let baseURL: String
    public let credential: Credential

    /// An account with an explicit base URL (validated) and credential.
    public init(provider: Provider, baseURL: String, credential: Credential, variable: String? = nil) throws(AccountError) {
        self.provider = provider
        self.baseURL = try Self.checkedBaseURL(baseURL, variable: variable ?? Self.baseURLVariable(provider))
        self.credential = credential
    }

    /// The account described by the environment: the provider's credential variables and its
    /// optional base URL variable.
    public static func fromEnvironment(
        _ provider: Provider, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(AccountError) -> ProviderAccount {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        let credential: Credential
        switch provider {
        case .kling:
            switch (value("KLING_ACCESS_KEY"), value("KLING_SECRET_KEY"), value("KLING_API_KEY")) {
            case (let access?, let secret?, _): credential = .accessKeys(accessKey: access, secretKey: secret)
            case (nil, nil, let key?): credential = .bearer(key)
            case (_?, nil, _): throw .missingCredential(provider: provider, variables: ["KLING_SECRET_KEY"], note: "KLING_ACCESS_KEY is set")
            case (nil, _?, _): throw .missingCredential(provider: provider, variables: ["KLING_ACCESS_KEY"], note: "KLING_SECRET_KEY is set")
            case (nil, nil, nil):
                throw .missingCredential(provider: provider, variables: ["KLING_ACCESS_KEY", "KLING_SECRET_KEY"], note: "or set KLING_API_KEY")
            }
        case .pixazo, .acedata, .kkiai:
            let name = credentialVariable(provider)
            guard let secret = value(name) else { throw .missingCredential(provider: provider, variables: [name], note: nil) }
            credential = provider == .pixazo ? .subscriptionKey(secret) : .bearer(secret)
        }
        let variable = baseURLVariable(provider)
        return try ProviderAccount(provider: provider, baseURL: value(variable) ?? defaultBaseURL(provider), credential: credential, variable: variable)
    }

    /// The documented production host of each provider.
    public static func defaultBaseURL(_ provider: Provider) -> String {
        switch provider {
        case .kling: "https://api-singapore.klingai.com"
        case .pixazo: "https://gateway.pixazo.ai"
        case .acedata: "https://api.acedata.cloud"
        case .kkiai: "https://www.kkiai.com"
        }
    }

    /// The variable that overrides a provider's base URL.
    public static func baseURLVariable(_ provider: Provider) -> String {
        "\(provider.rawValue.uppercased())_BASE_URL"
    }

    /// The variable holding a reseller's key (the official API has two ways, see `fromEnvironment`).
    static func credentialVariable(_ provider: Provider) -> String {
        switch provider {
        case .kling: "KLING_API_KEY"
        case .pixazo: "PIXAZO_SUBSCRIPTION_KEY"
        case .acedata: "ACEDATA_API_TOKEN"
        case .kkiai: "KKIAI_API_KEY"
        }
    }

    /// An http(s) URL with a host and nothing after its path. A URL carrying a user or password
    /// is refused without being echoed, since that part may be a secret.
    static func checkedBaseURL(_ text: String, variable: String) throws(AccountError) -> String {
        guard let components = URLComponents(string: text) else {
            throw .invalidBaseURL(variable: variable, value: text, reason: "it is not a URL")
        }
        if components.user != nil || components.password != nil {
            throw .invalidBaseURL(variable: variable, value: nil, reason: "it carries a user or password; credentials belong in their own variables")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw .invalidBaseURL(variable: variable, value: text, reason: "it must start with https:// (or http:// for a local server)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw .invalidBaseURL(variable: variable, value: text, reason: "it has no host")
        }
        guard components.query == nil, components.fragment == nil else {
            throw .invalidBaseURL(variable: variable, value: text, reason: "it must not have a query or fragment")
        }
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }
}

/// A provider account that cannot be used: a missing credential or an unusable base URL.
public enum AccountError: Error, Sendable, Equatable {
    case missingCredential(provider: Provider, variables: [String], note: String?)
    case invalidBaseURL(variable: String, value: String?, reason: String)
}

extension AccountError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .missingCredential(let provider, let variables, let note):
            let names = variables.joined(separator: " and ")
            let extra = note.map { " (\($0))" } ?? ""
            return "no credential for \(provider.displayName): set \(names) in the environment\(extra)"
        case .invalidBaseURL(let variable, let value, let reason):
            let shown = value.map { " \"\($0)\"" } ?? ""
            return "\(variable)\(shown) cannot be used as a base URL: \(reason)"
        }
    }
}
