import Foundation
import KlingAPI
import KlingCore
import KlingSandbox
import Testing

/// Every provider and kind, created, polled and finished through the sandbox over real HTTP.
@Suite("Client against the sandbox over 127.0.0.1")
struct EndToEndTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let job: VideoJob
        /// What the provider reports it deducted, in official units.
        let units: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "official text2video, kling-v2-5-turbo pro 10 s, external id",
            job: VideoJob(provider: .kling, model: "kling-v2-5-turbo", mode: .pro, durationSeconds: 10, prompt: "a fox", externalTaskID: "ext-1"),
            units: "5"),
        Case(
            name: "official text2video, kling-v2-6 pro 5 s with sound",
            job: VideoJob(provider: .kling, model: "kling-v2-6", mode: .pro, sound: true, prompt: "rain on a roof"), units: "5"),
        Case(
            name: "official image2video, kling-v1 pro 5 s",
            job: VideoJob(provider: .kling, kind: .image2video, model: "kling-v1", mode: .pro, image: "https://img.test/a.png"),
            units: "3.5"),
        Case(name: "Pixazo text2video", job: VideoJob(provider: .pixazo, prompt: "a lighthouse"), units: nil),
        Case(
            name: "AceData text2video (blocking create)",
            job: VideoJob(provider: .acedata, model: "kling-v1-6", mode: .std, prompt: "a harbour"), units: nil),
        Case(
            name: "AceData image2video (blocking create)",
            job: VideoJob(provider: .acedata, kind: .image2video, model: "kling-v1", image: "https://img.test/b.png"), units: nil),
        Case(
            name: "KKIAI text2video",
            job: VideoJob(provider: .kkiai, model: "kling-v1-6", mode: .pro, durationSeconds: 10, prompt: "a glacier"), units: "7"),
    ]

    @Test("Created, polled through submitted and processing, succeeded: the snapshot field by field", arguments: cases)
    func roundTrip(_ example: Case) async throws {
        // Two seconds of processing: several reads fall inside it even on a loaded machine (one
        // second was missed while a build ran beside the tests).
        try await withSandbox(delay: .seconds(3)) { sandbox in
            let client = try client(example.job.provider, of: sandbox)
            let created = try await client.create(example.job)
            let states = Collected<TaskSnapshot.State>()
            let finished =
                created.state.isFinished
                ? created
                : try await client.waitUntilFinished(taskID: created.providerTaskID, kind: example.job.kind) { snapshot, _ in
                    states.append(snapshot.state)
                }

            let record = try #require(sandbox.tasks.only)
            #expect(record.provider == example.job.provider)
            #expect(record.kind == example.job.kind)
            #expect(record.durationSeconds == example.job.durationSeconds)
            #expect(record.sound == example.job.sound)
            // What was sent is the job with the provider's defaults filled in.
            let resolved = try example.job.validated()
            #expect(record.model == resolved.model)
            #expect(record.mode == resolved.mode)

            #expect(created.providerTaskID == record.taskID)
            #expect(finished.providerTaskID == record.taskID)
            #expect(finished.state == .succeeded)
            #expect(finished.failureMessage == nil)
            #expect(finished.externalTaskID == example.job.externalTaskID)
            #expect(finished.finalUnitDeduction == example.units)
            let video = try #require(finished.videos.only)
            #expect(video.url == "https://cdn.sandbox.invalid/videos/\(record.taskID).mp4")
            // Pixazo's text2video status has a bare URL: no id, no duration.
            #expect(video.duration == (example.job.provider == .pixazo ? nil : "\(example.job.durationSeconds).1"))
            if example.job.provider == .acedata {
                #expect(created.state == .succeeded, "AceData's blocking create answers with the finished task")
            } else {
                #expect(created.state == .submitted)
                #expect(states.all.contains(.processing), "the task was seen processing before it ended")
            }
        }
    }

    @Test("Official video-extend: the extension is billed as its original video")
    func officialExtend() async throws {
        try await withSandbox { sandbox in
            let client = try client(.kling, of: sandbox)
            let original = try await client.create(VideoJob(provider: .kling, model: "kling-v1", mode: .std, prompt: "a river"))
            let done = try await client.waitUntilFinished(taskID: original.providerTaskID, kind: .text2video)
            let videoID = try #require(done.videos.first?.id)
            let extend = VideoJob(provider: .kling, kind: .extend, model: "kling-v1", mode: .std, prompt: "further", videoID: videoID)
            let created = try await client.create(extend)
            let extended = try await client.waitUntilFinished(taskID: created.providerTaskID, kind: .extend)
            #expect(extended.state == .succeeded)
            #expect(extended.finalUnitDeduction == "1")
            #expect(sandbox.tasks.map(\.kind) == [.text2video, .extend])
        }
    }

    @Test("AceData with a callback URL answers {task_id} at once; the task is then read by id")
    func aceDataCallbackMode() async throws {
        try await withSandbox { sandbox in
            let client = try client(.acedata, of: sandbox)
            let job = VideoJob(provider: .acedata, kind: .extend, model: "kling-v1", videoID: "v-1", callbackURL: "\(sandbox.baseURL)/hook")
            let created = try await client.create(job)
            #expect(created.state == .submitted)
            #expect(created.videos.isEmpty)
            let finished = try await client.waitUntilFinished(taskID: created.providerTaskID, kind: .extend)
            #expect(finished.state == .succeeded)
            #expect(finished.videos.first?.id == "video-\(created.providerTaskID)")
        }
    }

    @Test("Official list and lookup by external_task_id")
    func listAndLookUp() async throws {
        try await withSandbox { sandbox in
            let client = try client(.kling, of: sandbox)
            for index in 1...3 {
                _ = try await client.create(VideoJob(provider: .kling, prompt: "shot \(index)", externalTaskID: "batch-\(index)"))
            }
            let listed = try await client.list(kind: .text2video, page: 1, pageSize: 2)
            #expect(listed.map(\.externalTaskID) == ["batch-3", "batch-2"])
            guard case .found(let found) = try await client.lookUp(externalTaskID: "batch-1", kind: .text2video) else {
                Issue.record("batch-1 was not found")
                return
            }
            #expect(found.providerTaskID == sandbox.tasks.first?.taskID)
            #expect(try await client.lookUp(externalTaskID: "never-sent", kind: .text2video) == .absent)
            let pixazo = try await self.client(.pixazo, of: sandbox).lookUp(externalTaskID: "batch-1", kind: .text2video)
            guard case .cannotTell = pixazo else {
                Issue.record("Pixazo cannot look tasks up by the caller's id, but answered \(pixazo)")
                return
            }
        }
    }

    private func client(_ provider: Provider, of sandbox: Sandbox) throws -> KlingClient {
        try KlingAPITests.client(provider, of: sandbox)
    }
}

extension Collection {
    /// The single element, or `nil` when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
