import Foundation
import HTTPTypes
import Hummingbird
import KlingAPI
import KlingCore
import Ledger

/// Pixazo's API as its callers use it (PROVIDERS.md §2): the text2video create and its status
/// endpoint, with the key in `Ocp-Apim-Subscription-Key` — a static API key from `keys create`.
/// Pixazo's image2video create is not documented, so the gateway offers none (and so no
/// image2video status either). Pixazo takes no external id and no callback.
struct PixazoSurface: Sendable {
    let gateway: Gateway
    static let keyHeader = HTTPField.Name("Ocp-Apim-Subscription-Key")!
    static let knownFields: Set<String> = ["prompt", "negative_prompt", "cfg_scale", "aspect_ratio"]

    func register(on router: Router<GatewayContext>) {
        router.post("/kling-ai-video/v1/generateVideoTask") { request, context in try await create(request, context) }
        router.post("/kling-ai-polling/v1/getVideoStatus") { request, context in try await status(request, context) }
    }

    private func create(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await serving(request, context) { caller in
            let body = try await request.body.collect(upTo: gateway.configuration.maxBodyBytes)
            let fields = try CreateFields(body.readableBytesView, known: Self.knownFields)
            var job = VideoJob(provider: .pixazo, kind: .text2video)
            job.prompt = try fields.text("prompt")
            job.negativePrompt = try fields.text("negative_prompt")
            job.cfgScale = try fields.number("cfg_scale")
            job.aspectRatio = try fields.aspectRatio()
            let (record, _) = try await gateway.submit(job, externalTaskID: nil, caller: caller, context: context)
            return KlingAnswer.success(Self.data(TaskSnapshot(recorded: record)), requestID: context.requestID, headers: [.klingLedgerSubmission: record.id])
        }
    }

    private func status(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await serving(request, context) { caller in
            let body = try await request.body.collect(upTo: 64 << 10)
            let fields = try CreateFields(body.readableBytesView, known: ["task_id"])
            guard let id = try fields.text("task_id") else { throw KlingRefusal(1201, "task_id is required") }
            let record = try await gateway.callerTask(id, provider: .pixazo, kind: .text2video, caller: caller, context: context)
            return KlingAnswer.success(Self.data(try await gateway.read(record).snapshot), requestID: context.requestID)
        }
    }

    /// The caller's key is in Pixazo's header, not in `Authorization`.
    private func serving(_ request: Request, _ context: GatewayContext, _ body: (GatewayKey) async throws -> Response) async throws -> Response {
        guard let key = request.headers[Self.keyHeader], !key.isEmpty else {
            throw KlingRefusal(1001, "Access denied due to missing subscription key: send Ocp-Apim-Subscription-Key with an API key from `kling-ledger keys create`")
        }
        return try await gateway.serving(request, context, authorization: "Bearer \(key)", body)
    }

    /// The status answer's `data`: text2video's result is a single `video_url` (seed 000).
    static func data(_ snapshot: TaskSnapshot) -> JSONValue {
        var data: [String: JSONValue] = ["task_id": .string(snapshot.providerTaskID), "task_status": .string(KlingTaskObject.status(snapshot.state))]
        if let created = snapshot.createdAt { data["created_at"] = KlingTaskObject.milliseconds(created) }
        if let updated = snapshot.updatedAt ?? snapshot.createdAt { data["updated_at"] = KlingTaskObject.milliseconds(updated) }
        switch snapshot.state {
        case .succeeded: data["task_result"] = ["video_url": .string(snapshot.videos.first?.url ?? "")]
        case .failed: data["task_status_msg"] = .string(snapshot.failureMessage ?? "failed")
        case .submitted, .processing: break
        }
        return .object(data)
    }
}
