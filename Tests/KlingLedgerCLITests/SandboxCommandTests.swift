import Foundation
import KlingSandbox
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("kling-ledger sandbox")
struct SandboxCommandTests {
    @Test("Prints the variables that point every provider at it, on the port it chose, and keeps running")
    func printsEnvironment() async throws {
        try withRunningCLI(["sandbox", "--delay", "1"], until: "Press Ctrl-C") { output in
            let exports = output.split(separator: "\n").filter { $0.hasPrefix("export ") }
            let names = exports.compactMap { $0.dropFirst("export ".count).split(separator: "=").first.map(String.init) }
            #expect(names.sorted() == [
                "ACEDATA_API_TOKEN", "ACEDATA_BASE_URL", "ACEDATA_CALLBACK_URL", "KKIAI_API_KEY", "KKIAI_BASE_URL", "KLING_ACCESS_KEY", "KLING_BASE_URL",
                "KLING_SECRET_KEY", "KLING_WEBHOOK_SECRET", "PIXAZO_BASE_URL", "PIXAZO_SUBSCRIPTION_KEY",
            ])
            let base = try #require(exports.first { $0.hasPrefix("export KLING_BASE_URL=") }?.split(separator: "=").last)
            #expect(base.hasPrefix("http://127.0.0.1:"))
            #expect(Int(base.split(separator: ":").last ?? "") ?? 0 > 0, "an OS-chosen port")
            #expect(output.contains("tasks finish after 1 s"))
        }
    }

    @Test("An impossible port is a usage error")
    func badPort() async throws {
        let result = try await runCLI(["sandbox", "--port", "70000"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--port must be between 0 and 65535"))
    }

    @Test("--fault kling:create:busy is listed at start, then refuses one create with 1303; the next one succeeds")
    func injectsFault() async throws {
        try withRunningCLI(["sandbox", "--delay", "1", "--fault", "kling:create:busy"], until: "Press Ctrl-C") { output in
            #expect(output.contains("kling:create:busy: the next kling create is refused with code 1303"), "\(output)")
            let base = try #require(Self.baseURL(in: output))
            let create = { try Self.request("POST", base + "/v1/videos/text2video", json: #"{"prompt":"a fox"}"#) }
            let refused = try create()
            #expect(refused.status == 429)
            #expect(refused.json["code"] as? Int == 1303)
            let accepted = try create()
            #expect(accepted.status == 200)
            #expect(accepted.json["code"] as? Int == 0)
        }
    }

    @Test("A --fault that does not follow the syntax is a usage error naming the syntax, with an example")
    func badFault() async throws {
        let result = try await runCLI(["sandbox", "--fault", "nonsense"])
        #expect(result.status == 64)
        #expect(result.stderr.contains(#"--fault "nonsense""#), "\(result.stderr)")
        #expect(result.stderr.contains("PROVIDER:OPERATION:FAULT[:ARG]"))
        #expect(result.stderr.contains("kling:create:busy"))
        let unknown = try await runCLI(["sandbox", "--fault", "kling:create:explode"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains(#"unknown fault "explode""#), "\(unknown.stderr)")
    }

    @Test("--help documents the fault syntax and the state file, with examples")
    func help() async throws {
        let result = try await runCLI(["sandbox", "--help"])
        #expect(result.status == 0)
        for text in ["--fault <fault>", "PROVIDER:OPERATION:FAULT[:ARG]", "slow:SECONDS", "forget", "--fault kling:create:busy", "--state <file>"] {
            #expect(result.stdout.contains(text), "\(text)")
        }
    }

    @Test("--state: a task created before the sandbox restarts is still found after it")
    func stateFile() async throws {
        try await withFolder([:]) { folder in
            let file = folder.appendingPathComponent("state.json").path
            let id = try withRunningCLI(["sandbox", "--delay", "1", "--state", file], until: "Press Ctrl-C") { output in
                #expect(output.contains("Tasks are kept in \(file) (0 loaded)"), "\(output)")
                let base = try #require(Self.baseURL(in: output))
                let created = try Self.request("POST", base + "/v1/videos/text2video", json: #"{"prompt":"a fox"}"#)
                return try #require((created.json["data"] as? [String: Any])?["task_id"] as? String)
            }
            try withRunningCLI(["sandbox", "--delay", "1", "--state", file], until: "Press Ctrl-C") { output in
                #expect(output.contains("(1 loaded)"), "\(output)")
                let base = try #require(Self.baseURL(in: output))
                let found = try Self.request("GET", base + "/v1/videos/text2video/\(id)")
                #expect(found.status == 200)
                #expect((found.json["data"] as? [String: Any])?["task_id"] as? String == id)
            }
        }
    }

    // MARK: Helpers

    /// The address in the startup text's `export KLING_BASE_URL=` line.
    static func baseURL(in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("export KLING_BASE_URL=") }.map { String($0.dropFirst("export KLING_BASE_URL=".count)) }
    }

    /// One request to the official API with the standard sandbox key, waited for. Blocking is
    /// harmless here: the sandbox answers from its own process.
    static func request(_ method: String, _ url: String, json: String? = nil) throws -> (status: Int, json: [String: Any]) {
        var request = URLRequest(url: try #require(URL(string: url)), timeoutInterval: 10)
        request.httpMethod = method
        request.setValue("Bearer \(SandboxCredentials.standard.klingAPIKey)", forHTTPHeaderField: "Authorization")
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        let reply = Reply()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            reply.outcome.withLock { $0 = error.map { .failure($0) } ?? .success((status, data ?? Data())) }
            done.signal()
        }.resume()
        done.wait()
        let (status, body) = try #require(reply.outcome.withLock { $0 }).get()
        return (status, (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:])
    }
}

/// What a URLSession completion handler hands back to the waiting test.
private final class Reply: Sendable {
    let outcome = Mutex<Result<(Int, Data), any Error>?>(nil)
}
