import Foundation
import Gateway
import KlingCore
import KlingSandbox
import Ledger
import NIOHTTP1
import Testing

@Suite("Gateway: the official API through the gate")
struct GatewayTests {
    @Test("a create is held, sent, and settled when its caller queries it; list shows it; the ledger records it once, to the key's scope")
    func createQueryList() async throws {
        try await GatewayFixture.with { fixture in
            let key = try fixture.issue(team: "video", project: "ads")
            let auth = "Bearer " + klingJWT(accessKey: key.key.accessKey, secretKey: key.secretKey)
            var body = cheapCreate
            body["external_task_id"] = "shot-1"
            let created = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: auth)
            #expect(created.status == 200 && created.code == 0, "\(created.text)")
            let taskID = try #require(created.data["task_id"] as? String)
            #expect((created.data["task_info"] as? [String: Any])?["external_task_id"] as? String == "shot-1")
            #expect(fixture.creates == 1)

            try await Task.sleep(for: .milliseconds(600))  // the sandbox finishes it; the settler is not due for an hour
            let queried = try await fixture.send(.GET, "/v1/videos/text2video/shot-1", authorization: auth)
            #expect(queried.data["task_status"] as? String == "succeed" && queried.data["final_unit_deduction"] as? String == "1", "\(queried.text)")
            let record = try #require(try fixture.ledger().submission(providerTaskID: taskID, provider: .kling))
            #expect(record.state == .succeeded && record.balance.charged == USD(micros: 140_000) && record.balance.held == .zero)
            #expect(record.team == "video" && record.project == "ads" && record.user == nil && record.tags["gateway_key"] == key.key.id)

            let byID = try await fixture.send(.GET, "/v1/videos/text2video/\(taskID)", authorization: "Bearer \(key.apiKey)")
            #expect(byID.data["task_id"] as? String == taskID)
            let list = try await fixture.send(.GET, "/v1/videos/text2video?pageNum=1&pageSize=10", authorization: "Bearer \(key.apiKey)")
            let tasks = try #require(list.json["data"] as? [[String: Any]])
            #expect(tasks.map { $0["task_id"] as? String } == [taskID])

            // The same external id again is the same task: nothing sent twice.
            let again = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: auth)
            #expect(again.data["task_id"] as? String == taskID && fixture.creates == 1)
            var other = body
            other["prompt"] = "another video"
            let reused = try await fixture.send(.POST, "/v1/videos/text2video", json: other, authorization: auth)
            #expect(reused.status == 400 && reused.code == 1201 && reused.text.contains("external_task_id") && fixture.creates == 1)
        }
    }

    @Test("missing, malformed, unknown, forged, expired, not-yet-valid, revoked and expired-key credentials get 401 with Kling's codes")
    func credentials() async throws {
        try await GatewayFixture.with { fixture in
            let key = try fixture.issue()
            let revoked = try fixture.issue()
            _ = try fixture.ledger().revokeGatewayKey(id: revoked.key.id)
            let lapsed = try fixture.issue(expiresAt: Date().addingTimeInterval(-1))
            let cases: [(String?, Int)] = [
                (nil, 1001), ("Basic abc", 1002), ("Bearer kl_not-a-key-we-issued", 1000),
                ("Bearer " + klingJWT(accessKey: key.key.accessKey, secretKey: "sk_forged"), 1000),
                ("Bearer " + klingJWT(accessKey: "ak_unknown", secretKey: key.secretKey), 1000),
                ("Bearer " + klingJWT(accessKey: key.key.accessKey, secretKey: key.secretKey, now: Date().addingTimeInterval(-3600)), 1004),
                ("Bearer " + klingJWT(accessKey: key.key.accessKey, secretKey: key.secretKey, notBefore: 600), 1003),
                ("Bearer \(revoked.apiKey)", 1000),
                ("Bearer " + klingJWT(accessKey: revoked.key.accessKey, secretKey: revoked.secretKey), 1000),
                ("Bearer \(lapsed.apiKey)", 1004),
            ]
            for (authorization, code) in cases {
                let answer = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: authorization)
                #expect(answer.status == 401 && answer.code == code, "\(authorization ?? "no header"): \(answer.text)")
            }
            #expect(fixture.creates == 0)
            #expect(try fixture.ledger().submissions().isEmpty)
            let good = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: "Bearer \(key.apiKey)")
            #expect(good.status == 200)
        }
    }

    @Test("a key sees only its scope's tasks: another team's task id is not found, lists hold only one's own, external ids do not collide")
    func isolation() async throws {
        try await GatewayFixture.with { fixture in
            let alice = try fixture.issue(team: "studio")
            let bob = try fixture.issue(team: "ads")
            var body = cheapCreate
            body["external_task_id"] = "same-id"
            let a = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(alice.apiKey)")
            let b = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(bob.apiKey)")
            let aTask = try #require(a.data["task_id"] as? String)
            let bTask = try #require(b.data["task_id"] as? String)
            #expect(aTask != bTask && fixture.creates == 2)

            let peek = try await fixture.send(.GET, "/v1/videos/text2video/\(aTask)", authorization: "Bearer \(bob.apiKey)")
            #expect(peek.status == 404 && peek.code == 1203 && !peek.text.contains("studio"), "\(peek.text)")
            let own = try await fixture.send(.GET, "/v1/videos/text2video/same-id", authorization: "Bearer \(bob.apiKey)")
            #expect(own.data["task_id"] as? String == bTask)
            let list = try await fixture.send(.GET, "/v1/videos/text2video", authorization: "Bearer \(bob.apiKey)")
            #expect((list.json["data"] as? [[String: Any]])?.compactMap { $0["task_id"] as? String } == [bTask])

            // Extending is for one's own videos: their model prices the extension.
            try await Task.sleep(for: .milliseconds(500))
            _ = try await fixture.send(.GET, "/v1/videos/text2video/\(aTask)", authorization: "Bearer \(alice.apiKey)")
            let video = try #require(try fixture.ledger().submission(providerTaskID: aTask, provider: .kling)?.videoIDs.first)
            let stolen = try await fixture.send(
                .POST, "/v1/videos/video-extend", json: ["video_id": video, "prompt": "more"], authorization: "Bearer \(bob.apiKey)")
            #expect(stolen.status == 400 && stolen.code == 1201, "\(stolen.text)")
            let extended = try await fixture.send(
                .POST, "/v1/videos/video-extend", json: ["video_id": video, "prompt": "more"], authorization: "Bearer \(alice.apiKey)")
            #expect(extended.status == 200, "\(extended.text)")
            let extensionTask = try #require(extended.data["task_id"] as? String)
            let record = try #require(try fixture.ledger().submission(providerTaskID: extensionTask, provider: .kling))
            #expect(record.job.model == "kling-v1" && record.job.mode == .std && record.team == "studio")
        }
    }

    @Test("32 concurrent creates from 4 keys of one team against a hard budget that fits K: exactly K reach the provider")
    func noOverspend() async throws {
        let fits = 5
        try await GatewayFixture.with { fixture in
            _ = try fixture.ledger().setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 140_000 * Int64(fits))))
            let keys = try (0..<4).map { _ in try fixture.issue(team: "video") }
            let statuses = try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
                for index in 0..<32 {
                    let key = keys[index % 4]
                    group.addTask {
                        var body = cheapCreate
                        body["prompt"] = "video \(index)"
                        let answer = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(key.apiKey)")
                        return (answer.status, answer.code)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 200 }.count == fits)
            #expect(statuses.filter { $0 == (403, 1103) }.count == 32 - fits)
            #expect(fixture.creates == fits)
            let budget = try #require(try fixture.ledger().budgets().first)
            #expect(budget.used <= budget.spec.limit && budget.used == USD(micros: 140_000 * Int64(fits)))
        }
    }

    @Test("bad requests are refused as Kling refuses them and cost nothing: no row, no hold, no call")
    func refusalsCostNothing() async throws {
        try await GatewayFixture.with(configuration: .init(port: 0, maxBodyBytes: 4096, settleInterval: .seconds(3600))) { fixture in
            let key = "Bearer " + (try fixture.issue().apiKey)
            var badMode = cheapCreate
            badMode["mode"] = "ultra"
            var unknownField = cheapCreate
            unknownField["static_mask"] = "https://example.invalid/mask.png"
            var badDuration = cheapCreate
            badDuration["duration"] = 5
            var noPrompt = cheapCreate
            noPrompt["prompt"] = nil
            var textScale = cheapCreate
            textScale["cfg_scale"] = "0.5"
            var badAxis = cheapCreate
            badAxis["camera_control"] = ["type": "simple", "config": ["zoom": true]]
            var badWatermark = cheapCreate
            badWatermark["watermark_info"] = ["enabled": "yes"]
            let twice = Data(#"{"model_name":"kling-v1","prompt":"a cat","prompt":"a dog","duration":"5"}"#.utf8)
            let cases: [(String, [String: Any]?, Data?, Int, Int, String)] = [
                ("/v1/videos/text2video", textScale, nil, 400, 1201, "cfg_scale: must be a number, not a string"),
                ("/v1/videos/text2video", badAxis, nil, 400, 1201, "camera_control.config.zoom: must be a number"),
                ("/v1/videos/text2video", badWatermark, nil, 400, 1201, "watermark_info"),
                ("/v1/videos/text2video", nil, twice, 400, 1200, "appears twice"),
                ("/v1/videos/text2video", nil, Data("[1, 2]".utf8), 400, 1200, "an array, not a JSON object"),
                ("/v1/videos/text2video", badMode, nil, 400, 1201, "mode"),
                ("/v1/videos/text2video", unknownField, nil, 400, 1201, "static_mask"),
                ("/v1/videos/text2video", badDuration, nil, 400, 1201, "duration"),
                ("/v1/videos/text2video", noPrompt, nil, 400, 1201, "prompt"),
                ("/v1/videos/text2video", nil, Data("not json".utf8), 400, 1200, "JSON"),
                ("/v1/videos/image2video", ["image": String(repeating: "A", count: 8192)], nil, 400, 1200, "larger"),
                ("/v1/videos/lip-sync", cheapCreate, nil, 404, 1202, "does not serve"),
                ("/v1/images/generations", cheapCreate, nil, 404, 1202, "does not serve"),
            ]
            for (path, json, body, status, code, words) in cases {
                let answer = try await fixture.send(.POST, path, json: json, body: body, authorization: key)
                #expect(answer.status == status && answer.code == code && answer.text.contains(words), "\(path): \(answer.text)")
                #expect(answer.json["request_id"] is String)
            }
            #expect(fixture.creates == 0)
            #expect(try fixture.ledger().submissions().isEmpty)
        }
    }

    @Test("one key over its in-flight limit is refused with 1302 (HTTP 429) while another key is served")
    func perKeyLimit() async throws {
        try await GatewayFixture.with(configuration: .init(port: 0, maxInFlightPerKey: 1, settleInterval: .seconds(3600))) { fixture in
            let greedy = "Bearer " + (try fixture.issue(team: "greedy").apiKey)
            let other = "Bearer " + (try fixture.issue(team: "other").apiKey)
            fixture.sandbox.inject(.slowAnswer(.seconds(1)), provider: .kling, on: .create)
            async let slow = fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: greedy)
            try await Task.sleep(for: .milliseconds(300))
            let refused = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: greedy)
            let served = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: other)
            #expect(refused.status == 429 && refused.code == 1302, "\(refused.text)")
            #expect(served.status == 200)
            #expect(try await slow.status == 200)
        }
    }

    @Test("no credential reaches the ledger, the log or the metrics")
    func secretsStayOut() async throws {
        try await GatewayFixture.with { fixture in
            let key = try fixture.issue()
            let jwt = klingJWT(accessKey: key.key.accessKey, secretKey: key.secretKey)
            _ = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: "Bearer \(jwt)")
            _ = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: "Bearer \(key.apiKey)")
            _ = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: "Bearer \(key.apiKey)x")
            let metrics = try await fixture.send(.GET, "/metrics", authorization: nil)
            #expect(metrics.status == 200 && metrics.text.contains("kling_ledger_gateway_requests_total"))
            var stored = Data()
            for suffix in ["", "-wal"] {
                stored += (try? Data(contentsOf: URL(fileURLWithPath: fixture.ledgerPath + suffix))) ?? Data()
            }
            let credentials = fixture.sandbox.credentials
            let secrets = [
                key.secretKey, key.apiKey, jwt, fixture.secretText, credentials.klingSecretKey, credentials.klingAPIKey, credentials.kkiaiKey,
            ]
            let logs = fixture.logs.text
            #expect(logs.contains("request_id"))  // the log was captured at all
            for secret in secrets {
                #expect(stored.range(of: Data(secret.utf8)) == nil, "a secret is in the ledger")
                #expect(!logs.contains(secret), "a secret is in the log")
                #expect(!metrics.text.contains(secret), "a secret is in the metrics")
            }
            #expect(!logs.contains("a fox in the snow"), "a prompt is in the log")
        }
    }
}

@Suite("Gateway keys' digests")
struct GatewayKeyDigestTests {
    @Test("A static key is kept as its SHA-256 in lowercase hex (the FIPS 180-2 test vectors)")
    func digest() {
        #expect(GatewaySecret.digest(apiKey: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(GatewaySecret.digest(apiKey: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
