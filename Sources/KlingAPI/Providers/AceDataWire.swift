import Foundation
import KlingCore

/// AceData Cloud (`api.acedata.cloud`), seed 003.
///
/// Without `callback_url` a create blocks until the video is done (1–2 minutes) and answers
/// with the finished task; with one it answers `{task_id}` at once and posts the result later.
public struct AceDataWire: ProviderWire {
    public let provider = Provider.acedata

    public init() {}

    struct CreateBody: Encodable {
        let action: String
        let model: String?
        let mode: String?
        let prompt: String?
        let negative_prompt: String?
        let aspect_ratio: String?
        let cfg_scale: Double?
        let camera_control: CameraControlBody?
        let duration: Int?
        let start_image_url: String?
        let end_image_url: String?
        let video_id: String?
        let callback_url: String?
    }

    struct RetrieveBody: Encodable {
        let id: String
        let action = "retrieve"
    }

    public func createRequest(for job: VideoJob, resolved: BillableJob) throws -> WireRequest {
        try .post(
            "/kling/videos",
            json: CreateBody(
                action: job.kind.rawValue, model: resolved.model, mode: resolved.mode?.rawValue, prompt: job.prompt,
                negative_prompt: job.negativePrompt, aspect_ratio: job.aspectRatio?.rawValue, cfg_scale: job.cfgScale,
                camera_control: job.cameraControl.map(CameraControlBody.init),
                duration: job.kind == .extend ? nil : resolved.durationSeconds, start_image_url: job.image,
                end_image_url: job.imageTail, video_id: job.videoID, callback_url: job.callbackURL),
            headers: ["accept": "application/json"])
    }

    public func queryRequest(taskID: String, kind: VideoKind) throws -> WireRequest {
        try .post("/kling/tasks", json: RetrieveBody(id: taskID), headers: ["accept": "application/json"])
    }

    public func decodeCreate(_ response: WireResponse) throws(ProviderFailure) -> TaskSnapshot {
        try decode(response, creating: true)
    }

    public func decodeQuery(_ response: WireResponse, kind: VideoKind) throws(ProviderFailure) -> TaskSnapshot {
        try decode(response, creating: false)
    }

    /// The task object, also posted to callbacks. The retrieve endpoint's wrapping is not in the
    /// seed: the task's fields are read at the top level, or else under `response`.
    struct TaskBody: Decodable {
        let success: Bool?
        let error: ErrorDetail?
        let task: TaskFields

        struct ErrorDetail: Decodable {
            let code: String?
            let message: String?
        }

        struct TaskFields: Decodable {
            let taskID: String?
            let videoID: String?
            let videoURL: String?
            let duration: ExactText?
            let state: String?
            enum CodingKeys: String, CodingKey {
                case taskID = "task_id", videoID = "video_id", videoURL = "video_url", duration, state
            }
        }

        enum CodingKeys: String, CodingKey { case success, error, response }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            success = try container.decodeIfPresent(Bool.self, forKey: .success)
            error = try container.decodeIfPresent(ErrorDetail.self, forKey: .error)
            let topLevel = try TaskFields(from: decoder)
            task = topLevel.taskID == nil ? (try container.decodeIfPresent(TaskFields.self, forKey: .response) ?? topLevel) : topLevel
        }
    }

    private func decode(_ response: WireResponse, creating: Bool) throws(ProviderFailure) -> TaskSnapshot {
        guard let body = try? JSONDecoder().decode(TaskBody.self, from: response.body) else {
            throw failure(forHTTP: response, creating: creating)
        }
        if body.success == false || !(200..<300).contains(response.status) {
            throw aceDataFailure(response, error: body.error, creating: creating)
        }
        let task = body.task
        guard let taskID = task.taskID else { throw failure(forHTTP: response, creating: creating) }
        let stateText = task.state
        let url = task.videoURL
        let state: TaskSnapshot.State
        if let stateText {
            guard let known = TaskSnapshot.State(providerStatus: stateText) else {
                throw ProviderFailure(provider: provider, category: .outcomeUnknown, message: "unrecognised state \"\(stateText)\" for task \(taskID)")
            }
            state = known
        } else {
            state = url == nil ? .submitted : .succeeded  // callback mode answers {task_id} alone
        }
        let videos = url.map { [DeliveredVideo(id: task.videoID, url: $0, duration: task.duration?.text)] } ?? []
        return TaskSnapshot(
            providerTaskID: taskID, state: state, videos: videos,
            failureMessage: state == .failed ? (body.error?.message ?? "failed") : nil)
    }

    /// AceData's documented errors: 400 token_mismatched / api_not_implemented, 401
    /// invalid_token, 403 insufficient balance, 429 too_many_requests, 500 api_error.
    private func aceDataFailure(_ response: WireResponse, error: TaskBody.ErrorDetail?, creating: Bool) -> ProviderFailure {
        let code = error?.code
        if code == "too_many_requests" {
            return ProviderFailure(provider: provider, category: .retryLater, httpStatus: response.status, code: code, message: error?.message ?? "too many requests")
        }
        if code == "api_error" {
            return ProviderFailure(
                provider: provider, category: creating ? .outcomeUnknown : .retryLater, httpStatus: response.status, code: code,
                message: error?.message ?? "internal error")
        }
        return failure(forHTTP: response, creating: creating, code: code, message: error?.message)
    }
}
