import Foundation
import Gateway
import KlingCore
import KlingSandbox
import Ledger
import Testing

/// The gateway as an existing Kling client meets it: a Python client written from Kling's
/// public documentation (httpx + PyJWT, installed by `.ci/gateway-client.sh`), pointed at the
/// gateway by its base URL alone.
@Suite("Gateway: an independent Kling client")
struct IndependentClientTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent(".build-gateway-client/venv/bin/python")
    static let script = root.appendingPathComponent("Tests/GatewayTests/Client/kling_client.py")
    static let installed = FileManager.default.isExecutableFile(atPath: python.path)
    /// Under CI the client must run: `.ci/run` installs it, and a missing one fails the test.
    static let required = ProcessInfo.processInfo.environment["CI"] != nil

    @Test(
        "text2video, image2video and extend through serve look as they do straight from the provider; each is charged once, to the key's scope",
        .enabled(if: installed || required, "the Python client is not installed here (`.ci/gateway-client.sh` installs httpx and PyJWT)"))
    func officialClient() async throws {
        try #require(Self.installed, "`.ci/run` installs the client's venv with .ci/gateway-client.sh; it is missing")
        try await GatewayFixture.with { fixture in
            let key = try fixture.issue(team: "pipeline", project: "trailers")
            let credentials = fixture.sandbox.credentials
            let environment = [
                "GATEWAY_URL": "http://127.0.0.1:\(fixture.port)", "GATEWAY_ACCESS_KEY": key.key.accessKey, "GATEWAY_SECRET_KEY": key.secretKey,
                "PROVIDER_URL": fixture.sandbox.baseURL, "PROVIDER_ACCESS_KEY": credentials.klingAccessKey,
                "PROVIDER_SECRET_KEY": credentials.klingSecretKey,
            ]
            let result = try await runProcess(Self.python, [Self.script.path], environment: environment)
            #expect(result.status == 0, "the client failed:\n\(result.stderr)")
            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: String]], "client printed: \(result.stdout)")
            #expect(Set(summary.keys) == ["text2video", "image2video", "video-extend"])
            let ledger = try fixture.ledger()
            let all = try ledger.submissions()
            for (kind, task) in summary {
                let taskID = try #require(task["task_id"])
                let records = all.filter { $0.providerTaskID == taskID }
                #expect(records.count == 1, "\(kind): \(records.count) submissions for task \(taskID)")
                let record = try #require(records.first)
                #expect(record.state == .succeeded && record.balance.held == .zero, "\(kind): \(record.state)")
                #expect(record.balance.charged == record.actualCost && record.balance.charged > .zero)
                #expect(record.finalUnitDeduction == task["units"])
                #expect(record.team == "pipeline" && record.project == "trailers" && record.user == nil)
            }
            // The direct half of the run went around the gateway, and the ledger knows nothing of it.
            #expect(all.count == 3)
        }
    }
}

struct ProcessResult: Sendable {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a program to its end on a thread of its own, off the cooperative pool the in-process
/// gateway and sandbox answer on.
func runProcess(_ executable: URL, _ arguments: [String], environment: [String: String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(
                with: Result {
                    let process = Process()
                    process.executableURL = executable
                    process.arguments = arguments
                    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                    let out = Pipe()
                    let err = Pipe()
                    process.standardOutput = out
                    process.standardError = err
                    try process.run()
                    let stdout = out.fileHandleForReading.readDataToEndOfFile()
                    let stderr = err.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return ProcessResult(
                        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
                })
        }.start()
    }
}
