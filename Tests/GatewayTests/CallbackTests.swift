import Foundation
import Gateway
import KlingAuth
import KlingCore
import KlingSandbox
import Ledger
import NIOHTTP1
import Testing

@Suite("Gateway callbacks")
struct GatewayCallbackTests {
    /// Waits until the sandbox's webhook inbox `name` holds a post of the final status, or 20 s
    /// have passed.
    static func postsUntilFinal(_ fixture: GatewayFixture, to name: String) async throws -> [ReceivedWebhook] {
        for _ in 0..<200 {
            let received = fixture.sandbox.webhooks.filter { $0.name == name }
            if received.contains(where: { status($0) == "succeed" || status($0) == "failed" }) { return received }
            try await Task.sleep(for: .milliseconds(100))
        }
        return fixture.sandbox.webhooks.filter { $0.name == name }
    }

    static func status(_ post: ReceivedWebhook) -> String? {
        ((try? JSONSerialization.jsonObject(with: post.body)) as? [String: Any])?["task_status"] as? String
    }

    @Test("With --public-url the provider calls the gateway, which re-reads and settles; the caller hears each status once, after settlement, signed with its key")
    func relayedOncePerStatus() async throws {
        // Processing from 1 s to 3 s: wide enough that the gateway's re-read of the processing
        // callback still sees it processing on a loaded machine.
        try await GatewayFixture.with(delay: .seconds(3), publicURL: true) { fixture in
            let key = try fixture.issue(team: "video")
            // The provider repeats its final callback three times; a caller must hear it once.
            fixture.sandbox.inject(.repeatCallbacks(3), provider: .kling)
            var body = cheapCreate
            body["callback_url"] = fixture.sandbox.webhookURL("caller")
            body["external_task_id"] = "clip-1"
            let created = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(key.apiKey)")
            #expect(created.status == 200, "\(created.text)")
            let taskID = try #require(created.data["task_id"] as? String)

            let posts = try await Self.postsUntilFinal(fixture, to: "caller")
            try await Task.sleep(for: .seconds(1))  // time for a duplicate to arrive, were one sent
            let all = fixture.sandbox.webhooks.filter { $0.name == "caller" }
            #expect(all.map(Self.status) == ["processing", "succeed"], "one post per status change, in order")
            #expect(posts.count == 2)

            // The settler never ran (its interval is an hour): the provider's callbacks, re-read, settled it.
            let record = try #require(try fixture.ledger().submission(providerTaskID: taskID, provider: .kling))
            #expect(record.state == .succeeded)
            #expect(record.balance.held == .zero)
            #expect(record.balance.charged == USD(micros: 140_000))
            #expect(record.relayedCallbackURL == fixture.sandbox.webhookURL("caller"))
            let final = try #require(all.last)
            #expect(record.updatedAt <= final.receivedAt, "the caller heard of the end only after the ledger settled it")
            let reads = fixture.sandbox.requests.filter { $0.method == "GET" && $0.path.hasSuffix("/\(taskID)") }
            #expect(reads.count >= 2, "each callback was re-read from the provider before anything was recorded")

            // The body is the official task object, with the caller's own external id.
            let object = try #require(try JSONSerialization.jsonObject(with: final.body) as? [String: Any])
            #expect(object["task_id"] as? String == taskID)
            #expect(object["final_unit_deduction"] as? String == "1")
            #expect((object["task_info"] as? [String: Any])?["external_task_id"] as? String == "clip-1")

            // Signed with the caller's secret key: it verifies, and a changed body does not.
            let signer = WebhookSignature(secret: key.secretKey)
            try signer.verify(
                id: final.headers["webhook-id"], timestamp: final.headers["webhook-timestamp"], signatures: final.headers["webhook-signature"],
                body: final.body)
            #expect(throws: WebhookSignature.Rejection.badSignature) {
                try signer.verify(
                    id: final.headers["webhook-id"], timestamp: final.headers["webhook-timestamp"],
                    signatures: final.headers["webhook-signature"], body: final.body + Data(" ".utf8))
            }
            var deliveries = try fixture.ledger().callbackDeliveries(ofSubmission: record.id)
            for _ in 0..<50 where !deliveries.allSatisfy({ $0.deliveredAt != nil }) {
                try await Task.sleep(for: .milliseconds(100))
                deliveries = try fixture.ledger().callbackDeliveries(ofSubmission: record.id)
            }
            #expect(deliveries.map(\.status) == [.processing, .succeeded])
            #expect(deliveries.allSatisfy { $0.deliveredAt != nil && $0.attempts == 1 })
        }
    }

    @Test("A callback with a forged or missing signature is refused 401 and reads nothing; an unknown submission is 404")
    func forgedCallbacks() async throws {
        try await GatewayFixture.with(delay: .seconds(30), publicURL: true) { fixture in
            let key = try fixture.issue()
            let created = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: "Bearer \(key.apiKey)")
            let submission = try #require(try fixture.ledger().submissions(limit: 10).first?.id)
            #expect(created.status == 200)
            let readsBefore = fixture.sandbox.requests.filter { $0.method == "GET" }.count

            let payload = Data(#"{"task_id":"x","task_status":"succeed","final_unit_deduction":"0"}"#.utf8)
            let forger = WebhookSignature(secret: "whsec_" + Data("not the provider's secret".utf8).base64EncodedString())
            for headers in [forger.headers(id: "w1", body: payload), []] {
                let answer = try await Self.postCallback(fixture, path: "/callbacks/kling/\(submission)", body: payload, headers: headers)
                #expect(answer.status == 401)
                #expect(answer.code == 1000)
            }
            // Signed by the provider but a day old: a replay.
            let provider = WebhookSignature(secret: fixture.sandbox.credentials.klingWebhookSecret)
            let stale = try await Self.postCallback(
                fixture, path: "/callbacks/kling/\(submission)", body: payload,
                headers: provider.headers(id: "w2", body: payload, at: Date().addingTimeInterval(-86_400)))
            #expect(stale.status == 401)
            #expect(fixture.sandbox.requests.filter { $0.method == "GET" }.count == readsBefore, "a refused callback reads nothing")
            #expect(try fixture.ledger().submission(id: submission)?.state == .submitted)

            let unknown = try await Self.postCallback(
                fixture, path: "/callbacks/kling/no-such-submission", body: payload, headers: provider.headers(id: "w3", body: payload))
            #expect(unknown.status == 404)
            #expect(unknown.code == 1203)
        }
    }

    @Test("Without --public-url the settler's reads drive the relay; a caller that is down gets the change on a retry, still in order")
    func relayedByPollingWithRetry() async throws {
        try await GatewayFixture.with(
            delay: .milliseconds(600), configuration: .init(port: 0, settleInterval: .seconds(1), relayInterval: .milliseconds(200))
        ) { fixture in
            let key = try fixture.issue()
            fixture.sandbox.takeWebhooksDown(forNext: 1)  // the caller's endpoint is down for the first post
            var body = cheapCreate
            body["callback_url"] = fixture.sandbox.webhookURL("caller")
            let created = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(key.apiKey)")
            #expect(created.status == 200)
            let record = try #require(try fixture.ledger().submissions(limit: 10).first)

            let posts = try await Self.postsUntilFinal(fixture, to: "caller")
            #expect(fixture.sandbox.refusedWebhooks == 1)
            // The settler reads once a second, so it may or may not have seen the task processing.
            let statuses = posts.map(Self.status)
            #expect(statuses == ["succeed"] || statuses == ["processing", "succeed"], "\(statuses)")
            // The relay records a delivery once the caller's answer is back: just after the post arrives.
            var deliveries = try fixture.ledger().callbackDeliveries(ofSubmission: record.id)
            for _ in 0..<50 where !deliveries.allSatisfy({ $0.deliveredAt != nil }) {
                try await Task.sleep(for: .milliseconds(100))
                deliveries = try fixture.ledger().callbackDeliveries(ofSubmission: record.id)
            }
            #expect(deliveries.allSatisfy { $0.deliveredAt != nil })
            #expect(deliveries.map(\.attempts).reduce(0, +) == deliveries.count + 1, "one retry, for the one refused post")
            // No callback address went to the provider: the gateway has none to give.
            #expect(fixture.sandbox.tasks.first?.callbackURL == nil)
        }
    }

    @Test("By default a callback_url inside the gateway's network (loopback, cloud metadata, private) is refused: 400 / 1201, nothing held or sent")
    func privateCallbacksRefused() async throws {
        try await GatewayFixture.with(allowPrivateCallbacks: false) { fixture in
            let key = try fixture.issue()
            for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://10.0.0.7/hook", "http://localhost/hook"] {
                var body = cheapCreate
                body["callback_url"] = url
                let answer = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(key.apiKey)")
                #expect(answer.status == 400 && answer.code == 1201, "\(url): \(answer.text)")
                #expect((answer.json["message"] as? String)?.contains("--allow-private-callbacks") == true)
            }
            #expect(fixture.creates == 0)
            #expect(try fixture.ledger().submissions().isEmpty, "nothing recorded, nothing held")
        }
    }

    static func postCallback(
        _ fixture: GatewayFixture, path: String, body: Data, headers: [(name: String, value: String)]
    ) async throws -> GatewayFixture.Answer {
        try await fixture.send(.POST, path, body: body, authorization: nil, headers: headers)
    }
}
