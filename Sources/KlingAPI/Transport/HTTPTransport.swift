import Foundation

/// One HTTP exchange with a provider, credentials included. Only transports see this type;
/// it is never logged.
public struct TransportRequest: Sendable {
    public var method: WireRequest.Method
    /// The full URL: base URL + path.
    public var url: String
    public var headers: [String: String]
    public var body: Data?
    /// How long the whole exchange may take, answer included.
    public var timeout: Duration
    /// The largest answer body accepted.
    public var maxResponseBytes: Int

    public init(method: WireRequest.Method, url: String, headers: [String: String], body: Data?, timeout: Duration, maxResponseBytes: Int) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// Sends requests. `AsyncHTTPTransport` is the real one; tests and embedders can supply
/// another (an in-process fake, a recording proxy).
public protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest) async throws(TransportError) -> WireResponse
}

/// Why an exchange produced no usable answer. The difference that matters for money: whether
/// the request could have reached the provider.
public enum TransportError: Error, Sendable, Equatable {
    /// The request never left: no connection could be made. Nothing was created.
    case notSent(reason: String)
    /// The request may have arrived, but its answer was lost: timeout, dropped connection.
    case answerLost(reason: String)
    /// The answer was larger than the limit and was not read.
    case answerTooLarge(limit: Int)
    /// The caller cancelled the exchange while it was under way.
    case cancelled
}
