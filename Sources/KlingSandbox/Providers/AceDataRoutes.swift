import Foundation
import Hummingbird
import KlingCore

/// AceData Cloud (seed 003): a create that blocks until the video is done, or answers
/// `{task_id}` at once and posts the result to `callback_url`; and the task lookup.
struct AceDataRoutes: Sendable {
    let book: SandboxBook
    let token: String
    let callbacks: CallbackPoster

    func register(on router: Router<SandboxContext>) {
        router.post("/kling/videos") { request, context in try await create(request, context) }
        router.post("/kling/tasks") { request, context in try await retrieve(request, context) }
    }

    private func create(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = refusal(request) { return refused }
        return try await book.answering(.acedata, .create, context: context, refusal: refusal) {
            guard let body = await Answer.body(of: request) else { return Self.error(.badRequest, "bad_request", "body must be JSON") }
            let order: SandboxBook.Order
            switch readOrder(body) {
            case .success(let read): order = read
            case .failure(let problem): return Self.error(.badRequest, "bad_request", problem.message)
            }
            // AceData takes no external id, so the only refusal is a state file not saved.
            guard let task = try? book.create(order) else { return Self.error(.internalServerError, "api_error", "internal error") }
            if order.callbackURL != nil {
                callbacks.schedule(task, render: { task, instant in Self.taskObject(task, at: instant) })
                return Answer.json(.ok, ["task_id": task.taskID])
            }
            // Blocking mode: answer when the video is done.
            let wait = task.finishesAt.timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000) + 1)) }
            return Answer.json(.ok, Self.taskObject(task, at: Date()))
        }
    }

    /// `{id, action: "retrieve"}`: the task with the create's answer under `response`.
    private func retrieve(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = refusal(request) { return refused }
        return try await book.answering(.acedata, .query, context: context, refusal: refusal) {
            let body = await Answer.body(of: request) ?? [:]
            guard body["action"] as? String == "retrieve", let id = body["id"] as? String else {
                return Self.error(.badRequest, "bad_request", "id and action \"retrieve\" are required")
            }
            guard let task = book.task(.acedata, id: id) else { return Self.error(.notFound, "not_found", "task \(id) not found") }
            return Answer.json(.ok, ["id": task.taskID, "response": Self.taskObject(task, at: Date())])
        }
    }

    struct Problem: Error { let message: String }

    private func readOrder(_ body: [String: Any]) -> Result<SandboxBook.Order, Problem> {
        let kinds: [String: VideoKind] = ["text2video": .text2video, "image2video": .image2video, "extend": .extend]
        guard let kind = (body["action"] as? String).flatMap({ kinds[$0] }) else {
            return .failure(Problem(message: "action must be text2video, image2video or extend"))
        }
        let profile = ProviderCatalog.profile(.acedata)
        let model = body["model"] as? String ?? profile.defaultModel
        let mode = (body["mode"] as? String).flatMap(Mode.init(rawValue:)) ?? profile.defaultMode
        let duration = body["duration"] as? Int ?? 5
        switch kind {
        case .text2video where (body["prompt"] as? String ?? "").isEmpty: return .failure(Problem(message: "prompt is required"))
        case .image2video where body["start_image_url"] == nil: return .failure(Problem(message: "start_image_url is required"))
        case .extend where body["video_id"] == nil: return .failure(Problem(message: "video_id is required"))
        default: break
        }
        if let negative = body["negative_prompt"] as? String, negative.count > 200 {
            return .failure(Problem(message: "negative_prompt must be at most 200 characters"))
        }
        guard let spec = profile.model(named: model), spec.kinds.contains(kind), mode.map(spec.modes.contains) ?? true,
            kind == .extend || spec.durations.contains(duration)
        else { return .failure(Problem(message: "model, mode or duration not supported")) }
        return .success(
            SandboxBook.Order(
                provider: .acedata, kind: kind, model: model, mode: mode, durationSeconds: duration, sound: false,
                externalTaskID: nil, callbackURL: body["callback_url"] as? String))
    }

    /// The task as the blocking create answers it, and as callbacks post it.
    static func taskObject(_ task: SandboxTask, at instant: Date) -> [String: Any] {
        let state = task.state(at: instant)
        var object: [String: Any] = ["success": true, "task_id": task.taskID, "state": state.rawValue]
        switch state {
        case .succeed:
            object["video_id"] = task.videoID
            object["video_url"] = task.videoURL
            object["duration"] = task.deliveredDuration
        case .failed:
            object["error"] = ["code": "generation_failed", "message": task.failureMessage ?? "failed"]
        case .submitted, .processing:
            break
        }
        return object
    }

    private func refusal(_ request: Request) -> Response? {
        request.headers[.authorization] == "Bearer \(token)" ? nil : Self.error(.unauthorized, "invalid_token", "invalid token")
    }

    private func refusal(_ fault: SandboxFault) -> Response {
        switch fault {
        case .refuse(let code) where (1302...1303).contains(code): Self.error(.tooManyRequests, "too_many_requests", "too many requests")
        case .serverError(let status): Self.error(.init(code: status), "api_error", "internal error")
        default: Self.error(.internalServerError, "api_error", "internal error")
        }
    }

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        Answer.json(status, ["success": false, "error": ["code": code, "message": message], "trace_id": UUID().uuidString])
    }
}
