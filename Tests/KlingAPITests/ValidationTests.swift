import Foundation
import KlingAPI
import KlingCore
import Testing

@Suite("Job validation before anything is sent")
struct ValidationTests {
    struct Invalid: CustomTestStringConvertible, Sendable {
        let name: String
        let job: VideoJob
        /// The field the refusal must name.
        let field: String
        var testDescription: String { name }
    }

    static let longText = String(repeating: "a", count: 2501)
    static let base64PNG = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).base64EncodedString()

    static func kling(_ change: (inout VideoJob) -> Void) -> VideoJob {
        var job = VideoJob(provider: .kling, model: "kling-v1", prompt: "a fox in the snow")
        change(&job)
        return job
    }

    static func on(_ provider: Provider, _ change: (inout VideoJob) -> Void) -> VideoJob {
        var job = VideoJob(provider: provider, prompt: "a fox in the snow")
        change(&job)
        return job
    }

    static let simple = CameraControl.Config(zoom: 5)

    static let invalidJobs: [Invalid] = [
        // Catalog: model, kind, mode, duration, sound.
        Invalid(name: "unknown model", job: kling { $0.model = "kling-v9" }, field: "model_name"),
        Invalid(name: "model at Pixazo", job: on(.pixazo) { $0.model = "kling-v1" }, field: "model_name"),
        Invalid(name: "mode at Pixazo", job: on(.pixazo) { $0.mode = .pro }, field: "mode"),
        Invalid(name: "Pixazo 10 s", job: on(.pixazo) { $0.durationSeconds = 10 }, field: "duration"),
        Invalid(name: "Pixazo image2video create is undocumented", job: on(.pixazo) { $0.kind = .image2video; $0.prompt = nil; $0.image = "https://x.test/a.png" }, field: "kind"),
        Invalid(name: "KKIAI image2video", job: on(.kkiai) { $0.kind = .image2video; $0.image = "https://x.test/a.png" }, field: "kind"),
        Invalid(name: "extend on kling-v2-6", job: kling { $0.kind = .extend; $0.model = "kling-v2-6"; $0.videoID = "v1" }, field: "kind"),
        Invalid(name: "duration 7 s on kling-v1", job: kling { $0.durationSeconds = 7 }, field: "duration"),
        Invalid(name: "duration 16 s on kling-v3", job: kling { $0.model = "kling-v3"; $0.durationSeconds = 16 }, field: "duration"),
        Invalid(name: "duration 2 s on kling-v3", job: kling { $0.model = "kling-v3"; $0.durationSeconds = 2 }, field: "duration"),
        Invalid(name: "sound on kling-v1", job: kling { $0.sound = true }, field: "sound"),
        Invalid(name: "sound on kling-v2-5-turbo", job: kling { $0.model = "kling-v2-5-turbo"; $0.sound = true }, field: "sound"),
        Invalid(name: "sound at AceData", job: on(.acedata) { $0.sound = true }, field: "sound"),
        Invalid(name: "kling-video-o1 at the official API", job: kling { $0.model = "kling-video-o1" }, field: "model_name"),
        // Prompts.
        Invalid(name: "text2video without a prompt", job: kling { $0.prompt = nil }, field: "prompt"),
        Invalid(name: "blank prompt", job: kling { $0.prompt = "   \n" }, field: "prompt"),
        Invalid(name: "prompt over 2500 characters", job: kling { $0.prompt = longText }, field: "prompt"),
        Invalid(name: "negative prompt over 2500 characters", job: kling { $0.negativePrompt = longText }, field: "negative_prompt"),
        Invalid(name: "AceData negative prompt over 200 characters", job: on(.acedata) { $0.negativePrompt = String(repeating: "b", count: 201) }, field: "negative_prompt"),
        // cfg_scale.
        Invalid(name: "cfg_scale above 1", job: kling { $0.cfgScale = 1.5 }, field: "cfg_scale"),
        Invalid(name: "cfg_scale below 0", job: kling { $0.cfgScale = -0.1 }, field: "cfg_scale"),
        Invalid(name: "cfg_scale on kling-v2-master", job: kling { $0.model = "kling-v2-master"; $0.cfgScale = 0.5 }, field: "cfg_scale"),
        Invalid(name: "cfg_scale on kling-v2-5-turbo", job: kling { $0.model = "kling-v2-5-turbo"; $0.cfgScale = 0.5 }, field: "cfg_scale"),
        // Camera control.
        Invalid(name: "simple camera without config", job: kling { $0.cameraControl = CameraControl(movement: .simple) }, field: "camera_control.config"),
        Invalid(name: "simple camera with two axes", job: kling { $0.cameraControl = CameraControl(movement: .simple, config: .init(pan: 2, zoom: 5)) }, field: "camera_control.config"),
        Invalid(name: "simple camera with all axes zero", job: kling { $0.cameraControl = CameraControl(movement: .simple, config: .init()) }, field: "camera_control.config"),
        Invalid(name: "camera axis out of range", job: kling { $0.cameraControl = CameraControl(movement: .simple, config: .init(tilt: 11)) }, field: "camera_control.config.tilt"),
        Invalid(name: "predefined movement with config", job: kling { $0.cameraControl = CameraControl(movement: .forwardUp, config: simple) }, field: "camera_control.config"),
        Invalid(name: "camera control at Pixazo", job: on(.pixazo) { $0.cameraControl = CameraControl(movement: .downBack) }, field: "camera_control"),
        // Images.
        Invalid(name: "image2video without an image", job: kling { $0.kind = .image2video }, field: "image"),
        Invalid(name: "image with a data: prefix", job: kling { $0.kind = .image2video; $0.image = "data:image/png;base64," + base64PNG }, field: "image"),
        Invalid(name: "image that is neither URL nor base64", job: kling { $0.kind = .image2video; $0.image = "my photo.png" }, field: "image"),
        Invalid(name: "image tail not base64", job: kling { $0.kind = .image2video; $0.image = base64PNG; $0.imageTail = "%%%" }, field: "image_tail"),
        Invalid(name: "image tail with camera control", job: kling { $0.kind = .image2video; $0.imageTail = base64PNG; $0.cameraControl = CameraControl(movement: .downBack) }, field: "image_tail"),
        Invalid(name: "image on text2video", job: kling { $0.image = "https://x.test/a.png" }, field: "image"),
        Invalid(name: "AceData image2video without start image", job: on(.acedata) { $0.kind = .image2video; $0.imageTail = "https://x.test/b.png" }, field: "image"),
        Invalid(name: "AceData image as base64", job: on(.acedata) { $0.kind = .image2video; $0.image = base64PNG }, field: "image"),
        // Extension.
        Invalid(name: "extend without a video id", job: kling { $0.kind = .extend }, field: "video_id"),
        Invalid(name: "video id on text2video", job: kling { $0.videoID = "v-123" }, field: "video_id"),
        // Multi-shot.
        Invalid(name: "multi-shot on kling-v1", job: kling { $0.prompt = nil; $0.shots = [Shot(prompt: "a", durationSeconds: 5)] }, field: "multi_shot"),
        Invalid(name: "multi-shot at AceData", job: on(.acedata) { $0.prompt = nil; $0.shots = [Shot(prompt: "a", durationSeconds: 5)] }, field: "multi_shot"),
        Invalid(name: "seven shots", job: kling { $0.model = "kling-v3"; $0.prompt = nil; $0.durationSeconds = 7; $0.shots = Array(repeating: Shot(prompt: "a", durationSeconds: 1), count: 7) }, field: "multi_prompt"),
        Invalid(name: "no shots", job: kling { $0.model = "kling-v3"; $0.prompt = nil; $0.shots = [] }, field: "prompt"),
        Invalid(name: "shot prompt over 512 characters", job: kling { $0.model = "kling-v3"; $0.prompt = nil; $0.shots = [Shot(prompt: String(repeating: "c", count: 513), durationSeconds: 5)] }, field: "multi_prompt[0].prompt"),
        Invalid(name: "empty shot prompt", job: kling { $0.model = "kling-v3"; $0.prompt = nil; $0.shots = [Shot(prompt: " ", durationSeconds: 5)] }, field: "multi_prompt[0].prompt"),
        Invalid(name: "zero-second shot", job: kling { $0.model = "kling-v3"; $0.prompt = nil; $0.shots = [Shot(prompt: "a", durationSeconds: 5), Shot(prompt: "b", durationSeconds: 0)] }, field: "multi_prompt[1].duration"),
        Invalid(name: "shots not adding up", job: kling { $0.model = "kling-v3"; $0.prompt = nil; $0.durationSeconds = 10; $0.shots = [Shot(prompt: "a", durationSeconds: 4), Shot(prompt: "b", durationSeconds: 4)] }, field: "multi_prompt"),
        Invalid(name: "prompt with multi-shot", job: kling { $0.model = "kling-v3"; $0.shots = [Shot(prompt: "a", durationSeconds: 5)] }, field: "prompt"),
        // Provider-specific fields.
        Invalid(name: "watermark at Pixazo", job: on(.pixazo) { $0.watermark = true }, field: "watermark_info"),
        Invalid(name: "external task id at AceData", job: on(.acedata) { $0.externalTaskID = "x-1" }, field: "external_task_id"),
        Invalid(name: "empty external task id", job: kling { $0.externalTaskID = "" }, field: "external_task_id"),
        Invalid(name: "callback at Pixazo", job: on(.pixazo) { $0.callbackURL = "https://x.test/cb" }, field: "callback_url"),
        Invalid(name: "callback that is not a URL", job: kling { $0.callbackURL = "not a url" }, field: "callback_url"),
        Invalid(name: "callback over ftp", job: kling { $0.callbackURL = "ftp://x.test/cb" }, field: "callback_url"),
    ]

    @Test("Each invalid job is refused, naming the field, the value, the rule and the fix", arguments: invalidJobs)
    func refused(_ invalid: Invalid) {
        do {
            try invalid.job.validated()
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.field == invalid.field }, "\(error.problems)")
            for problem in error.problems {
                #expect(!problem.value.isEmpty && !problem.rule.isEmpty && !problem.fix.isEmpty)
            }
            #expect(error.errorDescription?.contains(invalid.field) == true)
        }
    }

    @Test("The table holds at least 40 distinct invalid jobs")
    func enoughCases() {
        #expect(Set(Self.invalidJobs.map(\.name)).count == Self.invalidJobs.count)
        #expect(Set(Self.invalidJobs.map(\.job)).count >= 40)
    }

    static let validJobs: [VideoJob] = [
        kling { _ in },
        kling { $0.model = "kling-v2-6"; $0.mode = .pro; $0.sound = true; $0.aspectRatio = .square },
        kling { $0.model = "kling-v3"; $0.prompt = nil; $0.durationSeconds = 8; $0.shots = [Shot(prompt: "a", durationSeconds: 3), Shot(prompt: "b", durationSeconds: 5)] },
        kling { $0.kind = .image2video; $0.image = base64PNG; $0.cameraControl = CameraControl(movement: .simple, config: simple) },
        kling { $0.kind = .extend; $0.prompt = nil; $0.videoID = "v-1" },
        kling { $0.cfgScale = 0.5; $0.externalTaskID = "kl-1"; $0.callbackURL = "https://x.test/cb"; $0.watermark = false },
        on(.pixazo) { $0.negativePrompt = "blur"; $0.cfgScale = 0.5; $0.aspectRatio = .portrait },
        on(.acedata) { $0.kind = .image2video; $0.image = "https://x.test/a.png"; $0.model = "kling-v1-6"; $0.callbackURL = "https://x.test/cb" },
        on(.kkiai) { $0.model = "kling-v3"; $0.mode = .pro; $0.durationSeconds = 15; $0.sound = true; $0.externalTaskID = "kl-2" },
    ]

    @Test("Valid jobs pass and come back with the provider's defaults", arguments: validJobs)
    func accepted(job: VideoJob) throws {
        let billable = try job.validated()
        #expect(billable.provider == job.provider)
        #expect(billable.model != nil || job.provider == .pixazo)
    }
}
