import AsyncHTTPClient
import Foundation
import Gateway
import KlingCore
import KlingSandbox
import Ledger
import NIOCore
import NIOHTTP1
import Testing

/// Pixazo's and AceData's clients pointed at the gateway: the same requests, the same shapes
/// as the sandbox gives them directly, and refusals in each provider's own error shape.
@Suite("Gateway: Pixazo and AceData surfaces")
struct ResellerSurfaceTests {
    /// A request straight to the sandbox, as the provider's client sends it.
    static func direct(_ fixture: GatewayFixture, _ path: String, headers: [String: String], json: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: fixture.sandbox.baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (try JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func keys(_ object: Any?) -> [String] { ((object as? [String: Any]) ?? [:]).keys.sorted() }

    @Test("Pixazo: create with Ocp-Apim-Subscription-Key, poll getVideoStatus to the end; shapes as the sandbox's; charged once to the key's scope")
    func pixazo() async throws {
        try await GatewayFixture.with { fixture in
            let key = try fixture.issue(team: "ads", project: "spring")
            let header = [(name: "Ocp-Apim-Subscription-Key", value: key.apiKey)]
            let create = #"{"prompt":"a lighthouse at dusk","aspect_ratio":"16:9"}"#
            let created = try await fixture.send(.POST, "/kling-ai-video/v1/generateVideoTask", body: Data(create.utf8), authorization: nil, headers: header)
            #expect(created.status == 200, "\(created.text)")
            let taskID = try #require(created.data["task_id"] as? String)
            #expect(created.data["task_status"] as? String == "submitted")

            var answer = created
            for _ in 0..<50 where answer.data["task_status"] as? String != "succeed" {
                try await Task.sleep(for: .milliseconds(100))
                answer = try await fixture.send(
                    .POST, "/kling-ai-polling/v1/getVideoStatus", body: Data(#"{"task_id":"\#(taskID)"}"#.utf8), authorization: nil, headers: header)
            }
            #expect(answer.data["task_status"] as? String == "succeed")
            #expect(((answer.data["task_result"] as? [String: Any])?["video_url"] as? String)?.hasPrefix("http") == true)

            // The same calls straight to the sandbox give the same shapes.
            let providerKey = ["Ocp-Apim-Subscription-Key": fixture.sandbox.credentials.pixazoSubscriptionKey]
            let directCreate = try await Self.direct(fixture, "/kling-ai-video/v1/generateVideoTask", headers: providerKey, json: create)
            #expect(Self.keys(directCreate) == answer.json.keys.sorted())
            #expect(Self.keys(directCreate["data"]) == Self.keys(created.data))
            let directID = try #require((directCreate["data"] as? [String: Any])?["task_id"] as? String)
            try await Task.sleep(for: .milliseconds(400))
            let directStatus = try await Self.direct(fixture, "/kling-ai-polling/v1/getVideoStatus", headers: providerKey, json: #"{"task_id":"\#(directID)"}"#)
            #expect(Self.keys(directStatus["data"]) == Self.keys(answer.data))
            #expect(Self.keys((directStatus["data"] as? [String: Any])?["task_result"]) == Self.keys(answer.data["task_result"]))

            let record = try #require(try fixture.ledger().submission(providerTaskID: taskID, provider: .pixazo))
            #expect(record.state == .succeeded)
            #expect(record.team == "ads" && record.project == "spring")
            #expect(record.balance.charged == USD(micros: 350_000) && record.balance.held == .zero)
        }
    }

    @Test("Pixazo's errors: missing or unknown key 401, unknown field 400, budget 403, another team's task 404, image2video status not served — each {error}, nothing sent")
    func pixazoRefusals() async throws {
        try await GatewayFixture.with { fixture in
            let key = try fixture.issue(team: "ads")
            let header = [(name: "Ocp-Apim-Subscription-Key", value: key.apiKey)]
            let create = Data(#"{"prompt":"a lighthouse"}"#.utf8)
            let path = "/kling-ai-video/v1/generateVideoTask"

            let missing = try await fixture.send(.POST, path, body: create, authorization: nil)
            #expect(missing.status == 401)
            #expect((missing.json["error"] as? String)?.contains("Ocp-Apim-Subscription-Key") == true)
            let unknown = try await fixture.send(.POST, path, body: create, authorization: nil, headers: [(name: "Ocp-Apim-Subscription-Key", value: "kl_forged")])
            #expect(unknown.status == 401)
            #expect(unknown.json.keys.sorted() == ["error"])

            let extra = try await fixture.send(.POST, path, body: Data(#"{"prompt":"a","duration":"10"}"#.utf8), authorization: nil, headers: header)
            #expect(extra.status == 400)
            #expect((extra.json["error"] as? String)?.contains("duration") == true)

            _ = try fixture.ledger().setBudget(BudgetSpec(scope: .team("ads"), period: .month, limit: USD(micros: 100_000)))
            let refused = try await fixture.send(.POST, path, body: create, authorization: nil, headers: header)
            #expect(refused.status == 403)
            #expect((refused.json["error"] as? String)?.contains("remain") == true, "\(refused.text)")

            let i2v = try await fixture.send(
                .POST, "/kling-ai-polling/v1/getImageToVideoStatus", body: Data(#"{"task_id":"1"}"#.utf8), authorization: nil, headers: header)
            #expect(i2v.status == 404)
            #expect(i2v.json.keys.sorted() == ["error"])
            #expect(fixture.creates == 0 && fixture.sandbox.requests.isEmpty, "nothing reached the provider")

            // Another team's task is not found.
            let other = try fixture.issue(team: "films")
            let made = try await fixture.send(
                .POST, path, body: create, authorization: nil, headers: [(name: "Ocp-Apim-Subscription-Key", value: other.apiKey)])
            let othersTask = try #require(made.data["task_id"] as? String)
            let peek = try await fixture.send(
                .POST, "/kling-ai-polling/v1/getVideoStatus", body: Data(#"{"task_id":"\#(othersTask)"}"#.utf8), authorization: nil, headers: header)
            #expect(peek.status == 404)
            #expect(peek.json.keys.sorted() == ["error"])
        }
    }

    @Test("AceData: a create without callback_url answers when the video is done; retrieve answers {id, response}; shapes as the sandbox's")
    func aceDataBlocking() async throws {
        try await GatewayFixture.with { fixture in
            let key = try fixture.issue(team: "ads")
            let create = #"{"action":"text2video","model":"kling-v1","mode":"std","duration":5,"prompt":"a lighthouse"}"#
            let done = try await fixture.send(.POST, "/kling/videos", body: Data(create.utf8), authorization: "Bearer \(key.apiKey)")
            #expect(done.status == 200, "\(done.text)")
            #expect(done.json["state"] as? String == "succeed")
            #expect(done.json["success"] as? Bool == true)
            let taskID = try #require(done.json["task_id"] as? String)

            let token = ["Authorization": "Bearer \(fixture.sandbox.credentials.aceDataToken)"]
            let direct = try await Self.direct(fixture, "/kling/videos", headers: token, json: create)
            #expect(direct.keys.sorted() == done.json.keys.sorted())

            let retrieved = try await fixture.send(
                .POST, "/kling/tasks", body: Data(#"{"id":"\#(taskID)","action":"retrieve"}"#.utf8), authorization: "Bearer \(key.apiKey)")
            #expect(retrieved.status == 200)
            let directRetrieved = try await Self.direct(
                fixture, "/kling/tasks", headers: token, json: #"{"id":"\#(direct["task_id"] as? String ?? "")","action":"retrieve"}"#)
            #expect(directRetrieved.keys.sorted() == retrieved.json.keys.sorted())
            #expect(Self.keys(directRetrieved["response"]) == Self.keys(retrieved.json["response"]))

            let record = try #require(try fixture.ledger().submission(providerTaskID: taskID, provider: .acedata))
            #expect(record.state == .succeeded && record.balance.held == .zero && record.balance.charged > .zero)
        }
    }

    @Test("AceData: with callback_url the create answers {task_id} at once and the caller gets AceData's object once, after settlement; errors in AceData's shape")
    func aceDataCallbackAndRefusals() async throws {
        try await GatewayFixture.with(delay: .milliseconds(500), publicURL: true) { fixture in
            let key = try fixture.issue(team: "ads")
            let callback = fixture.sandbox.webhookURL("ace-caller")
            let create = #"{"action":"text2video","prompt":"a lighthouse","callback_url":"\#(callback)"}"#
            let accepted = try await fixture.send(.POST, "/kling/videos", body: Data(create.utf8), authorization: "Bearer \(key.apiKey)")
            #expect(accepted.status == 200)
            #expect(accepted.json.keys.sorted() == ["task_id"])
            let taskID = try #require(accepted.json["task_id"] as? String)

            var posts: [ReceivedWebhook] = []
            for _ in 0..<100 where !posts.contains(where: { Self.json(String(decoding: $0.body, as: UTF8.self))["state"] as? String == "succeed" }) {
                try await Task.sleep(for: .milliseconds(100))
                posts = fixture.sandbox.webhooks.filter { $0.name == "ace-caller" }
            }
            try await Task.sleep(for: .milliseconds(500))
            posts = fixture.sandbox.webhooks.filter { $0.name == "ace-caller" }
            let finals = posts.map { Self.json(String(decoding: $0.body, as: UTF8.self)) }.filter { $0["state"] as? String == "succeed" }
            #expect(finals.count == 1)
            #expect(finals.first?["task_id"] as? String == taskID)
            #expect(finals.first?["video_url"] is String)
            let record = try #require(try fixture.ledger().submission(providerTaskID: taskID, provider: .acedata))
            #expect(record.state == .succeeded && record.balance.held == .zero)
            #expect(fixture.sandbox.tasks.first { $0.taskID == taskID }?.callbackURL?.hasPrefix("http://127.0.0.1:\(fixture.port)/callbacks/acedata/") == true)

            let forged = try await fixture.send(.POST, "/kling/videos", body: Data(create.utf8), authorization: "Bearer not-a-key")
            #expect(forged.status == 401)
            #expect((forged.json["error"] as? [String: Any])?["code"] as? String == "invalid_token")
            #expect(forged.json["success"] as? Bool == false)
            let invalid = try await fixture.send(.POST, "/kling/videos", body: Data(#"{"action":"dance"}"#.utf8), authorization: "Bearer \(key.apiKey)")
            #expect(invalid.status == 400)
            #expect((invalid.json["error"] as? [String: Any])?["code"] as? String == "bad_request")
            _ = try fixture.ledger().setBudget(BudgetSpec(scope: .team("ads"), period: .month, limit: USD(micros: 1)))
            let creates = fixture.sandbox.tasks.count
            let refused = try await fixture.send(.POST, "/kling/videos", body: Data(create.utf8), authorization: "Bearer \(key.apiKey)")
            #expect(refused.status == 403)
            #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "insufficient_balance")
            #expect(fixture.sandbox.tasks.count == creates)
        }
    }
}
