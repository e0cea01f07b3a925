import Foundation
import KlingCore

/// The official Kling API (`api-singapore.klingai.com`), seed 002 and PROVIDERS.md §1.
public struct OfficialWire: ProviderWire {
    public let provider = Provider.kling

    public init() {}

    /// The path segment of each kind's endpoints.
    static func segment(_ kind: VideoKind) -> String {
        switch kind {
        case .text2video: "text2video"
        case .image2video: "image2video"
        case .extend: "video-extend"
        }
    }

    public func createRequest(for job: VideoJob, resolved: BillableJob) throws -> WireRequest {
        try .post("/v1/videos/\(Self.segment(job.kind))", json: OfficialCreateBody(job: job, resolved: resolved))
    }

    public func queryRequest(taskID: String, kind: VideoKind) throws -> WireRequest {
        WireRequest(method: .get, path: "/v1/videos/\(Self.segment(kind))/\(try pathComponent(taskID, provider: provider))")
    }

    /// The list of recent tasks (`pageNum` 1–1000, `pageSize` 1–500).
    public func listRequest(kind: VideoKind, page: Int = 1, pageSize: Int = 30) -> WireRequest {
        WireRequest(method: .get, path: "/v1/videos/\(Self.segment(kind))?pageNum=\(page)&pageSize=\(pageSize)")
    }

    public func decodeCreate(_ response: WireResponse) throws(ProviderFailure) -> TaskSnapshot {
        try decodeEnvelope(response, creating: true)
    }

    public func decodeQuery(_ response: WireResponse, kind: VideoKind) throws(ProviderFailure) -> TaskSnapshot {
        try decodeEnvelope(response, creating: false)
    }

    /// Reads the list endpoint's answer: the envelope with an array of tasks.
    public func decodeList(_ response: WireResponse) throws(ProviderFailure) -> [TaskSnapshot] {
        struct ListEnvelope: Decodable {
            let code: Int
            let data: [OfficialTask]?
        }
        guard let envelope = try? JSONDecoder().decode(ListEnvelope.self, from: response.body), envelope.code == 0 else {
            _ = try decodeEnvelope(response, creating: false)  // throws the mapped failure
            throw failure(forHTTP: response, creating: false)
        }
        var snapshots: [TaskSnapshot] = []
        for task in envelope.data ?? [] { snapshots.append(try task.snapshot(provider: provider)) }
        return snapshots
    }
}

/// The create body of the official API, which KKIAI reuses. Absent fields are left out.
struct OfficialCreateBody: Encodable {
    var model_name: String?
    var prompt: String?
    var negative_prompt: String?
    var cfg_scale: Double?
    var mode: String?
    var sound: String?
    var camera_control: CameraControlBody?
    var aspect_ratio: String?
    var duration: String?
    var image: String?
    var image_tail: String?
    var video_id: String?
    var watermark_info: Watermark?
    var callback_url: String?
    var external_task_id: String?
    var multi_shot: Bool?
    var shot_type: String?
    var multi_prompt: [ShotBody]?

    struct Watermark: Encodable { let enabled: Bool }
    struct ShotBody: Encodable {
        let index: Int
        let prompt: String
        let duration: String
    }

    init(job: VideoJob, resolved: BillableJob, alwaysSendMultiShot: Bool = false) {
        let spec = ProviderCatalog.profile(job.provider).model(named: resolved.model)
        model_name = job.kind == .extend ? nil : resolved.model
        prompt = job.prompt
        negative_prompt = job.negativePrompt
        cfg_scale = job.cfgScale
        mode = job.kind == .extend ? nil : resolved.mode?.rawValue
        // Only models that know `sound` are sent it.
        sound = spec?.supportsSound == true ? (job.sound ? "on" : "off") : nil
        camera_control = job.cameraControl.map(CameraControlBody.init)
        aspect_ratio = job.kind == .text2video ? job.aspectRatio?.rawValue : nil
        duration = job.kind == .extend ? nil : String(resolved.durationSeconds)
        image = job.image
        image_tail = job.imageTail
        video_id = job.videoID
        watermark_info = job.watermark.map(Watermark.init)
        callback_url = job.callbackURL
        external_task_id = job.externalTaskID
        if let shots = job.shots, !shots.isEmpty {
            multi_shot = true
            shot_type = "customize"
            multi_prompt = shots.enumerated().map {
                ShotBody(index: $0.offset + 1, prompt: $0.element.prompt, duration: String($0.element.durationSeconds))
            }
        } else if alwaysSendMultiShot {
            multi_shot = false
        }
    }
}

/// `camera_control` as the official API and AceData take it.
struct CameraControlBody: Encodable {
    let type: String
    let config: [String: Double]?

    init(_ control: CameraControl) {
        type = control.movement.rawValue
        config = control.config.map { Dictionary(uniqueKeysWithValues: $0.axes.map { ($0.name, $0.value) }) }
    }
}

/// A task id made safe to put in a URL path: ids with `/`, `?` or `#` are refused rather than
/// allowed to reach another endpoint.
func pathComponent(_ taskID: String, provider: Provider) throws -> String {
    guard !taskID.isEmpty, let encoded = taskID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed),
        !taskID.contains("/"), !taskID.contains("?"), !taskID.contains("#")
    else {
        throw ProviderFailure(provider: provider, category: .notCreated, message: "task id \"\(taskID)\" cannot be used in a URL")
    }
    return encoded
}
