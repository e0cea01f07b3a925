import KlingAPI
import KlingCore

/// A create body as the official API documents it (PROVIDERS.md §1), read into a job. Every
/// field is checked for its documented type; a field the gateway does not know is refused
/// rather than dropped, so what reaches the provider is exactly what was priced.
enum KlingCreateBody {
    static let knownFields: Set<String> = [
        "model_name", "prompt", "negative_prompt", "cfg_scale", "mode", "sound", "camera_control", "aspect_ratio", "duration",
        "image", "image_tail", "video_id", "watermark_info", "callback_url", "external_task_id", "multi_shot", "shot_type",
        "multi_prompt",
    ]

    /// The job the body describes, and the caller's own `external_task_id`.
    /// - Throws: `KlingRefusal` 1200 (not a JSON object) or 1201 (a field of the wrong type or
    ///   value), naming the field.
    static func job(from body: some Collection<UInt8>, provider: Provider, kind: VideoKind) throws(KlingRefusal) -> (VideoJob, externalTaskID: String?) {
        let fields = try CreateFields(body, known: knownFields)
        var job = VideoJob(provider: provider, kind: kind)
        job.model = try fields.text("model_name")
        job.prompt = try fields.text("prompt")
        job.negativePrompt = try fields.text("negative_prompt")
        job.image = try fields.text("image")
        job.imageTail = try fields.text("image_tail")
        job.videoID = try fields.text("video_id")
        job.callbackURL = try fields.text("callback_url")
        job.mode = try fields.mode()
        if let duration = try fields.text("duration") {
            guard let seconds = Int(duration), seconds > 0 else {
                throw KlingRefusal(1201, "duration = \"\(duration)\": must be a whole number of seconds as a string, such as \"5\"")
            }
            job.durationSeconds = seconds
        }
        if let sound = try fields.text("sound") {
            guard sound == "on" || sound == "off" else { throw KlingRefusal(1201, "sound = \"\(sound)\": must be on or off") }
            job.sound = sound == "on"
        }
        job.aspectRatio = try fields.aspectRatio()
        job.cfgScale = try fields.number("cfg_scale")
        if let watermark = fields.value("watermark_info") {
            guard let enabled = watermark.objectValue?["enabled"]?.boolValue else {
                throw KlingRefusal(1201, "watermark_info: must be {\"enabled\": true|false}")
            }
            job.watermark = enabled
        }
        job.cameraControl = try cameraControl(fields.value("camera_control"))
        job.shots = try shots(fields)
        let external = try fields.text("external_task_id")
        if let external, external.isEmpty { throw KlingRefusal(1201, "external_task_id: must not be empty; leave it out or give an id") }
        return (job, external)
    }

    static func cameraControl(_ value: JSONValue?) throws(KlingRefusal) -> CameraControl? {
        guard let value else { return nil }
        guard let object = value.objectValue, let type = object["type"]?.stringValue, let movement = CameraControl.Movement(rawValue: type) else {
            let types = CameraControl.Movement.allCases.map(\.rawValue).joined(separator: ", ")
            throw KlingRefusal(1201, "camera_control.type: must be one of \(types)")
        }
        guard let config = object["config"], config != .null else { return CameraControl(movement: movement) }
        guard let axes = config.objectValue else { throw KlingRefusal(1201, "camera_control.config: must be an object of axes") }
        var parsed = CameraControl.Config()
        for (name, value) in axes {
            let number = try CreateFields.number(value, named: "camera_control.config.\(name)")
            guard parsed.set(name, to: number) else {
                throw KlingRefusal(1201, "camera_control.config.\(name): not an axis (horizontal, vertical, pan, tilt, roll, zoom)")
            }
        }
        return CameraControl(movement: movement, config: parsed)
    }

    private static func shots(_ fields: CreateFields) throws(KlingRefusal) -> [Shot]? {
        guard let multiShot = try fields.bool("multi_shot"), multiShot else { return nil }
        guard fields.value("shot_type")?.stringValue == "customize" else {
            throw KlingRefusal(1201, "shot_type: must be \"customize\" when multi_shot is true")
        }
        guard let list = fields.value("multi_prompt")?.arrayValue, !list.isEmpty else {
            throw KlingRefusal(1201, "multi_prompt: must list the shots as [{index, prompt, duration}] when multi_shot is true")
        }
        var shots: [(index: Int, shot: Shot)] = []
        for (position, item) in list.enumerated() {
            guard let prompt = item.objectValue?["prompt"]?.stringValue, let duration = item.objectValue?["duration"]?.stringValue.flatMap({ Int($0) })
            else {
                throw KlingRefusal(1201, "multi_prompt[\(position)]: needs a prompt and a duration as a string, such as \"3\"")
            }
            shots.append((item.objectValue?["index"]?.intValue ?? position + 1, Shot(prompt: prompt, durationSeconds: duration)))
        }
        return shots.sorted { $0.index < $1.index }.map(\.shot)
    }
}
