import ArgumentParser
import Foundation
import Pricing
import Ledger
import Gate
import KlingAPI
import KlingCore

extension AspectRatio: ExpressibleByArgument {}
extension CameraControl.Movement: ExpressibleByArgument {}

/// What a job asks for beyond its price: prompt, images, camera, shots, and who asks.
struct RequestOptions: ParsableArguments {
    @Option(help: "What to generate (text2video; up to 2500 characters).")
    var prompt: String?

    @Option(help: "What to avoid (up to 2500 characters; 200 at AceData).")
    var negativePrompt: String?

    @Option(help: "Frame shape: 16:9, 9:16 or 1:1.")
    var aspectRatio: AspectRatio?

    @Option(help: ArgumentHelp("How closely to follow the prompt, 0 to 1 (not on kling-v2.x).", valueName: "0-1"))
    var cfgScale: Double?

    @Option(help: "Camera movement: simple, down_back, forward_up, right_turn_forward, left_turn_forward.")
    var camera: CameraControl.Movement?

    @Option(help: ArgumentHelp("For --camera simple: one axis and its value in [-10, 10], e.g. zoom=5.", valueName: "axis=value"))
    var cameraAxis: String?

    @Option(help: ArgumentHelp("The first frame for image2video: a file (sent as base64) or an http(s) URL.", valueName: "path-or-url"))
    var image: String?

    @Option(help: ArgumentHelp("The last frame for image2video: a file or an http(s) URL.", valueName: "path-or-url"))
    var imageTail: String?

    @Option(help: "The video to extend (--kind extend).")
    var videoID: String?

    @Option(
        name: .customLong("shot"),
        help: ArgumentHelp("A shot of a multi-shot video (kling-v3), repeatable, in order: seconds:prompt, e.g. 3:a fox wakes.", valueName: "seconds:prompt"))
    var shots: [String] = []

    @Option(help: "The team the job is billed to (budgets by team apply).")
    var team: String?

    @Option(help: "The project the job belongs to.")
    var project: String?

    @Option(help: "Who asked for the job.")
    var user: String?

    @Option(name: .customLong("tag"), help: ArgumentHelp("A label for reports, repeatable.", valueName: "key=value"))
    var tags: [String] = []

    @Option(help: "A key that makes retries safe: the same key twice returns the first submission and sends nothing.")
    var idempotencyKey: String?

    func validate() throws {
        for tag in tags where !tag.contains("=") || tag.hasPrefix("=") {
            throw ValidationError("--tag \"\(tag)\" must be key=value, e.g. --tag campaign=spring")
        }
        if let cameraAxis, camera != .simple {
            throw ValidationError("--camera-axis \(cameraAxis) needs --camera simple; the other movements take no axis")
        }
        for shot in shots where parseShot(shot) == nil {
            throw ValidationError("--shot \"\(shot)\" must be seconds:prompt, e.g. --shot \"3:a fox wakes\"")
        }
    }

    /// The full job for a provider, with the priced fields from `job`.
    func videoJob(provider: Provider, priced job: JobOptions) throws -> VideoJob {
        VideoJob(
            provider: provider, kind: job.kind, model: job.model, mode: job.mode, durationSeconds: job.duration, sound: job.sound,
            aspectRatio: aspectRatio, prompt: prompt, negativePrompt: negativePrompt, cfgScale: cfgScale,
            cameraControl: try cameraControl(), image: try image.map(Self.imageValue), imageTail: try imageTail.map(Self.imageValue),
            videoID: videoID, shots: shots.isEmpty ? nil : shots.compactMap(parseShot))
    }

    func request(provider: Provider, priced job: JobOptions) throws -> SubmissionRequest {
        SubmissionRequest(
            job: try videoJob(provider: provider, priced: job), team: team, project: project, user: user,
            tags: Dictionary(tags.map { tag in
                let parts = tag.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }, uniquingKeysWith: { _, last in last }),
            idempotencyKey: idempotencyKey, unitPriceOverride: try job.unitPriceOverride())
    }

    private func cameraControl() throws -> CameraControl? {
        guard let camera else { return nil }
        guard camera == .simple, let cameraAxis else { return CameraControl(movement: camera) }
        let parts = cameraAxis.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]) else {
            throw ValidationError("--camera-axis \"\(cameraAxis)\" must be axis=value, e.g. zoom=5")
        }
        var config = CameraControl.Config()
        guard config.set(parts[0], to: value) else {
            throw ValidationError("--camera-axis: \(parts[0]) is not an axis; use horizontal, vertical, pan, tilt, roll or zoom")
        }
        return CameraControl(movement: .simple, config: config)
    }

    private func parseShot(_ text: String) -> Shot? {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let seconds = Int(parts[0]) else { return nil }
        return Shot(prompt: String(parts[1]), durationSeconds: seconds)
    }

    /// A URL as given; a file read and sent as raw base64, as the official API takes it.
    static func imageValue(_ text: String) throws -> String {
        if text.hasPrefix("http://") || text.hasPrefix("https://") { return text }
        guard let data = FileManager.default.contents(atPath: text) else {
            throw ValidationError("the image \"\(text)\" is neither an http(s) URL nor a readable file")
        }
        return data.base64EncodedString()
    }
}
