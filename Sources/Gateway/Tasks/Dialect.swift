import Foundation
import Hummingbird
import NIOCore
import KlingCore

/// Which provider's API a request speaks, told by its path, so that a refusal reaches the
/// caller in the shape its client reads: the official envelope (also KKIAI's, under
/// `/kling/v1/`), Pixazo's `{error}` or AceData's `{success: false, error: {code, message}}`.
/// Refusals are made once, with the official codes; only here do they take a provider's shape.
enum Dialect: Equatable {
    case official, pixazo, acedata
    /// The dashboard's pages: a small HTML page, and a password prompt for a missing key.
    case dashboard

    init(path: String) {
        if path == "/ui" || path.hasPrefix("/ui/") {
            self = .dashboard
        } else if path.hasPrefix("/kling-ai-") {
            self = .pixazo
        } else if path.hasPrefix("/kling/"), !path.hasPrefix("/kling/v1/") {
            self = .acedata
        } else {
            self = .official
        }
    }

    func answer(_ refusal: KlingRefusal, requestID: String) -> Response {
        switch self {
        case .official:
            return KlingAnswer.refusal(refusal, requestID: requestID)
        case .pixazo:
            // Pixazo documents 400, 401, 403, 404, 429 and 500.
            let status: HTTPResponse.Status = refusal.code >= 5000 ? .internalServerError : refusal.httpStatus
            return KlingAnswer.json(status, ["error": .string(refusal.message)])
        case .acedata:
            let (status, code) = Self.aceData(refusal.code)
            return KlingAnswer.json(status, ["success": false, "error": ["code": .string(code), "message": .string(refusal.message)], "trace_id": .string(requestID)])
        case .dashboard:
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
            if (1000...1004).contains(refusal.code) {
                headers[.wwwAuthenticate] = "Basic realm=\"KlingLedger dashboard\", charset=\"UTF-8\""
            }
            let text = refusal.message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>KlingLedger</title><body style=\"font-family: system-ui, sans-serif; padding: 1rem\"><h1>\(refusal.httpStatus.code)</h1><p>\(text)</p></body></html>"
            return Response(status: refusal.httpStatus, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
        }
    }

    /// AceData's HTTP status and error code for an official code.
    private static func aceData(_ code: Int) -> (HTTPResponse.Status, String) {
        switch code {
        case 1000...1004: (.unauthorized, "invalid_token")
        case 1103: (.forbidden, "insufficient_balance")
        case 1202: (.badRequest, "api_not_implemented")
        case 1203: (.notFound, "not_found")
        case 1200...1299: (.badRequest, "bad_request")
        case 1302, 1303: (.tooManyRequests, "too_many_requests")
        default: (.internalServerError, "api_error")
        }
    }
}
