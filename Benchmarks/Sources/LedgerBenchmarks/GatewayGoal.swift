import AsyncHTTPClient
import BenchmarkSupport
import Crypto
import Foundation
import NIOCore

// MARK: The gateway (issue 12)
//
// Creates through `kling-ledger serve` against the same creates sent straight to the sandbox it
// forwards to, 1 and 32 concurrent clients, interleaved over the runs. The sandbox answers a
// create at once, so the difference is what the gateway adds: authenticate, validate, quote,
// hold (a durable commit), forward, record (a second one), answer. A third route, the floor,
// forwards the same creates and does nothing else (`forwarding-floor`): what any gateway built on
// the same HTTP libraries costs before it does its work.

/// One load: every request's latency (seconds), the wall time, and the requests that failed.
struct Load {
    var latencies: [Double] = []
    var seconds = 0.0
    var failures = 0

    var throughput: Double { Double(latencies.count) / seconds }
    func percentile(_ p: Double) -> Double {
        let sorted = latencies.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
}

/// `clients` concurrent clients, each sending `perClient` creates one after another.
func createLoad(url: String, authorization: String, clients: Int, perClient: Int) async -> Load {
    let clock = ContinuousClock()
    let start = clock.now
    let results = await withTaskGroup(of: ([Double], Int).self) { group in
        for client in 0..<clients {
            group.addTask {
                var latencies: [Double] = [], failures = 0
                for index in 0..<perClient {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    if !authorization.isEmpty { request.headers.add(name: "Authorization", value: authorization) }
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"model_name":"kling-v1","mode":"std","duration":"5","prompt":"bench \#(client)-\#(index)"}"#))
                    let sent = clock.now
                    do {
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        if response.status == .ok { latencies.append((clock.now - sent).seconds) } else { failures += 1 }
                    } catch {
                        failures += 1
                    }
                }
                return (latencies, failures)
            }
        }
        var load = Load()
        for await (latencies, failures) in group {
            load.latencies += latencies
            load.failures += failures
        }
        return load
    }
    var load = results
    load.seconds = (clock.now - start).seconds
    return load
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Starts `kling-ledger serve` on a free port over a fresh ledger; its base URL and a key.
@MainActor func startGateway(_ cli: String, sandbox: [String: String]) throws -> (process: Process, baseURL: String, apiKey: String) {
    var environment = sandbox
    environment["KLING_LEDGER_DB"] = folder.appendingPathComponent("gateway.sqlite").path
    environment["KLING_LEDGER_GATEWAY_SECRET"] = String(repeating: "benchmark-secret-", count: 3)
    let keys = Process()
    keys.executableURL = URL(fileURLWithPath: cli)
    keys.arguments = ["keys", "create", "--team", "bench", "--json"]
    keys.environment = environment
    let keysOut = Pipe()
    keys.standardOutput = keysOut
    try keys.run()
    let keyJSON = keysOut.fileHandleForReading.readDataToEndOfFile()
    keys.waitUntilExit()
    guard let apiKey = ((try? JSONSerialization.jsonObject(with: keyJSON)) as? [String: Any])?["api_key"] as? String else {
        throw BenchmarkError.cannotRun("kling-ledger keys create --json")
    }
    let (serve, baseURL) = try startListening(cli, ["serve", "--port", "0", "--max-in-flight-per-key", "64", "--settle-every", "3600"], environment)
    return (serve, baseURL, apiKey)
}

/// Starts a server that prints its `http://127.0.0.1:PORT` address first; the process and it.
func startListening(_ executable: String, _ arguments: [String], _ environment: [String: String]) throws -> (Process, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    var text = ""
    while !text.contains("\n") {
        let chunk = pipe.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        text += String(decoding: chunk, as: UTF8.self)
    }
    guard let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) else {
        process.terminate()
        throw BenchmarkError.cannotRun("\(executable) \(arguments.joined(separator: " ")) (it printed: \(text))")
    }
    return (process, String(text[range]))
}

@MainActor func gatewayGoal(_ sandbox: [String: String]) async throws {
    guard let cli = cliBinary(), let sandboxURL = sandbox["KLING_BASE_URL"] else { return }
    let (serve, gatewayURL, apiKey) = try startGateway(cli, sandbox: sandbox)
    let token = jwt(accessKey: sandbox["KLING_ACCESS_KEY"] ?? "", secretKey: sandbox["KLING_SECRET_KEY"] ?? "")
    let forwarder = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("forwarding-floor").path
    let (floor, floorURL) = try startListening(forwarder, [sandboxURL, "Bearer \(token)"], [:])
    defer {
        for process in [serve, floor] {
            process.terminate()
            process.waitUntilExit()
        }
    }
    let direct = (url: sandboxURL + "/v1/videos/text2video", authorization: "Bearer \(token)")
    let forwarded = (url: floorURL + "/v1/videos/text2video", authorization: "")
    let gateway = (url: gatewayURL + "/v1/videos/text2video", authorization: "Bearer \(apiKey)")
    // Warm all three: connections, statement caches, the ledger's first pages.
    for route in [direct, forwarded, gateway] {
        _ = await createLoad(url: route.url, authorization: route.authorization, clients: 4, perClient: 20)
    }

    print("Gateway: creates through `serve` vs straight to the sandbox (loopback; release build)")
    print("   floor: a bare forward on serve's libraries (Hummingbird in, AsyncHTTPClient out; no key, no price, no ledger)")
    for clients in [1, 32] {
        let perClient = clients == 1 ? 300 : 20
        var straight: [Load] = [], bare: [Load] = [], through: [Load] = []
        for _ in 0..<runs {
            straight.append(await createLoad(url: direct.url, authorization: direct.authorization, clients: clients, perClient: perClient))
            bare.append(await createLoad(url: forwarded.url, authorization: forwarded.authorization, clients: clients, perClient: perClient))
            through.append(await createLoad(url: gateway.url, authorization: gateway.authorization, clients: clients, perClient: perClient))
        }
        let failures = (straight + bare + through).map(\.failures).reduce(0, +)
        let directRate = median(straight.map(\.throughput)), floorRate = median(bare.map(\.throughput))
        let gatewayRate = median(through.map(\.throughput))
        func line(_ name: String, _ loads: [Load]) {
            print(String(format: "   %@ %7.0f creates/s, p50 %6.2f ms, p99 %6.2f ms", name, median(loads.map(\.throughput)),
                         median(loads.map { $0.percentile(0.5) }) * 1000, median(loads.map { $0.percentile(0.99) }) * 1000))
        }
        print("   \(clients) client\(clients == 1 ? "" : "s"):")
        line("   direct ", straight)
        line("   floor  ", bare)
        line("   gateway", through)
        let p50 = median(through.map { $0.percentile(0.5) }) - median(straight.map { $0.percentile(0.5) })
        let p99 = median(through.map { $0.percentile(0.99) }) - median(straight.map { $0.percentile(0.99) })
        print(String(format: "      added p50 %.2f ms, p99 %.2f ms (goal ≤ 5 ms) %@; throughput %.2f× direct (goal ≥ 0.5) %@%@", p50 * 1000, p99 * 1000,
                     verdict(p99 <= 0.005), gatewayRate / directRate, verdict(gatewayRate / directRate >= 0.5),
                     failures > 0 ? " — \(failures) requests failed" : ""))
        print(String(format: "      the floor reaches %.2f× direct; the gateway is %.2f× the floor", floorRate / directRate, gatewayRate / floorRate))
    }
    print("")
}

/// An HS256 token as Kling's documentation describes it, valid for an hour.
func jwt(accessKey: String, secretKey: String) -> String {
    func segment(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    let now = Int(Date().timeIntervalSince1970)
    let header = segment(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
    let claims = segment(Data(#"{"iss":"\#(accessKey)","exp":\#(now + 3600),"nbf":\#(now - 5)}"#.utf8))
    let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(claims)".utf8), using: SymmetricKey(data: Data(secretKey.utf8)))
    return "\(header).\(claims).\(segment(Data(signature)))"
}
