import Foundation
import KlingAPI
import KlingCore
import Testing

/// The JSON body of a request, as a dictionary.
func body(_ request: WireRequest) throws -> [String: Any] {
    let data = try #require(request.body)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func create(_ job: VideoJob) throws -> WireRequest {
    try job.provider.wire.createRequest(for: job, resolved: try job.validated())
}

@Suite("Each provider's requests, byte for byte where it matters")
struct WireEncodingTests {
    @Test("Official text2video: path, model, mode, duration as a string, sound only where known")
    func officialText() throws {
        let job = VideoJob(
            provider: .kling, model: "kling-v2-6", mode: .pro, durationSeconds: 10, sound: true, aspectRatio: .square,
            prompt: "a rabbit reading", negativePrompt: "blur", watermark: false, callbackURL: "https://x.test/cb",
            externalTaskID: "kl-01")
        let request = try create(job)
        #expect(request.method == .post)
        #expect(request.path == "/v1/videos/text2video")
        #expect(request.headers["Content-Type"] == "application/json")
        let json = try body(request)
        #expect(json["model_name"] as? String == "kling-v2-6")
        #expect(json["mode"] as? String == "pro")
        #expect(json["duration"] as? String == "10")
        #expect(json["sound"] as? String == "on")
        #expect(json["aspect_ratio"] as? String == "1:1")
        #expect(json["prompt"] as? String == "a rabbit reading")
        #expect(json["negative_prompt"] as? String == "blur")
        #expect((json["watermark_info"] as? [String: Any])?["enabled"] as? Bool == false)
        #expect(json["callback_url"] as? String == "https://x.test/cb")
        #expect(json["external_task_id"] as? String == "kl-01")
        #expect(json["multi_shot"] == nil)

        let old = try body(try create(VideoJob(provider: .kling, model: "kling-v1", prompt: "p", cfgScale: 0.5)))
        #expect(old["sound"] == nil)
        #expect(old["cfg_scale"] as? Double == 0.5)
        #expect(old["mode"] as? String == "std")
    }

    @Test("Official multi-shot: customize, indexed shots with string durations")
    func officialMultiShot() throws {
        let job = VideoJob(
            provider: .kling, model: "kling-v3", durationSeconds: 8,
            shots: [Shot(prompt: "a door opens", durationSeconds: 3), Shot(prompt: "a cat walks in", durationSeconds: 5)])
        let json = try body(try create(job))
        #expect(json["multi_shot"] as? Bool == true)
        #expect(json["shot_type"] as? String == "customize")
        let shots = try #require(json["multi_prompt"] as? [[String: Any]])
        #expect(shots.map { $0["index"] as? Int } == [1, 2])
        #expect(shots.map { $0["duration"] as? String } == ["3", "5"])
        #expect(json["prompt"] == nil)
    }

    @Test("Official image2video and extend use their own endpoints")
    func officialOtherKinds() throws {
        let image = try create(VideoJob(
            provider: .kling, kind: .image2video, model: "kling-v1-6",
            cameraControl: CameraControl(movement: .simple, config: .init(zoom: 5)), image: "https://x.test/a.png"))
        #expect(image.path == "/v1/videos/image2video")
        let json = try body(image)
        #expect(json["image"] as? String == "https://x.test/a.png")
        let camera = try #require(json["camera_control"] as? [String: Any])
        #expect(camera["type"] as? String == "simple")
        #expect((camera["config"] as? [String: Any])?["zoom"] as? Double == 5)

        let extend = try create(VideoJob(provider: .kling, kind: .extend, model: "kling-v1", videoID: "v-9"))
        #expect(extend.path == "/v1/videos/video-extend")
        #expect(try body(extend)["video_id"] as? String == "v-9")
        #expect(try OfficialWire().queryRequest(taskID: "T 1", kind: .extend).path == "/v1/videos/video-extend/T%201")
        #expect(throws: ProviderFailure.self) { try OfficialWire().queryRequest(taskID: "../account", kind: .text2video) }
    }

    @Test("KKIAI: official body under /kling, multi_shot always sent")
    func kkiai() throws {
        let request = try create(VideoJob(provider: .kkiai, model: "kling-v2-5-turbo", mode: .pro, durationSeconds: 10, prompt: "p"))
        #expect(request.path == "/kling/v1/videos/text2video")
        let json = try body(request)
        #expect(json["multi_shot"] as? Bool == false)
        #expect(json["model_name"] as? String == "kling-v2-5-turbo")
        #expect(json["duration"] as? String == "10")
        #expect(try KKIAIWire().queryRequest(taskID: "831922345719271433", kind: .text2video).path == "/kling/v1/videos/text2video/831922345719271433")
    }

    @Test("Pixazo: four fields only, no-cache header, two status endpoints")
    func pixazo() throws {
        let request = try create(VideoJob(provider: .pixazo, aspectRatio: .landscape, prompt: "forest", negativePrompt: "nude", cfgScale: 0.5))
        #expect(request.path == "/kling-ai-video/v1/generateVideoTask")
        #expect(request.headers["Cache-Control"] == "no-cache")
        let json = try body(request)
        #expect(Set(json.keys) == ["prompt", "negative_prompt", "cfg_scale", "aspect_ratio"])
        #expect(try PixazoWire().queryRequest(taskID: "t", kind: .text2video).path == "/kling-ai-polling/v1/getVideoStatus")
        let image = try PixazoWire().queryRequest(taskID: "t", kind: .image2video)
        #expect(image.path == "/kling-ai-polling/v1/getImageToVideoStatus")
        #expect(try body(image)["task_id"] as? String == "t")
    }

    @Test("AceData: action, model, integer duration, image URLs, retrieve by id")
    func aceData() throws {
        let request = try create(VideoJob(
            provider: .acedata, kind: .image2video, model: "kling-v1-6", mode: .pro, durationSeconds: 10,
            image: "https://x.test/a.png", imageTail: "https://x.test/b.png", callbackURL: "https://x.test/cb"))
        #expect(request.path == "/kling/videos")
        #expect(request.headers["accept"] == "application/json")
        let json = try body(request)
        #expect(json["action"] as? String == "image2video")
        #expect(json["model"] as? String == "kling-v1-6")
        #expect(json["duration"] as? Int == 10)
        #expect(json["start_image_url"] as? String == "https://x.test/a.png")
        #expect(json["end_image_url"] as? String == "https://x.test/b.png")
        #expect(json["callback_url"] as? String == "https://x.test/cb")
        let retrieve = try body(try AceDataWire().queryRequest(taskID: "t-1", kind: .image2video))
        #expect(retrieve["id"] as? String == "t-1")
        #expect(retrieve["action"] as? String == "retrieve")
    }
}
