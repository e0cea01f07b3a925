import Foundation
import Hummingbird
import KlingAPI
import KlingCore
import NIOCore

/// The official API's envelope, `{code, message, request_id, data}`, and its errors with the
/// HTTP status the API pairs with each business code.
enum KlingAnswer {
    static func success(_ data: JSONValue, requestID: String, headers: HTTPFields = [:]) -> Response {
        json(.ok, ["code": 0, "message": "SUCCEED", "request_id": .string(requestID), "data": data], headers: headers)
    }

    static func refusal(_ refusal: KlingRefusal, requestID: String) -> Response {
        json(refusal.httpStatus, ["code": .integer(refusal.code), "message": .string(refusal.message), "request_id": .string(requestID)])
    }

    static func json(_ status: HTTPResponse.Status, _ document: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: document.bytes)))
    }
}

/// A request the gateway refuses, as the official API would: a documented business code, its
/// HTTP status, and a message that says what was wrong and what to do.
struct KlingRefusal: Error, Sendable {
    let code: Int
    let message: String

    init(_ code: Int, _ message: String) {
        self.code = code
        self.message = message
    }

    var httpStatus: HTTPResponse.Status {
        .init(code: OfficialErrorCode.table.first { $0.code == code }?.httpStatus ?? 500)
    }

    /// Kling's 404 for a path it does not serve.
    static func notServed(_ method: HTTPRequest.Method, _ path: String) -> KlingRefusal {
        KlingRefusal(
            1202,
            "Method not found: the gateway does not serve \(method.rawValue) \(path). It serves the official video tasks "
                + "(POST and GET /v1/videos/text2video, /v1/videos/image2video, /v1/videos/video-extend, and GET …/{task_id}), "
                + "GET /account/costs, KKIAI's /kling/v1/videos/text2video, Pixazo's POST /kling-ai-video/v1/generateVideoTask and "
                + "/kling-ai-polling/v1/getVideoStatus, and AceData's POST /kling/videos and /kling/tasks; nothing else is "
                + "forwarded, so nothing is spent around the budgets")
    }
}
