import Foundation
import KlingCore
import KlingSandbox
import Testing

/// `Sandbox.start(stateFile:)`: tasks that outlive a restart.
@Suite("Sandbox state file")
struct SandboxStateFileTests {
    /// A fresh folder for a state file, removed afterwards.
    static func withFolder(_ body: (URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder)
    }

    /// A sandbox on the state file for the duration of `body`, stopped whatever happens.
    static func withSandbox(
        _ file: URL, credentials: SandboxCredentials, delay: Duration = .seconds(2), _ body: (Sandbox) async throws -> Void
    ) async throws {
        let sandbox = try await Sandbox.start(delay: delay, credentials: credentials, stateFile: file)
        do {
            try await body(sandbox)
        } catch {
            await sandbox.stop()
            throw error
        }
        await sandbox.stop()
    }

    @Test("A task created before a restart is found after it, with its id, and finishes at its original time; ids continue")
    func survivesRestart() async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("state.json")
            let credentials = SandboxCredentials.random()
            let auth = "Bearer \(credentials.klingAPIKey)"
            var before: [SandboxTask] = []
            try await Self.withSandbox(file, credentials: credentials) { sandbox in
                #expect(sandbox.tasks.isEmpty)
                let created = try await send(
                    sandbox, "POST", "/v1/videos/text2video", authorization: auth,
                    json: #"{"prompt":"a fox","external_task_id":"job-1","model_name":"kling-v2-5-turbo","mode":"pro","duration":"10"}"#)
                #expect(created.status == 200)
                let pixazo = try await send(
                    sandbox, "POST", "/kling-ai-video/v1/generateVideoTask",
                    headers: ["Ocp-Apim-Subscription-Key": credentials.pixazoSubscriptionKey], json: #"{"prompt":"a cat"}"#)
                #expect(pixazo.status == 200)
                before = sandbox.tasks
            }
            // Written atomically: only the state file is left in its folder, no temporary file.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["state.json"])
            let original = try #require(before.first)
            #expect(original.taskID == "sbx-kling-000001")

            try await Self.withSandbox(file, credentials: credentials) { sandbox in
                let after = sandbox.tasks
                #expect(after.map(\.taskID) == before.map(\.taskID))
                // Exact money: the units and the reseller's price come back as they were.
                #expect(after.map(\.units) == before.map(\.units))
                #expect(after.map(\.price) == before.map(\.price))
                #expect(after.last?.price != nil && original.units == Units("5"))
                for (loaded, saved) in zip(after, before) {
                    #expect(abs(loaded.finishesAt.timeIntervalSince(saved.finishesAt)) < 0.002)
                }

                let path = "/v1/videos/text2video/\(original.taskID)"
                let found = try await send(sandbox, "GET", path, authorization: auth)
                #expect(found.status == 200)
                #expect((found.json["data"] as? [String: Any])?["task_id"] as? String == original.taskID)
                let byExternal = try await send(sandbox, "GET", "/v1/videos/text2video/job-1", authorization: auth)
                #expect((byExternal.json["data"] as? [String: Any])?["task_id"] as? String == original.taskID)

                var data: [String: Any] = [:]
                for _ in 0..<50 where data["task_status"] as? String != "succeed" {
                    data = try await send(sandbox, "GET", path, authorization: auth).json["data"] as? [String: Any] ?? [:]
                    if data["task_status"] as? String != "succeed" { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(data["task_status"] as? String == "succeed")
                #expect(Date() >= original.finishesAt.addingTimeInterval(-0.002), "not before its original time")
                #expect(data["final_unit_deduction"] as? String == "5")

                // The serial and the external ids came back too.
                let next = try await send(sandbox, "POST", "/v1/videos/text2video", authorization: auth, json: #"{"prompt":"a dog"}"#)
                #expect((next.json["data"] as? [String: Any])?["task_id"] as? String == "sbx-kling-000003")
                let again = try await send(
                    sandbox, "POST", "/v1/videos/text2video", authorization: auth, json: #"{"prompt":"a fox","external_task_id":"job-1"}"#)
                #expect(again.json["code"] as? Int == 1201)
            }
        }
    }

    static let handWritten = """
        {"version": 1, "serial": 7, "tasks": [{"provider": "kling", "kind": "text2video", "task_id": "sbx-kling-000007",
         "model": "kling-v1", "mode": "std", "duration_seconds": 5, "sound": false, "created_at": "2026-01-01T00:00:00.000Z",
         "processing_at": "2026-01-01T00:00:01.000Z", "finishes_at": "2026-01-01T00:00:02.500Z", "units": "UNITS",
         "final_callbacks": 1}]}
        """

    @Test("A state written by hand loads exactly: decimal units, millisecond instants, the serial")
    func handWrittenLoads() async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("state.json")
            try Data(Self.handWritten.replacingOccurrences(of: "UNITS", with: "2.5").utf8).write(to: file)
            try await Self.withSandbox(file, credentials: .random()) { sandbox in
                let task = try #require(sandbox.tasks.only)
                #expect(task.units == Units("2.5"))
                #expect(abs(task.finishesAt.timeIntervalSince1970 - 1_767_225_602.5) < 0.0005)
                #expect(task.state(at: Date()) == .succeed)
                let next = try await send(
                    sandbox, "POST", "/v1/videos/text2video", authorization: "Bearer \(sandbox.credentials.klingAPIKey)",
                    json: #"{"prompt":"a dog"}"#)
                #expect((next.json["data"] as? [String: Any])?["task_id"] as? String == "sbx-kling-000008")
            }
        }
    }

    @Test(
        "A state file the sandbox cannot read is an error naming the file and what is wrong, and is left as it was",
        arguments: [
            ("not JSON", "{ this is not json", "not JSON"),
            ("units that are not a decimal", SandboxStateFileTests.handWritten.replacingOccurrences(of: "UNITS", with: "2.5.1"), "tasks[0].units"),
            ("another version", #"{"version": 2, "serial": 0, "tasks": []}"#, "version 2"),
            ("a task without its id", #"{"version": 1, "serial": 0, "tasks": [{"provider": "kling"}]}"#, "missing"),
        ])
    func corrupt(_ name: String, _ contents: String, _ reason: String) async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("state.json")
            try Data(contents.utf8).write(to: file)
            let error = await #expect(throws: SandboxError.self) {
                let sandbox = try await Sandbox.start(stateFile: file)
                await sandbox.stop()
            }
            let description = try #require(error?.errorDescription)
            #expect(description.contains(file.path))
            #expect(description.contains(reason), "\(description)")
            #expect(try String(contentsOf: file, encoding: .utf8) == contents)
        }
    }

    @Test("A state file in a folder that does not exist is refused at start, naming the file")
    func unwritable() async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("missing/state.json")
            let error = await #expect(throws: SandboxError.self) {
                let sandbox = try await Sandbox.start(stateFile: file)
                await sandbox.stop()
            }
            guard case .stateNotSaved(let path, _) = error else {
                Issue.record("expected stateNotSaved, got \(String(describing: error))")
                return
            }
            #expect(path == file.path)
            #expect(error?.errorDescription?.contains(file.path) == true)
        }
    }
}

extension Collection {
    /// The one element, or `nil` when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
