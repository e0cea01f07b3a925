import Foundation
import HTTPTypes
import Hummingbird
import KlingCore

/// Pixazo (seeds 000 and 001): text2video create and the two status endpoints with their two
/// result shapes. Its image2video create is undocumented, so the sandbox has none either.
struct PixazoRoutes: Sendable {
    let book: SandboxBook
    let subscriptionKey: String
    static let keyHeader = HTTPField.Name("Ocp-Apim-Subscription-Key")!

    func register(on router: Router<SandboxContext>) {
        router.post("/kling-ai-video/v1/generateVideoTask") { request, context in try await create(request, context) }
        router.post("/kling-ai-polling/v1/getVideoStatus") { request, context in try await status(request, context, kind: .text2video) }
        router.post("/kling-ai-polling/v1/getImageToVideoStatus") { request, context in
            try await status(request, context, kind: .image2video)
        }
    }

    private func create(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = refusal(request) { return refused }
        return try await book.answering(.pixazo, .create, context: context, refusal: refusal) {
            guard let body = await Answer.body(of: request) else { return Self.error(.badRequest, "Request body must be JSON") }
            guard let prompt = body["prompt"] as? String, !prompt.isEmpty else { return Self.error(.badRequest, "prompt is required") }
            for unknown in ["model_name", "model", "mode", "duration"] where body[unknown] != nil {
                return Self.error(.badRequest, "\(unknown) is not a parameter of this endpoint")
            }
            let order = SandboxBook.Order(
                provider: .pixazo, kind: .text2video, model: nil, mode: nil, durationSeconds: 5, sound: false,
                externalTaskID: nil, callbackURL: nil)
            // Pixazo takes no external id, so the only refusal is a state file not saved.
            guard let task = try? book.create(order) else { return Self.error(.internalServerError, "Internal server error") }
            return Self.envelope([
                "task_id": task.taskID, "task_status": "submitted",
                "created_at": Answer.milliseconds(task.createdAt), "updated_at": Answer.milliseconds(task.createdAt),
            ])
        }
    }

    private func status(_ request: Request, _ context: SandboxContext, kind: VideoKind) async throws -> Response {
        if let refused = refusal(request) { return refused }
        return try await book.answering(.pixazo, .query, context: context, refusal: refusal) {
            guard let id = await Answer.body(of: request)?["task_id"] as? String else {
                return Self.error(.badRequest, "task_id is required")
            }
            guard let task = book.task(.pixazo, id: id, kind: kind) else { return Self.error(.notFound, "Task not found") }
            let now = Date()
            let state = task.state(at: now)
            var data: [String: Any] = [
                "task_id": task.taskID, "task_status": state.rawValue,
                "created_at": Answer.milliseconds(task.createdAt), "updated_at": Answer.milliseconds(now),
            ]
            if state == .succeed {
                // text2video: one URL; image2video: a list of videos (seeds 000 and 001).
                data["task_result"] =
                    kind == .text2video
                    ? ["video_url": task.videoURL]
                    : ["videos": [["id": task.videoID, "url": task.videoURL, "duration": task.deliveredDuration]]]
            } else if state == .failed {
                data["task_status_msg"] = task.failureMessage ?? "failed"
            }
            return Self.envelope(data)
        }
    }

    private func refusal(_ request: Request) -> Response? {
        guard let key = request.headers[Self.keyHeader] else {
            return Self.error(.unauthorized, "Access denied due to missing subscription key")
        }
        return key == subscriptionKey ? nil : Self.error(.unauthorized, "Access denied due to invalid subscription key")
    }

    private func refusal(_ fault: SandboxFault) -> Response {
        switch fault {
        case .refuse(let code) where (1302...1303).contains(code): Self.error(.tooManyRequests, "Rate limit exceeded")
        case .serverError(let status): Self.error(.init(code: status), "Internal server error")
        default: Self.error(.serviceUnavailable, "Service unavailable")
        }
    }

    static func envelope(_ data: [String: Any]) -> Response {
        Answer.json(.ok, ["code": 0, "message": "SUCCEED", "request_id": UUID().uuidString, "data": data])
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Answer.json(status, ["error": message])
    }
}
