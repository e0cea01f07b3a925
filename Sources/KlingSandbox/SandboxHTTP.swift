import Foundation
import KlingCore
import Hummingbird
import NIOCore

/// The request context of the sandbox's routes: Hummingbird's basic one, plus the channel so
/// a fault can drop the connection.
struct SandboxContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Thrown after the connection was closed on purpose: there is nobody left to answer.
struct ConnectionDropped: Error {}

/// Building blocks of the providers' answers.
enum Answer {
    /// A JSON answer with keys sorted, as stable bytes for tests.
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A 200 whose body is cut off mid-JSON.
    static let malformed = Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: #"{"code":0,"message":"SUCCEED","data":{"task_id":"#)))

    /// The request's JSON object, or `nil` when the body is not one.
    static func body(of request: Request) async -> [String: Any]? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: 1 << 20) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}

extension SandboxBook {
    /// Runs a route's work under whatever answer fault is waiting for it: refusals answer
    /// before any work; the others do the work, then misbehave.
    func answering(
        _ provider: Provider, _ operation: SandboxOperation, context: SandboxContext,
        refusal: (SandboxFault) -> Response, work: () async throws -> Response
    ) async throws -> Response {
        guard let fault = takeAnswerFault(provider, operation) else { return try await work() }
        switch fault {
        case .refuse, .serverError:
            return refusal(fault)
        case .hang(let wait):
            try await Task.sleep(for: wait)
            return refusal(.serverError(status: 503))
        case .slowAnswer(let wait):
            let response = try await work()
            try await Task.sleep(for: wait)
            return response
        case .dropAfterCreate:
            _ = try await work()
            try? await context.channel.close()
            throw ConnectionDropped()
        case .malformedBody:
            _ = try await work()
            return Answer.malformed
        case .failTask, .repeatCallbacks, .deductUnits, .forgetTask:
            // Never queued as answer faults: the book keeps them apart.
            return try await work()
        }
    }
}
