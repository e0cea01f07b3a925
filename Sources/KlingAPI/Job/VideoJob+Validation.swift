import Foundation
import KlingCore

extension VideoJob {
    /// The documented limits, checked before anything is reserved or sent.
    public enum Limits {
        public static let promptCharacters = 2500
        /// AceData documents a shorter negative prompt than the official API.
        public static let aceDataNegativePromptCharacters = 200
        public static let shotPromptCharacters = 512
        public static let shots = 1...6
        public static let cameraAxis = -10.0...10.0
        public static let cfgScale = 0.0...1.0
        /// Raw base64 images: 10 MB decoded.
        public static let imageBytes = 10 * 1024 * 1024
    }

    /// Checks the job against everything its provider and model document.
    ///
    /// - Returns: the job's billable part with the provider's defaults filled in.
    /// - Throws: `JobValidationError` listing every problem, each naming the field, the value,
    ///   the rule and the fix.
    @discardableResult
    public func validated() throws(JobValidationError) -> BillableJob {
        var problems: [JobValidationError.Problem] = []
        func problem(_ field: String, _ value: String, _ rule: String, _ fix: String) {
            problems.append(.init(field: field, value: value, rule: rule, fix: fix))
        }
        let show = JobValidationError.Problem.show

        // Model, kind, mode, duration and sound, from the provider catalog.
        var resolved = billable
        do {
            resolved = try billable.resolved()
            try resolved.checkSendable()
        } catch {
            problem(error.field, error.value, error.errorDescription ?? "not offered", error.fix)
        }
        let model = resolved.model ?? ""
        let official = provider == .kling || provider == .kkiai

        // Prompts.
        if let shots, !shots.isEmpty {
            if prompt != nil {
                problem("prompt", show(prompt ?? ""), "a multi-shot job ignores prompt", "put the text in the shots and leave prompt out")
            }
        } else if kind == .text2video, (prompt ?? "").allSatisfy(\.isWhitespace) {
            problem("prompt", prompt.map(show) ?? "(none)", "text2video needs a prompt", "describe the video in --prompt")
        }
        if let prompt, prompt.count > Limits.promptCharacters {
            problem("prompt", show(prompt), "at most \(Limits.promptCharacters) characters", "shorten the prompt")
        }
        if let negativePrompt {
            let limit = provider == .acedata ? Limits.aceDataNegativePromptCharacters : Limits.promptCharacters
            if negativePrompt.count > limit {
                problem(
                    "negative_prompt", show(negativePrompt), "at most \(limit) characters at \(provider.rawValue)",
                    "shorten the negative prompt")
            }
        }

        // cfg_scale.
        if let cfgScale {
            if !Limits.cfgScale.contains(cfgScale) {
                problem("cfg_scale", "\(cfgScale)", "must be between 0 and 1", "use a value such as 0.5")
            } else if model.hasPrefix("kling-v2") {
                problem("cfg_scale", "\(cfgScale)", "\(model) does not support cfg_scale (kling-v2.x)", "leave cfg_scale out")
            }
        }

        // Camera control.
        if let cameraControl {
            if provider == .pixazo {
                problem("camera_control", cameraControl.movement.rawValue, "Pixazo has no camera_control field", "leave it out")
            }
            switch (cameraControl.movement, cameraControl.config) {
            case (.simple, nil):
                problem("camera_control.config", "(none)", "a simple movement needs a config", "set exactly one of horizontal, vertical, pan, tilt, roll, zoom")
            case (.simple, let config?):
                let moving = config.axes.filter { $0.value != 0 }
                if moving.count != 1 {
                    problem(
                        "camera_control.config", moving.isEmpty ? "all zero" : moving.map { "\($0.name)=\($0.value)" }.joined(separator: ", "),
                        "a simple movement sets exactly one non-zero axis", "keep one axis and set the others to 0")
                }
                for axis in config.axes where !Limits.cameraAxis.contains(axis.value) {
                    problem("camera_control.config.\(axis.name)", "\(axis.value)", "must be between -10 and 10", "use a value in [-10, 10]")
                }
            case (let movement, _?):
                problem("camera_control.config", "given", "the predefined movement \(movement.rawValue) takes no config", "leave the config out or use type simple")
            case (_, nil):
                break
            }
        }

        // Images.
        switch kind {
        case .image2video:
            if image == nil && imageTail == nil {
                problem("image", "(none)", "image2video needs a first frame (image) or a last frame (image_tail)", "give --image with a URL or a base64 file")
            }
            if provider == .acedata {
                if image == nil { problem("image", "(none)", "AceData needs start_image_url for image2video", "give --image with an http(s) URL") }
                for (field, value) in [("image", image), ("image_tail", imageTail)] {
                    if let value, !isWebURL(value) {
                        problem(field, show(value), "AceData takes image URLs only", "upload the image and give its http(s) URL")
                    }
                }
            }
            if imageTail != nil, cameraControl != nil {
                problem("image_tail", "given", "image_tail and camera_control cannot be combined", "drop one of them")
            }
            for (field, value) in [("image", image), ("image_tail", imageTail)] {
                guard let value else { continue }
                if let issue = imageIssue(value) { problem(field, show(value), issue.rule, issue.fix) }
            }
        case .text2video, .extend:
            if image != nil || imageTail != nil {
                problem(image != nil ? "image" : "image_tail", "given", "\(kind.rawValue) takes no image", "use --kind image2video, or leave the image out")
            }
        }

        // Video extension.
        if kind == .extend, (videoID ?? "").isEmpty {
            problem("video_id", "(none)", "extend needs the id of the video to extend", "give --video-id")
        }
        if kind != .extend, videoID != nil {
            problem("video_id", show(videoID ?? ""), "only extend takes a video id", "use --kind extend, or leave it out")
        }

        // Multi-shot.
        if let shots {
            if model != "kling-v3" || !official {
                problem("multi_shot", "\(shots.count) shots", "multi-shot is documented for kling-v3 at kling and kkiai only", "use --model kling-v3 at one of them, or a single prompt")
            }
            if !Limits.shots.contains(shots.count) {
                problem("multi_prompt", "\(shots.count) shots", "between 1 and 6 shots", "merge or split shots")
            }
            for (index, shot) in shots.enumerated() {
                if shot.prompt.allSatisfy(\.isWhitespace) {
                    problem("multi_prompt[\(index)].prompt", "\"\"", "each shot needs a prompt", "describe the shot")
                }
                if shot.prompt.count > Limits.shotPromptCharacters {
                    problem("multi_prompt[\(index)].prompt", show(shot.prompt), "at most \(Limits.shotPromptCharacters) characters per shot", "shorten the shot's prompt")
                }
                if shot.durationSeconds < 1 {
                    problem("multi_prompt[\(index)].duration", "\(shot.durationSeconds)", "each shot lasts at least 1 s", "lengthen the shot")
                }
            }
            let total = shots.reduce(0) { $0 + $1.durationSeconds }
            if total != durationSeconds {
                problem("multi_prompt", "shots total \(total) s", "the shots must add up to the duration (\(durationSeconds) s)", "adjust the shot durations or --duration")
            }
        }

        // Fields only some providers have.
        if watermark != nil, !official {
            problem("watermark_info", "\(watermark ?? false)", "\(provider.rawValue) has no watermark option", "leave it out")
        }
        if let externalTaskID {
            if !official {
                problem("external_task_id", show(externalTaskID), "\(provider.rawValue) does not accept an external task id", "leave it out")
            } else if externalTaskID.isEmpty {
                problem("external_task_id", "\"\"", "must not be empty", "leave it out to use the submission id")
            }
        }
        if let callbackURL {
            if provider == .pixazo {
                problem("callback_url", show(callbackURL), "Pixazo has no callback_url field", "leave it out; KlingLedger polls")
            } else if !isWebURL(callbackURL) {
                problem("callback_url", show(callbackURL), "must be an http(s) URL", "give a full URL such as https://example.com/kling")
            }
        }

        guard problems.isEmpty else { throw JobValidationError(problems: problems) }
        return resolved
    }

    private func isWebURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host?.isEmpty == false else { return false }
        return scheme == "https" || scheme == "http"
    }

    /// A URL is taken as given; anything else must be raw base64 within the size limit.
    private func imageIssue(_ value: String) -> (rule: String, fix: String)? {
        if isWebURL(value) { return nil }
        if value.hasPrefix("data:") {
            return ("base64 images are sent without a data: prefix", "remove the \"data:…;base64,\" prefix")
        }
        guard let data = Data(base64Encoded: value) else {
            return ("an image is an http(s) URL or raw base64", "give a URL or a jpg/png file")
        }
        if data.count > Limits.imageBytes {
            return ("an image is at most 10 MB", "compress or resize the image")
        }
        return nil
    }
}

extension CatalogError {
    /// The job field the catalog refusal is about.
    var field: String {
        switch self {
        case .unknownModel, .modelNotSelectable: "model_name"
        case .modeNotSelectable, .unsupportedMode: "mode"
        case .kindNotOffered: "kind"
        case .unsupportedDuration: "duration"
        case .soundNotSupported: "sound"
        }
    }

    /// The refused value.
    var value: String {
        switch self {
        case .unknownModel(_, let model, _): "\"\(model)\""
        case .modelNotSelectable: "given"
        case .modeNotSelectable: "given"
        case .unsupportedMode(_, _, let mode): mode.rawValue
        case .kindNotOffered(_, let kind, _): kind.rawValue
        case .unsupportedDuration(_, _, let seconds, _): "\(seconds)"
        case .soundNotSupported: "on"
        }
    }

    /// What to do; the description already says it, so the fix points back to the catalog.
    var fix: String { "see `kling-ledger compare` for what each provider offers" }
}
