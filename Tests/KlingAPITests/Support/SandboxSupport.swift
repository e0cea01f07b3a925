import Foundation
import KlingAPI
import KlingCore
import KlingSandbox
import Logging
import Synchronization

/// Runs `body` against a fresh sandbox on 127.0.0.1 and always stops it.
func withSandbox<T>(
    delay: Duration = .milliseconds(600), credentials: SandboxCredentials = .random(),
    _ body: (Sandbox) async throws -> T
) async throws -> T {
    let sandbox = try await Sandbox.start(delay: delay, credentials: credentials)
    do {
        let result = try await body(sandbox)
        await sandbox.stop()
        return result
    } catch {
        await sandbox.stop()
        throw error
    }
}

/// Polling fast enough for tests; retries keep the client's one-second floor.
let testPolicy = ClientPolicy(
    maxRetries: 2, polling: Backoff(first: .milliseconds(100), multiplier: 1.5, maximum: .milliseconds(300)),
    requestTimeout: .seconds(10), blockingCreateTimeout: .seconds(20))

/// A client of the sandbox for one provider, configured the way a user would: through the
/// environment variables the sandbox prints.
func client(
    _ provider: Provider, of sandbox: Sandbox, policy: ClientPolicy = testPolicy, logs: LogCapture? = nil,
    now: @escaping @Sendable () -> Date = { Date() }
) throws -> KlingClient {
    let account = try ProviderAccount.fromEnvironment(provider, environment: sandbox.environment)
    return KlingClient(account: account, policy: policy, logger: logs?.logger ?? Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), now: now)
}

/// Every line a logger wrote, with its metadata, to search.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "kling-ledger.test") { _ in Handler(capture: self) }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let error = event.error.map { " error=\($0)" } ?? ""
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(all)\(error)") }
        }
    }
}

/// Collects values from concurrent callbacks.
final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}
