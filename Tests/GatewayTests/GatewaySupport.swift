import AsyncHTTPClient
import Crypto
import Foundation
import Glibc
import Gateway
import KlingCore
import KlingSandbox
import Ledger
import Logging
import NIOCore
import NIOHTTP1
import Pricing
import Synchronization

/// A gateway on a loopback port of the OS's choosing, over a fresh ledger, forwarding to a
/// fresh sandbox; its log lines kept for the tests to read.
struct GatewayFixture {
    let sandbox: Sandbox
    let gateway: Gateway
    let port: Int
    let ledgerPath: String
    let secretText: String
    let logs: LogCapture

    /// - Parameter publicURL: give the gateway an address the sandbox can call back (a free
    ///   loopback port, chosen before the gateway starts), in place of `configuration`'s.
    static func with<T>(
        delay: Duration = .milliseconds(300), configuration: Gateway.Configuration = .init(port: 0, settleInterval: .seconds(3600)),
        publicURL: Bool = false, allowPrivateCallbacks: Bool = true, _ body: (GatewayFixture) async throws -> T
    ) async throws -> T {
        var configuration = configuration
        configuration.allowPrivateCallbacks = allowPrivateCallbacks  // the callers' webhooks are the sandbox's, on loopback
        if publicURL {
            configuration.port = try freeLoopbackPort()
            configuration.publicURL = "http://127.0.0.1:\(configuration.port)"
        }
        let sandbox = try await Sandbox.start(delay: delay, credentials: .random())
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("ledger.sqlite").path
        let secretText = GatewaySecretText.random()
        let logs = LogCapture()
        var logger = Logger(label: "gateway-test") { _ in logs }
        logger.logLevel = .trace
        let gateway = try Gateway(
            ledgerPath: path, prices: try PriceBook.load(environment: [:]), secret: try GatewaySecret(secretText), configuration: configuration,
            environment: sandbox.environment, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task { try await gateway.run { continuation.yield($0) } }
        var port = 0
        for await bound in ports {
            port = bound
            break
        }
        let fixture = GatewayFixture(sandbox: sandbox, gateway: gateway, port: port, ledgerPath: path, secretText: secretText, logs: logs)
        do {
            let result = try await body(fixture)
            server.cancel()
            _ = await server.result
            await sandbox.stop()
            return result
        } catch {
            server.cancel()
            _ = await server.result
            await sandbox.stop()
            throw error
        }
    }

    func ledger() throws -> Ledger { try Ledger(path: ledgerPath, access: .write) }

    func issue(team: String = "video", project: String? = nil, user: String? = nil, expiresAt: Date? = nil) throws -> IssuedKey {
        try GatewaySecret(secretText).issue(to: CallerScope(team: team, project: project, user: user), expiresAt: expiresAt, ledger: try ledger())
    }

    /// One request, as a Kling client sends it; the answer's status and JSON body.
    func send(
        _ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, body: Data? = nil, authorization: String?,
        headers: [(name: String, value: String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        request.headers.add(name: "Content-Type", value: "application/json")
        if let json { request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let text = String(buffer: bytes)
        return Answer(status: Int(response.status.code), text: text, json: (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:])
    }

    struct Answer {
        let status: Int
        let text: String
        let json: [String: Any]
        var code: Int? { json["code"] as? Int }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
    }

    /// The sandbox's creates so far.
    var creates: Int {
        sandbox.requests.filter { $0.method == "POST" && ($0.path.hasPrefix("/v1/videos/") || $0.path.hasPrefix("/kling/v1/videos/")) }.count
    }
}

/// A loopback port free a moment ago, for a server whose address must be known before it starts.
func freeLoopbackPort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
    return Int(UInt16(bigEndian: address.sin_port))
}

enum GatewaySecretText {
    static func random() -> String { (0..<4).map { _ in UUID().uuidString }.joined() }
}

/// An HS256 JWT as Kling's documentation describes it, signed here and not by the code under test.
func klingJWT(accessKey: String, secretKey: String, now: Date = Date(), notBefore: TimeInterval = -5, lifetime: TimeInterval = 1800) -> String {
    func segment(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    let seconds = Int(now.timeIntervalSince1970)
    let header = segment(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
    let claims = segment(Data(#"{"iss":"\#(accessKey)","exp":\#(seconds + Int(lifetime)),"nbf":\#(seconds + Int(notBefore))}"#.utf8))
    let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(claims)".utf8), using: SymmetricKey(data: Data(secretKey.utf8)))
    return "\(header).\(claims).\(segment(Data(signature)))"
}

/// Every log line a gateway wrote, metadata included.
final class LogCapture: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        lines.withLock { $0.append("\(event.level) \(event.message) \(metadata)") }
    }
}

/// kling-v1 std 5 s: 1 unit, $0.14 at list price.
nonisolated(unsafe) let cheapCreate: [String: Any] = ["model_name": "kling-v1", "mode": "std", "duration": "5", "prompt": "a fox in the snow"]
