import Foundation
import KlingCore

/// What a refusal or a lost answer means for the money held for the task.
public enum FailureCategory: Sendable, Equatable {
    /// The task was definitely not created: the hold can be released.
    case notCreated
    /// The task may exist and may be billed: keep the hold until it is resolved.
    case outcomeUnknown
    /// Nothing was created; the same request may succeed after a delay (rate or concurrency
    /// limits, maintenance). Retry with exponential backoff.
    case retryLater
    /// The signed token was early or expired: sign a new one and retry at once.
    case resignAndRetry
}

/// A provider refused a request, or its answer was lost or unreadable.
///
/// The message is the provider's own text or ours; it never contains credentials.
public struct ProviderFailure: Error, Sendable, Equatable {
    public let provider: Provider
    public let category: FailureCategory
    /// The HTTP status, when an answer arrived.
    public let httpStatus: Int?
    /// The provider's business or error code (`1303`, `invalid_token`).
    public let code: String?
    public let message: String

    public init(provider: Provider, category: FailureCategory, httpStatus: Int? = nil, code: String? = nil, message: String) {
        self.provider = provider
        self.category = category
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
    }
}

extension ProviderFailure: LocalizedError {
    public var errorDescription: String? {
        var detail: [String] = []
        if let httpStatus { detail.append("HTTP \(httpStatus)") }
        if let code { detail.append("code \(code)") }
        let context = detail.isEmpty ? "" : " (\(detail.joined(separator: ", ")))"
        let consequence =
            switch category {
            case .notCreated: "the task was not created"
            case .outcomeUnknown: "the task may have been created: its money stays held until it is resolved"
            case .retryLater: "nothing was created; try again later"
            case .resignAndRetry: "the access token was not accepted; a new one is signed and the request retried"
            }
        return "\(provider.displayName)\(context): \(message); \(consequence)"
    }
}
