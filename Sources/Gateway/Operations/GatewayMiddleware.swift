import Foundation
import Hummingbird
import KlingAuth
import KlingCore
import Ledger
import Logging
import NIOCore
import Synchronization

/// The request context of the gateway's routes: Hummingbird's, plus what the request log
/// learns along the way (the caller, the submission).
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's id, as `request_id` in every answer and in the log.
    let requestID: String
    let log: RequestLog

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = RandomIdentifier.uuid()
        log = RequestLog()
    }
}

/// What one request's log line says about who called and what it touched; filled in by the
/// handlers, read by the middleware once the answer is ready.
final class RequestLog: Sendable {
    private struct Fields {
        var key: String?
        var scope: String?
        var submission: String?
    }

    private let fields = Mutex(Fields())

    func identify(_ key: GatewayKey) {
        fields.withLock {
            $0.key = key.id
            $0.scope = key.scope.description
        }
    }

    func submission(_ id: String) {
        fields.withLock { $0.submission = id }
    }

    var metadata: Logger.Metadata {
        fields.withLock { fields in
            var metadata: Logger.Metadata = [:]
            if let key = fields.key { metadata["key"] = "\(key)" }
            if let scope = fields.scope { metadata["scope"] = "\(scope)" }
            if let submission = fields.submission { metadata["submission"] = "\(submission)" }
            return metadata
        }
    }
}

/// Answers every failure in the caller's dialect, counts and logs each request: request id,
/// route, status, time, caller's key and scope, submission. Never a credential, a body or a
/// prompt: those are the callers' business.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let metrics: GatewayMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Dialect(path: request.uri.path).answer(refusal(for: error, request, context), requestID: context.requestID)
        }
        let route = context.endpointPath ?? "unmatched"
        metrics.request(route: route, status: response.status.code)
        var metadata = context.log.metadata
        metadata["request_id"] = "\(context.requestID)"
        metadata["method"] = "\(request.method.rawValue)"
        metadata["route"] = "\(route)"
        metadata["status"] = "\(response.status.code)"
        let elapsed = (clock.now - start).components
        metadata["ms"] = "\(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000)"
        logger.info("request", metadata: metadata)
        return response
    }

    /// Every failure as a refusal with the official codes; the dialect gives it its shape.
    private func refusal(for error: any Error, _ request: Request, _ context: Context) -> KlingRefusal {
        switch error {
        case let refusal as KlingRefusal:
            return refusal
        case let refusal as BearerCredential.Refusal:
            return KlingRefusal(refusal.code, refusal.message)
        case let error as HTTPError where Dialect(path: request.uri.path) == .dashboard:
            return KlingRefusal(error.status == .notFound ? 1203 : error.status == .badRequest ? 1201 : 5000, error.body ?? "\(error.status)")
        case let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed:
            return .notServed(request.method, request.uri.path)
        case let error as HTTPError where error.status == .contentTooLarge:
            return Self.tooLarge
        case is NIOTooManyBytesError:
            return Self.tooLarge
        default:
            logger.error("request failed", metadata: ["request_id": "\(context.requestID)", "error": "\(String(reflecting: error))"])
            return KlingRefusal(5000, "the gateway failed while handling this request (request_id \(context.requestID) in its log)")
        }
    }

    private static let tooLarge = KlingRefusal(
        1200, "the request body is larger than this gateway accepts (its --max-body-mb); send images as URLs instead of base64")
}
