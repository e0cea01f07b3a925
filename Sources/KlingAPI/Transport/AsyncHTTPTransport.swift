import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The real transport: AsyncHTTPClient, with redirects refused (a redirected POST could be
/// sent twice) and connection errors told apart from lost answers.
public struct AsyncHTTPTransport: HTTPTransport {
    /// One client for the process; it lives as long as the process and is never shut down.
    public static let shared = AsyncHTTPTransport()

    private static let client = HTTPClient(
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
        configuration: {
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
            // A refused connection is reported at once; the client's own bounded backoff
            // retries it, instead of AsyncHTTPClient retrying silently until the connect timeout.
            configuration.connectionPool.retryConnectionEstablishment = false
            return configuration
        }())

    private init() {}

    public func send(_ request: TransportRequest) async throws(TransportError) -> WireResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let timeout = TimeAmount.nanoseconds(Int64(request.timeout.components.seconds) * 1_000_000_000 + request.timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await Self.client.execute(outgoing, timeout: timeout)
            let body = try await response.body.collect(upTo: request.maxResponseBytes)
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return WireResponse(status: Int(response.status.code), body: Data(body.readableBytesView), headers: headers)
        } catch {
            throw Self.classify(error, limit: request.maxResponseBytes)
        }
    }

    /// Errors raised while connecting mean the request was never sent; anything later may
    /// have reached the provider.
    static func classify(_ error: any Error, limit: Int) -> TransportError {
        if error is CancellationError { return .cancelled }
        if error is NIOTooManyBytesError { return .answerTooLarge(limit: limit) }
        if let error = error as? HTTPClientError {
            if error == .cancelled { return .cancelled }
            let beforeSending: [HTTPClientError] = [.connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .emptyHost, .emptyScheme]
            return beforeSending.contains(error) ? .notSent(reason: "\(error)") : .answerLost(reason: "\(error)")
        }
        if error is NIOConnectionError { return .notSent(reason: "\(error)") }
        if let error = error as? ChannelError, case .connectTimeout = error { return .notSent(reason: "\(error)") }
        if let error = error as? IOError, error.description.contains("connect") { return .notSent(reason: "\(error)") }
        return .answerLost(reason: "\(error)")
    }
}
