import Foundation
import KlingCore
import KlingSandbox
import Ledger
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `kling-ledger serve` as an operator runs it: a process that can be killed and restarted.
@Suite("Gateway process", .serialized)
struct GatewayProcessTests {
    static let secret = "process-test-secret-0123456789abcdef-0123456789"

    @Test("SIGKILLed with 8 creates in flight, restarted: its recovery makes the ledger equal the provider's record, nothing held; SIGTERM stops it cleanly")
    func killedMidCreate() async throws {
        let sandbox = try await Sandbox.start(delay: .milliseconds(300), credentials: .random())
        defer { Task { await sandbox.stop() } }
        let ledger = FileManager.default.temporaryDirectory.appendingPathComponent("cli-gateway-\(UUID().uuidString)/ledger.sqlite").path
        defer { removeFolder(of: ledger) }
        let environment = sandbox.environment.merging(["KLING_LEDGER_DB": ledger, "KLING_LEDGER_GATEWAY_SECRET": Self.secret]) { $1 }
        let issued = try await runCLI(["keys", "create", "--team", "video", "--json"], environment: environment)
        let apiKey = try #require(issued.json?["api_key"] as? String, "\(issued.stderr)")

        // The provider creates each task, then holds its answer for a minute: the gateway dies
        // knowing only that it sent them.
        for _ in 0..<8 { sandbox.inject(.slowAnswer(.seconds(60)), provider: .kling) }
        let first = try await Served.start(environment: environment)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16  // all 8 at once (the default allows 6)
        let session = URLSession(configuration: configuration)
        for index in 0..<8 {
            Thread {
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(first.port)/v1/videos/text2video")!)
                request.httpMethod = "POST"
                request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
                request.httpBody = Data(#"{"model_name":"kling-v1","mode":"std","duration":"5","prompt":"crash \#(index)"}"#.utf8)
                session.dataTask(with: request).resume()
            }.start()
        }
        for _ in 0..<200 where sandbox.tasks.count < 8 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(sandbox.tasks.count == 8)
        first.kill()
        let held = try Ledger(path: ledger, access: .read).submissions()
        #expect(held.count == 8 && held.allSatisfy { $0.state == .pending && $0.balance.held == USD(micros: 140_000) })

        // Restarted, it recovers them by their external_task_id and settles them.
        let second = try await Served.start(environment: environment, settleEvery: 1)
        var open = 8
        for _ in 0..<100 where open > 0 {
            try await Task.sleep(for: .milliseconds(200))
            open = try Ledger(path: ledger, access: .read).openSubmissions().count
        }
        let records = try Ledger(path: ledger, access: .read).submissions()
        #expect(open == 0 && records.allSatisfy { $0.state == .succeeded && $0.balance.held == .zero })
        for task in sandbox.tasks {
            let record = records.filter { $0.providerTaskID == task.taskID }
            #expect(record.count == 1, "task \(task.taskID) is in the ledger \(record.count) times")
            let units = try #require(task.deductedUnits(at: Date()))
            #expect(record.first?.finalUnitDeduction == units.decimalString && record.first?.balance.charged == USD(micros: 140_000))
        }
        #expect(records.map(\.balance.charged.micros).reduce(0, +) == 8 * 140_000)

        let stopped = try await second.terminate()
        #expect(stopped.status == 0 && stopped.stdout.contains("Gateway stopped."), "\(stopped.stderr)")
    }
}

/// A running `kling-ledger serve`, its port read from what it prints.
final class Served: @unchecked Sendable {  // the process is only touched by the test that started it
    let process: Process
    let port: Int
    private let stdout: Pipe

    private init(process: Process, port: Int, stdout: Pipe) {
        self.process = process
        self.port = port
        self.stdout = stdout
    }

    static func start(environment: [String: String], settleEvery: Int = 3600) async throws -> Served {
        let process = try userProcess(["serve", "--port", "0", "--settle-every", String(settleEvery)], in: FileManager.default.temporaryDirectory, environment: environment)
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let port = try await offThePool { try listeningPort(printedTo: stdout) }
        return Served(process: process, port: port, stdout: stdout)
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then what it printed after its first line and how it ended.
    func terminate() async throws -> CLIResult {
        process.terminate()
        let stdout = stdout
        let process = process
        return try await offThePool {
            let rest = stdout.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLIResult(status: process.terminationStatus, stdout: String(decoding: rest, as: UTF8.self), stderr: "")
        }
    }
}

/// The port a server started by the test says it listens on, in its first line.
func listeningPort(printedTo stdout: Pipe) throws -> Int {
    var text = ""
    while !text.contains("\n") {
        let chunk = stdout.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        text += String(decoding: chunk, as: UTF8.self)
    }
    guard let range = text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
        let port = Int(text[range].split(separator: ":").last ?? "")
    else { throw ServeDidNotStart(output: text) }
    return port
}

struct ServeDidNotStart: Error, CustomStringConvertible {
    let output: String
    var description: String { "kling-ledger serve did not say where it listens; it printed: \(output)" }
}
