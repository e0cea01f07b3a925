import Foundation

/// One HTTP request to a provider, without its credentials: the transport adds those, so a
/// request can be logged or compared in a test without a secret in it.
public struct WireRequest: Sendable, Equatable {
    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var method: Method
    /// The path below the provider's base URL: `/v1/videos/text2video`.
    public var path: String
    /// Headers other than authentication.
    public var headers: [String: String]
    /// The JSON body, for POST.
    public var body: Data?

    public init(method: Method, path: String, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// A JSON POST.
    static func post(_ path: String, json: some Encodable, headers: [String: String] = [:]) throws -> WireRequest {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var all = headers
        all["Content-Type"] = "application/json"
        return WireRequest(method: .post, path: path, headers: all, body: try encoder.encode(json))
    }
}

/// A provider's answer: status, body and headers (names lowercased).
public struct WireResponse: Sendable, Equatable {
    public var status: Int
    public var body: Data
    public var headers: [String: String]

    public init(status: Int, body: Data, headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The server's clock, from its `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`).
    public var serverDate: Date? {
        guard let text = headers["date"] else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
