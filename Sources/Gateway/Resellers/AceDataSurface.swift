import Foundation
import HTTPTypes
import Hummingbird
import KlingAPI
import KlingCore
import Ledger

/// AceData Cloud's API as its callers use it (PROVIDERS.md §3): `POST /kling/videos` and the
/// task lookup `POST /kling/tasks`, with `Authorization: Bearer` and a key from `keys create`.
///
/// As AceData does, a create without `callback_url` answers when the video is done (the
/// gateway polls the provider meanwhile); with one, it answers `{task_id}` at once, and the
/// result is posted to the caller's address once the gateway has settled it.
struct AceDataSurface: Sendable {
    let gateway: Gateway
    static let knownFields: Set<String> = [
        "action", "model", "mode", "prompt", "negative_prompt", "aspect_ratio", "cfg_scale", "camera_control", "duration",
        "start_image_url", "end_image_url", "video_id", "callback_url",
    ]
    static let actions: [String: VideoKind] = ["text2video": .text2video, "image2video": .image2video, "extend": .extend]
    /// How long a blocking create waits for its video before answering with the task as it stands.
    static let blockingLimit: Duration = .seconds(600)

    func register(on router: Router<GatewayContext>) {
        router.post("/kling/videos") { request, context in try await create(request, context) }
        router.post("/kling/tasks") { request, context in try await retrieve(request, context) }
    }

    private func create(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            let body = try await request.body.collect(upTo: gateway.configuration.maxBodyBytes)
            let job = try Self.job(from: body.readableBytesView)
            let (record, _) = try await gateway.submit(job, externalTaskID: nil, caller: caller, context: context)
            let headers: HTTPFields = [.klingLedgerSubmission: record.id]
            if job.callbackURL != nil {
                return KlingAnswer.json(.ok, ["task_id": .string(record.providerTaskID ?? "")], headers: headers)
            }
            return KlingAnswer.json(.ok, Self.object(try await finished(record)), headers: headers)
        }
    }

    /// `{id, action: "retrieve"}`: the task, with what the create answered (or would now) under `response`.
    private func retrieve(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            let body = try await request.body.collect(upTo: 64 << 10)
            let fields = try CreateFields(body.readableBytesView, known: ["id", "ids", "action"])
            guard try fields.text("action") == "retrieve" else {
                throw KlingRefusal(1202, "action: this gateway serves \"retrieve\" with an id (not retrieve_batch); look tasks up one at a time")
            }
            guard let id = try fields.text("id") else { throw KlingRefusal(1201, "id is required with action \"retrieve\"") }
            let record = try await gateway.callerTask(id, provider: .acedata, kind: nil, caller: caller, context: context)
            return KlingAnswer.json(.ok, ["id": .string(id), "response": Self.object(try await gateway.read(record).snapshot)])
        }
    }

    /// Reads the task until it ends, or until `blockingLimit`, and returns it as it stands then.
    private func finished(_ record: SubmissionRecord) async throws -> TaskSnapshot {
        let clock = ContinuousClock()
        let deadline = clock.now + Self.blockingLimit
        var pause: Duration = .milliseconds(250)
        while true {
            let snapshot = try await gateway.read(record).snapshot
            if snapshot.state == .succeeded || snapshot.state == .failed || clock.now >= deadline { return snapshot }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }

    static func job(from body: some Collection<UInt8>) throws(KlingRefusal) -> VideoJob {
        let fields = try CreateFields(body, known: knownFields)
        guard let action = try fields.text("action"), let kind = actions[action] else {
            throw KlingRefusal(1201, "action: must be text2video, image2video or extend")
        }
        var job = VideoJob(provider: .acedata, kind: kind)
        job.model = try fields.text("model")
        job.prompt = try fields.text("prompt")
        job.negativePrompt = try fields.text("negative_prompt")
        job.image = try fields.text("start_image_url")
        job.imageTail = try fields.text("end_image_url")
        job.videoID = try fields.text("video_id")
        job.callbackURL = try fields.text("callback_url")
        job.cfgScale = try fields.number("cfg_scale")
        job.mode = try fields.mode()
        if let seconds = try fields.wholeNumber("duration") { job.durationSeconds = seconds }
        job.aspectRatio = try fields.aspectRatio()
        job.cameraControl = try KlingCreateBody.cameraControl(fields.value("camera_control"))
        return job
    }

    /// The task as AceData answers a blocking create, retrieves it and posts its callback.
    static func object(_ snapshot: TaskSnapshot) -> JSONValue {
        var object: [String: JSONValue] = [
            "success": true, "task_id": .string(snapshot.providerTaskID), "state": .string(KlingTaskObject.status(snapshot.state)),
        ]
        switch snapshot.state {
        case .succeeded:
            let video = snapshot.videos.first
            object["video_id"] = .string(video?.id ?? "")
            object["video_url"] = .string(video?.url ?? "")
            if let duration = video?.duration { object["duration"] = .string(duration) }
        case .failed:
            object["error"] = ["code": "generation_failed", "message": .string(snapshot.failureMessage ?? "failed")]
        case .submitted, .processing:
            break
        }
        return .object(object)
    }
}
