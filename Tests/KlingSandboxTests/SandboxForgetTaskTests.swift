import Foundation
import KlingCore
import KlingSandbox
import Testing

/// The `forgetTask` fault: a provider that loses track of a task it is working on.
@Suite("Sandbox forgetTask fault")
struct SandboxForgetTaskTests {
    static let officialBody = #"{"model_name":"kling-v1","mode":"std","duration":"5","multi_shot":false,"prompt":"a fox"}"#

    /// Queries `path` until the task is processing, or gives up after eight seconds. The task's
    /// processing window (2 s to 6 s after creation with a 6 s delay) is wide enough that a busy
    /// CI machine polling every 100 ms cannot step over it.
    static func waitUntilProcessing(_ sandbox: Sandbox, _ path: String, authorization: String) async throws -> String? {
        var status: String?
        for _ in 0..<80 where status != "processing" {
            try await Task.sleep(for: .milliseconds(100))
            let answer = try await send(sandbox, "GET", path, authorization: authorization)
            status = (answer.json["data"] as? [String: Any])?["task_status"] as? String
        }
        return status
    }

    @Test("Official API and KKIAI: a processing task, once forgotten, is 404 with code 1203 on every later query", arguments: [Provider.kling, .kkiai])
    func officialEnvelope(_ provider: Provider) async throws {
        try await withRawSandbox(delay: .seconds(6)) { sandbox, credentials in
            let prefix = provider == .kkiai ? "/kling" : ""
            let auth = "Bearer " + (provider == .kkiai ? credentials.kkiaiKey : credentials.klingAPIKey)
            let created = try await send(sandbox, "POST", "\(prefix)/v1/videos/text2video", authorization: auth, json: Self.officialBody)
            let id = try #require((created.json["data"] as? [String: Any])?["task_id"] as? String)
            let path = "\(prefix)/v1/videos/text2video/\(id)"
            #expect(try await Self.waitUntilProcessing(sandbox, path, authorization: auth) == "processing")

            sandbox.inject(.forgetTask, provider: provider, on: .query)
            for _ in 0..<2 {
                let answer = try await send(sandbox, "GET", path, authorization: auth)
                #expect(answer.status == 404)
                #expect(answer.json["code"] as? Int == 1203)
                #expect((answer.json["message"] as? String)?.contains(id) == true)
            }
            #expect(sandbox.tasks.map(\.taskID) == [id], "the provider still ran the task it forgot")
        }
    }

    @Test("Only the task queried is forgotten, by id and by external id; another provider's tasks are untouched")
    func onlyThatTask() async throws {
        try await withRawSandbox(delay: .seconds(5)) { sandbox, credentials in
            let official = "Bearer \(credentials.klingAPIKey)"
            let kkiai = "Bearer \(credentials.kkiaiKey)"
            var ids: [String] = []
            for external in ["job-1", "job-2"] {
                let created = try await send(
                    sandbox, "POST", "/v1/videos/text2video", authorization: official,
                    json: #"{"prompt":"a fox","external_task_id":"\#(external)"}"#)
                ids.append(try #require((created.json["data"] as? [String: Any])?["task_id"] as? String))
            }
            let resold = try await send(sandbox, "POST", "/kling/v1/videos/text2video", authorization: kkiai, json: Self.officialBody)
            let resoldID = try #require((resold.json["data"] as? [String: Any])?["task_id"] as? String)

            sandbox.inject(.forgetTask, provider: .kling, on: .query)
            #expect(try await send(sandbox, "GET", "/v1/videos/text2video/\(ids[0])", authorization: official).status == 404)
            #expect(try await send(sandbox, "GET", "/v1/videos/text2video/job-1", authorization: official).status == 404)
            #expect(try await send(sandbox, "GET", "/v1/videos/text2video/\(ids[1])", authorization: official).status == 200)
            #expect(try await send(sandbox, "GET", "/kling/v1/videos/text2video/\(resoldID)", authorization: kkiai).status == 200)
        }
    }

    @Test("Pixazo answers 404 {error}, AceData 404 {success: false, error.code: not_found}")
    func resellerShapes() async throws {
        try await withRawSandbox(delay: .seconds(5)) { sandbox, credentials in
            let key = ["Ocp-Apim-Subscription-Key": credentials.pixazoSubscriptionKey]
            let pixazoCreated = try await send(
                sandbox, "POST", "/kling-ai-video/v1/generateVideoTask", headers: key, json: #"{"prompt":"a fox"}"#)
            let pixazoID = try #require((pixazoCreated.json["data"] as? [String: Any])?["task_id"] as? String)
            let pixazoQuery = #"{"task_id":"\#(pixazoID)"}"#
            #expect(try await send(sandbox, "POST", "/kling-ai-polling/v1/getVideoStatus", headers: key, json: pixazoQuery).status == 200)
            sandbox.inject(.forgetTask, provider: .pixazo, on: .query)
            let pixazo = try await send(sandbox, "POST", "/kling-ai-polling/v1/getVideoStatus", headers: key, json: pixazoQuery)
            #expect(pixazo.status == 404)
            #expect((pixazo.json["error"] as? String)?.lowercased() == "task not found")

            let token = "Bearer \(credentials.aceDataToken)"
            // With a callback address the create answers at once instead of blocking until the video is done.
            let aceCreated = try await send(
                sandbox, "POST", "/kling/videos", authorization: token,
                json: #"{"action":"text2video","prompt":"a fox","callback_url":"http://127.0.0.1:9/hook"}"#)
            let aceID = try #require(aceCreated.json["task_id"] as? String)
            let aceQuery = #"{"id":"\#(aceID)","action":"retrieve"}"#
            #expect(try await send(sandbox, "POST", "/kling/tasks", authorization: token, json: aceQuery).status == 200)
            sandbox.inject(.forgetTask, provider: .acedata, on: .query)
            let acedata = try await send(sandbox, "POST", "/kling/tasks", authorization: token, json: aceQuery)
            #expect(acedata.status == 404)
            #expect(acedata.json["success"] as? Bool == false)
            #expect((acedata.json["error"] as? [String: Any])?["code"] as? String == "not_found")
        }
    }
}
