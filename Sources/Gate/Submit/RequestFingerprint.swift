import Crypto
import Foundation
import KlingAPI
import KlingCore
import Ledger
import Pricing

/// A digest of everything a request asks for (not its idempotency key or generated ids): two
/// requests with one key are the same request exactly when their fingerprints are equal.
struct RequestFingerprint {
    let value: String

    init(_ request: SubmissionRequest, job: VideoJob, resolved: BillableJob) {
        let camera = job.cameraControl.map { control in
            control.movement.rawValue + (control.config?.axes.map { "\($0.name)=\($0.value)" }.joined(separator: ",") ?? "")
        }
        let fields: [(String, String?)] = [
            ("provider", resolved.provider.rawValue), ("kind", resolved.kind.rawValue), ("model", resolved.model),
            ("mode", resolved.mode?.rawValue), ("duration", String(resolved.durationSeconds)), ("sound", String(resolved.sound)),
            ("aspect_ratio", job.aspectRatio?.rawValue), ("prompt", job.prompt), ("negative_prompt", job.negativePrompt),
            ("cfg_scale", job.cfgScale.map { "\($0)" }), ("camera", camera), ("image", job.image), ("image_tail", job.imageTail),
            ("video_id", job.videoID), ("shots", job.shots.map { $0.map { "\($0.durationSeconds):\($0.prompt)" }.joined(separator: "\u{1F}") }),
            ("watermark", job.watermark.map { String($0) }), ("callback_url", job.callbackURL), ("team", request.team),
            ("project", request.project), ("user", request.user),
            ("tags", request.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1F}")),
            ("unit_price", request.unitPriceOverride?.amount.decimalString),
        ]
        // Unit and record separators keep "ab" + "c" apart from "a" + "bc".
        let text = fields.map { "\($0.0)\u{1F}\($0.1 ?? "\u{0}")" }.joined(separator: "\u{1E}")
        value = lowercaseHex(SHA256.hash(data: Data(text.utf8)))
    }

    /// The fields a recorded submission keeps that differ from a new request; when the ledger
    /// keeps none that differ, the fields it does not keep are named.
    static func differences(between record: SubmissionRecord, and draft: NewSubmission) -> [String] {
        var names: [String] = []
        func compare(_ name: String, _ a: String?, _ b: String?) { if a != b { names.append(name) } }
        compare("provider", record.job.provider.rawValue, draft.job.provider.rawValue)
        compare("kind", record.job.kind.rawValue, draft.job.kind.rawValue)
        compare("model", record.job.model, draft.job.model)
        compare("mode", record.job.mode?.rawValue, draft.job.mode?.rawValue)
        compare("duration", String(record.job.durationSeconds), String(draft.job.durationSeconds))
        compare("sound", String(record.job.sound), String(draft.job.sound))
        compare("aspect ratio", record.aspectRatio, draft.aspectRatio)
        compare("prompt", record.prompt, draft.prompt)
        compare("team", record.team, draft.team)
        compare("project", record.project, draft.project)
        compare("user", record.user, draft.user)
        compare("tags", record.tags.sorted { $0.key < $1.key }.description, draft.tags.sorted { $0.key < $1.key }.description)
        if names.isEmpty { names.append("fields the ledger does not keep: negative prompt, images, camera, cfg scale, video id or unit price") }
        return names
    }
}
