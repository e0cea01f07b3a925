import AsyncHTTPClient
import Foundation
import KlingCore
import KlingSandbox
import Ledger
import LedgerTestSupport
import NIOCore
import NIOHTTP1
import Testing

/// One PostgreSQL ledger shared by several gateways, as on several machines: each process has
/// its own connections, and only the database keeps them consistent.
@Suite("Shared ledger across machines", .serialized)
struct SharedLedgerProcessTests {
    static let secret = "shared-ledger-test-secret-0123456789abcdef-0123"

    @Test(
        "4 machines × 2 gateway processes, 8 concurrent creates each, on one PostgreSQL ledger with a hard budget that fits 13: exactly 13 accepted, 13 created at the provider, never over the limit",
        .needsPostgres)
    func noOverspendAcrossMachines() async throws {
        let fits = 13
        let sandbox = try await Sandbox.start(delay: .seconds(30), credentials: .random())
        defer { Task { await sandbox.stop() } }
        try await LedgerBackend.postgres.withScratchLocation { url in
            let environment = sandbox.environment.merging(["KLING_LEDGER_DB": url, "KLING_LEDGER_GATEWAY_SECRET": Self.secret]) { $1 }
            let budget = try await runCLI(
                ["budget", "set", "--team", "video", "--period", "month", "--limit", USD(micros: 140_000 * Int64(fits)).decimalString,
                 "--enforcement", "hard"], environment: environment)
            #expect(budget.status == 0, "\(budget.stderr)")
            var keys: [String] = []
            for machine in 0..<4 {
                let issued = try await runCLI(["keys", "create", "--team", "video", "--user", "machine-\(machine)", "--json"], environment: environment)
                keys.append(try #require(issued.json?["api_key"] as? String, "\(issued.stderr)"))
            }
            // Two gateway processes per machine, each with its machine's key.
            var gateways: [(Served, String)] = []
            for machine in 0..<4 {
                for _ in 0..<2 { gateways.append((try await Served.start(environment: environment), keys[machine])) }
            }

            // Eight concurrent creates at each gateway, all at once.
            let statuses = await withTaskGroup(of: (Int, Int?).self) { group in
                for (served, key) in gateways {
                    for index in 0..<8 {
                        group.addTask {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(served.port)/v1/videos/text2video")
                            request.method = .POST
                            request.headers.add(name: "Authorization", value: "Bearer \(key)")
                            request.headers.add(name: "Content-Type", value: "application/json")
                            request.body = .bytes(ByteBuffer(string: #"{"model_name":"kling-v1","mode":"std","duration":"5","prompt":"job \#(index)"}"#))
                            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(60)),
                                let body = try? await response.body.collect(upTo: 1 << 20)
                            else { return (0, nil) }
                            let code = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["code"] as? Int
                            return (Int(response.status.code), code)
                        }
                    }
                }
                var statuses: [(Int, Int?)] = []
                for await status in group { statuses.append(status) }
                return statuses
            }
            for (served, _) in gateways { _ = try await served.terminate() }

            #expect(statuses.count == 64)
            #expect(statuses.filter { $0.0 == 200 }.count == fits, "accepted: \(statuses.filter { $0.0 == 200 }.count)")
            #expect(statuses.filter { $0.0 == 403 && $0.1 == 1103 }.count == 64 - fits, "everything else refused by the budget")
            #expect(sandbox.tasks.count == fits, "the provider saw exactly the accepted creates")
            let ledger = try Ledger(path: url, access: .read)
            let status = try #require(try ledger.budgets().first)
            #expect(status.charged.micros + status.held.micros == 140_000 * Int64(fits))
            #expect(status.charged.micros + status.held.micros <= status.spec.limit.micros, "charged + held never above the limit")
            let accepted = try ledger.submissions().filter { $0.state != .rejected }
            #expect(accepted.count == fits)
            #expect(Set(accepted.compactMap(\.providerTaskID)) == Set(sandbox.tasks.map(\.taskID)))
        }
    }

    /// A restarted database server (or a failover) ends every session; the gateway must go on
    /// without a restart of its own. `pg_terminate_backend` ends them as a shutdown does.
    @Test(
        "A gateway on PostgreSQL goes on serving after the server ended all its sessions: health, creates and queries, each create recorded once",
        .needsPostgres)
    func gatewayOutlivesServerSessions() async throws {
        let sandbox = try await Sandbox.start(delay: .milliseconds(200), credentials: .random())
        defer { Task { await sandbox.stop() } }
        try await LedgerBackend.postgres.withScratchLocation { url in
            let environment = sandbox.environment.merging(["KLING_LEDGER_DB": url, "KLING_LEDGER_GATEWAY_SECRET": Self.secret]) { $1 }
            let issued = try await runCLI(["keys", "create", "--team", "video", "--json"], environment: environment)
            let key = try #require(issued.json?["api_key"] as? String, "\(issued.stderr)")
            let served = try await Served.start(environment: environment)
            func send(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> (status: Int, json: [String: Any]) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(served.port)\(path)")
                request.method = method
                request.headers.add(name: "Authorization", value: "Bearer \(key)")
                if let body {
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: body))
                }
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
                let bytes = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]) ?? [:])
            }
            let create = #"{"model_name":"kling-v1","mode":"std","duration":"5","prompt":"before"}"#
            let first = try await send(.POST, "/v1/videos/text2video", create)
            #expect(first.status == 200, "\(first.json)")

            #expect(try LedgerBackend.endSessions(of: url) >= 1, "the gateway had sessions open")
            let health = try await send(.GET, "/healthz")
            #expect(health.status == 200, "\(health.json)")
            let second = try await send(.POST, "/v1/videos/text2video", create.replacingOccurrences(of: "before", with: "after"))
            #expect(second.status == 200, "\(second.json)")
            let taskID = try #require((second.json["data"] as? [String: Any])?["task_id"] as? String)
            try await Task.sleep(for: .milliseconds(400))  // the sandbox finishes it
            _ = try LedgerBackend.endSessions(of: url)
            let query = try await send(.GET, "/v1/videos/text2video/\(taskID)")
            #expect(query.status == 200 && (query.json["data"] as? [String: Any])?["task_status"] as? String == "succeed", "\(query.json)")
            _ = try await served.terminate()

            let ledger = try Ledger(path: url, access: .read)
            let records = try ledger.submissions()
            #expect(records.count == 2)
            #expect(records.allSatisfy { $0.state != .pending && $0.state != .unknown }, "\(records.map(\.state))")
            #expect(Set(records.compactMap(\.providerTaskID)) == Set(sandbox.tasks.map(\.taskID)), "each create reached the provider once")
        }
    }
}
