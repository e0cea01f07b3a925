import Foundation
import KlingCore

/// Pixazo (`gateway.pixazo.ai`), seeds 000 and 001.
public struct PixazoWire: ProviderWire {
    public let provider = Provider.pixazo

    public init() {}

    /// Pixazo's gateway asks for it on every call.
    static let headers = ["Cache-Control": "no-cache"]

    struct CreateBody: Encodable {
        let prompt: String?
        let negative_prompt: String?
        let cfg_scale: Double?
        let aspect_ratio: String?
    }

    struct StatusBody: Encodable { let task_id: String }

    public func createRequest(for job: VideoJob, resolved: BillableJob) throws -> WireRequest {
        try job.billable.checkSendable()
        return try .post(
            "/kling-ai-video/v1/generateVideoTask",
            json: CreateBody(
                prompt: job.prompt, negative_prompt: job.negativePrompt, cfg_scale: job.cfgScale,
                aspect_ratio: job.aspectRatio?.rawValue),
            headers: Self.headers)
    }

    /// text2video and image2video are read at two endpoints with two result shapes.
    public func queryRequest(taskID: String, kind: VideoKind) throws -> WireRequest {
        let path = kind == .image2video ? "/kling-ai-polling/v1/getImageToVideoStatus" : "/kling-ai-polling/v1/getVideoStatus"
        return try .post(path, json: StatusBody(task_id: taskID), headers: Self.headers)
    }

    public func decodeCreate(_ response: WireResponse) throws(ProviderFailure) -> TaskSnapshot {
        try decode(response, creating: true)
    }

    public func decodeQuery(_ response: WireResponse, kind: VideoKind) throws(ProviderFailure) -> TaskSnapshot {
        try decode(response, creating: false)
    }

    /// Success uses the official envelope; errors are `{"error": "…"}` with an HTTP status.
    private func decode(_ response: WireResponse, creating: Bool) throws(ProviderFailure) -> TaskSnapshot {
        if !(200..<300).contains(response.status) {
            struct ErrorBody: Decodable { let error: String }
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.error
            throw failure(forHTTP: response, creating: creating, message: message)
        }
        return try decodeEnvelope(response, creating: creating)
    }
}
