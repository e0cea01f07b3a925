import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import Logging
import KlingCore
import KlingSandbox
import NIOCore
import NIOHTTP1
import Testing

/// The sandbox as a provider would behave, probed with plain HTTP requests written by hand.
@Suite("Sandbox protocol")
struct SandboxProtocolTests {
    // MARK: Official auth

    /// A JWT built here, independently of the client's signer.
    static func token(
        _ credentials: SandboxCredentials, notBefore: Int, expires: Int, secret: String? = nil, issuer: String? = nil
    ) -> String {
        func base64URL(_ data: some DataProtocol) -> String {
            Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let header = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = base64URL(Data(#"{"iss":"\#(issuer ?? credentials.klingAccessKey)","exp":\#(expires),"nbf":\#(notBefore)}"#.utf8))
        let key = SymmetricKey(data: Data((secret ?? credentials.klingSecretKey).utf8))
        let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(claims)".utf8), using: key)
        return "\(header).\(claims).\(base64URL(Data(signature)))"
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }

    @Test(
        "Official auth: each way a token can be wrong gets its documented code",
        arguments: [
            ("no Authorization header", nil, 1001),
            ("not a Bearer value", "Basic abc", 1002),
            ("not a JWT", "Bearer abc.def", 1002),
            ("signed with another secret", "wrong-secret", 1000),
            ("another issuer", "wrong-issuer", 1000),
            ("expired", "expired", 1004),
            ("not yet valid", "early", 1003),
        ] as [(String, String?, Int)])
    func officialAuthRefusals(_ name: String, _ variant: String?, _ code: Int) async throws {
        try await withRawSandbox { sandbox, credentials in
            let header: String? =
                switch variant {
                case "wrong-secret": "Bearer " + Self.token(credentials, notBefore: Self.now - 5, expires: Self.now + 1800, secret: "nope")
                case "wrong-issuer": "Bearer " + Self.token(credentials, notBefore: Self.now - 5, expires: Self.now + 1800, issuer: "someone")
                case "expired": "Bearer " + Self.token(credentials, notBefore: Self.now - 3600, expires: Self.now - 60)
                case "early": "Bearer " + Self.token(credentials, notBefore: Self.now + 600, expires: Self.now + 2400)
                default: variant
                }
            let answer = try await send(sandbox, "POST", "/v1/videos/text2video", authorization: header, json: #"{"prompt":"a fox"}"#)
            #expect(answer.status == 401)
            #expect(answer.json["code"] as? Int == code)
            #expect(sandbox.tasks.isEmpty)
        }
    }

    @Test("Official auth: a valid token and the static API key are both accepted")
    func officialAuthAccepted() async throws {
        try await withRawSandbox { sandbox, credentials in
            let jwt = "Bearer " + Self.token(credentials, notBefore: Self.now - 5, expires: Self.now + 1800)
            let signed = try await send(sandbox, "POST", "/v1/videos/text2video", authorization: jwt, json: #"{"prompt":"a fox"}"#)
            let keyed = try await send(
                sandbox, "POST", "/v1/videos/text2video", authorization: "Bearer \(credentials.klingAPIKey)", json: #"{"prompt":"a cat"}"#)
            #expect(signed.status == 200 && keyed.status == 200)
            #expect(sandbox.tasks.count == 2)
        }
    }

    // MARK: Resellers' auth

    @Test("Pixazo without its key header, AceData and KKIAI with a wrong token: 401 in each one's shape")
    func resellerAuth() async throws {
        try await withRawSandbox { sandbox, _ in
            let pixazo = try await send(sandbox, "POST", "/kling-ai-video/v1/generateVideoTask", json: #"{"prompt":"x"}"#)
            #expect(pixazo.status == 401)
            #expect((pixazo.json["error"] as? String)?.contains("missing subscription key") == true)
            let acedata = try await send(sandbox, "POST", "/kling/videos", authorization: "Bearer wrong", json: #"{"action":"text2video","prompt":"x"}"#)
            #expect(acedata.status == 401)
            #expect((acedata.json["error"] as? [String: Any])?["code"] as? String == "invalid_token")
            let kkiai = try await send(sandbox, "POST", "/kling/v1/videos/text2video", authorization: "Bearer wrong", json: "{}")
            #expect(kkiai.status == 401)
            #expect(sandbox.tasks.isEmpty)
        }
    }

    // MARK: Tasks

    @Test("A task moves submitted → processing → succeed and deducts the official units")
    func progression() async throws {
        // A second in each state, so a loaded machine's slow reads still see all three.
        try await withRawSandbox(delay: .seconds(3)) { sandbox, credentials in
            let auth = "Bearer \(credentials.klingAPIKey)"
            let created = try await send(
                sandbox, "POST", "/v1/videos/text2video", authorization: auth,
                json: #"{"model_name":"kling-v2-5-turbo","mode":"pro","duration":"10","prompt":"a fox"}"#)
            let id = try #require((created.json["data"] as? [String: Any])?["task_id"] as? String)
            // The create's answer is the first reading: on a loaded machine the first query may
            // come after the task's second as submitted.
            var seen: [String] = [(created.json["data"] as? [String: Any])?["task_status"] as? String ?? "none"]
            var data: [String: Any] = [:]
            for _ in 0..<80 where seen.last != "succeed" {
                data = try await send(sandbox, "GET", "/v1/videos/text2video/\(id)", authorization: auth).json["data"] as? [String: Any] ?? [:]
                if let state = data["task_status"] as? String, seen.last != state { seen.append(state) }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(seen == ["submitted", "processing", "succeed"])
            #expect(data["final_unit_deduction"] as? String == "5")
            #expect(sandbox.tasks.first?.deductedUnits(at: Date()) == Units("5"))
        }
    }

    @Test("external_task_id is unique per account: a second create with it is refused and creates nothing")
    func externalIDUnique() async throws {
        try await withRawSandbox { sandbox, credentials in
            let auth = "Bearer \(credentials.klingAPIKey)"
            let body = #"{"prompt":"a fox","external_task_id":"job-7"}"#
            let first = try await send(sandbox, "POST", "/v1/videos/text2video", authorization: auth, json: body)
            let second = try await send(sandbox, "POST", "/v1/videos/text2video", authorization: auth, json: body)
            #expect(first.status == 200)
            #expect(second.status == 400)
            #expect(second.json["code"] as? Int == 1201)
            #expect(sandbox.tasks.count == 1)
        }
    }

    @Test("Deduction records: one per succeeded task, none for a failed one, with cursor paging")
    func billingRecords() async throws {
        try await withRawSandbox(delay: .milliseconds(200)) { sandbox, credentials in
            let auth = "Bearer \(credentials.klingAPIKey)"
            sandbox.inject(.failTask(message: "content blocked"), provider: .kling)
            for prompt in ["a", "b", "c"] {
                _ = try await send(sandbox, "POST", "/v1/videos/text2video", authorization: auth, json: #"{"prompt":"\#(prompt)"}"#)
            }
            try await Task.sleep(for: .milliseconds(300))
            let window = #""start_time":0,"end_time":\#(Int64(Date().timeIntervalSince1970 * 1000) + 60_000)"#
            let page1 = try await send(sandbox, "POST", "/account/billing/package", authorization: auth, json: "{\(window),\"limit\":1}")
            let result1 = try #require((page1.json["data"] as? [String: Any])?["result"] as? [String: Any])
            let cursor = try #require(result1["next_cursor"] as? String)
            #expect(result1["has_more"] as? Bool == true && result1["count"] as? Int == 2)
            let page2 = try await send(
                sandbox, "POST", "/account/billing/package", authorization: auth, json: #"{"limit":1,"cursor":"\#(cursor)"}"#)
            let result2 = try #require((page2.json["data"] as? [String: Any])?["result"] as? [String: Any])
            let records = (result1["detail"] as? [[String: Any]] ?? []) + (result2["detail"] as? [[String: Any]] ?? [])
            #expect(records.map { $0["deduction_amount"] as? String } == ["1", "1"])
            #expect(records.map { $0["unit_after_deduction"] as? String } == ["9999", "9998"], "drawn from the standard pack")
            #expect(Set(records.compactMap { $0["task_id"] as? String }) == Set(sandbox.tasks.dropFirst().map(\.taskID)))
            #expect(result2["next_cursor"] is NSNull && result2["has_more"] as? Bool == false)
            let over = try await send(sandbox, "POST", "/account/billing/package", authorization: auth, json: "{\(window),\"limit\":501}")
            #expect(over.status == 400, "limit is at most 500")
        }
    }

    @Test("Callbacks: processing once, then the final state as many times as injected")
    func repeatedCallbacks() async throws {
        let received = Received()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            received.append(String(buffer: body))
            return .ok
        }
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let receiver = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: Logger(label: "receiver", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await receiver.run() }
        defer { running.cancel() }
        var port = 0
        for await value in started {
            port = value
            break
        }

        try await withRawSandbox(delay: .milliseconds(300)) { sandbox, credentials in
            sandbox.inject(.repeatCallbacks(3), provider: .kling)
            _ = try await send(
                sandbox, "POST", "/v1/videos/text2video", authorization: "Bearer \(credentials.klingAPIKey)",
                json: #"{"prompt":"a fox","callback_url":"http://127.0.0.1:\#(port)/hook"}"#)
            for _ in 0..<50 where received.all.count < 4 { try await Task.sleep(for: .milliseconds(100)) }
            let states = received.all.compactMap {
                ((try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any])?["task_status"] as? String
            }
            #expect(states == ["processing", "succeed", "succeed", "succeed"])
        }
    }

    @Test("Every request is counted, whatever its path")
    func counter() async throws {
        try await withRawSandbox { sandbox, _ in
            _ = try await send(sandbox, "GET", "/nowhere")
            _ = try await send(sandbox, "POST", "/kling/videos", json: "{}")
            #expect(sandbox.requests.map(\.path) == ["/nowhere", "/kling/videos"])
        }
    }
}

// MARK: Helpers

final class Received: Sendable {
    private let bodies = Mutex<[String]>([])
    func append(_ body: String) { bodies.withLock { $0.append(body) } }
    var all: [String] { bodies.withLock { $0 } }
}

import Synchronization

struct RawAnswer {
    let status: Int
    let json: [String: Any]
}

func withRawSandbox(
    delay: Duration = .milliseconds(500), _ body: (Sandbox, SandboxCredentials) async throws -> Void
) async throws {
    let credentials = SandboxCredentials.random()
    let sandbox = try await Sandbox.start(delay: delay, credentials: credentials)
    do {
        try await body(sandbox, credentials)
    } catch {
        await sandbox.stop()
        throw error
    }
    await sandbox.stop()
}

func send(
    _ sandbox: Sandbox, _ method: String, _ path: String, authorization: String? = nil, headers: [String: String] = [:], json: String? = nil
) async throws -> RawAnswer {
    var request = HTTPClientRequest(url: sandbox.baseURL + path)
    request.method = HTTPMethod(rawValue: method)
    if let authorization { request.headers.add(name: "Authorization", value: authorization) }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let json {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))  // generous: the machine runs every suite at once
    let body = try await response.body.collect(upTo: 1 << 20)
    let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    return RawAnswer(status: Int(response.status.code), json: object)
}
