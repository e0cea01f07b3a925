import Foundation
import KlingAPI
import KlingCore
import KlingSandbox
import Testing

/// What the client reports when the provider misbehaves, and whether the task exists.
@Suite("Client under injected faults")
struct FaultTests {
    static let job = VideoJob(provider: .kling, prompt: "a fox in the snow", externalTaskID: "fault-1")

    static func expectFailure(
        _ category: FailureCategory, code: String? = nil, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await body()
            Issue.record("no failure was raised", sourceLocation: sourceLocation)
        } catch let failure as ProviderFailure {
            #expect(failure.category == category, "\(failure.localizedDescription)", sourceLocation: sourceLocation)
            if let code { #expect(failure.code == code, sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("1303 twice, then accepted: retried after at least 1 s, then 2 s")
    func retriedWithBackoff() async throws {
        try await withSandbox { sandbox in
            sandbox.inject(.refuse(code: 1303), provider: .kling)
            sandbox.inject(.refuse(code: 1303), provider: .kling)
            let created = try await client(.kling, of: sandbox).create(Self.job)
            #expect(sandbox.tasks.map(\.taskID) == [created.providerTaskID])
            let times = sandbox.requests.filter { $0.method == "POST" }.map(\.receivedAt)
            #expect(times.count == 3)
            #expect(times[1].timeIntervalSince(times[0]) >= 1.0)
            #expect(times[2].timeIntervalSince(times[1]) >= 2.0)
        }
    }

    @Test("1302 beyond the retries: reported as 'retry later', nothing created", arguments: [1302, 1303, 5001])
    func retriesExhausted(code: Int) async throws {
        try await withSandbox { sandbox in
            var policy = testPolicy
            policy.maxRetries = 1
            for _ in 0..<2 { sandbox.inject(.refuse(code: code), provider: .kling) }
            await Self.expectFailure(.retryLater, code: String(code)) {
                _ = try await client(.kling, of: sandbox, policy: policy).create(Self.job)
            }
            #expect(sandbox.tasks.isEmpty)
            #expect(sandbox.requests.count == 2)
        }
    }

    @Test("A definitive refusal (1201, 1102) is 'not created' and not retried", arguments: [1201, 1102, 1301])
    func definitiveRefusal(code: Int) async throws {
        try await withSandbox { sandbox in
            sandbox.inject(.refuse(code: code), provider: .kling)
            await Self.expectFailure(.notCreated, code: String(code)) {
                _ = try await client(.kling, of: sandbox).create(Self.job)
            }
            #expect(sandbox.requests.count == 1)
        }
    }

    @Test("A 500 on create keeps the outcome unknown; the lookup then proves nothing was created")
    func serverErrorOnCreate() async throws {
        try await withSandbox { sandbox in
            sandbox.inject(.serverError(status: 500), provider: .kling)
            let client = try client(.kling, of: sandbox)
            await Self.expectFailure(.outcomeUnknown) { _ = try await client.create(Self.job) }
            #expect(try await client.lookUp(externalTaskID: "fault-1", kind: .text2video) == .absent)
        }
    }

    @Test("A connection dropped after the task was created: unknown, and the lookup finds the task")
    func droppedAfterCreate() async throws {
        try await withSandbox { sandbox in
            sandbox.inject(.dropAfterCreate, provider: .kling)
            let client = try client(.kling, of: sandbox)
            await Self.expectFailure(.outcomeUnknown) { _ = try await client.create(Self.job) }
            let created = try #require(sandbox.tasks.only)
            guard case .found(let snapshot) = try await client.lookUp(externalTaskID: "fault-1", kind: .text2video) else {
                Issue.record("the created task was not found by its external id")
                return
            }
            #expect(snapshot.providerTaskID == created.taskID)
        }
    }

    @Test("An answer slower than the request timeout: unknown, and the task exists")
    func slowAnswer() async throws {
        try await withSandbox { sandbox in
            var policy = testPolicy
            policy.requestTimeout = .milliseconds(300)
            sandbox.inject(.slowAnswer(.seconds(2)), provider: .kling)
            await Self.expectFailure(.outcomeUnknown) { _ = try await client(.kling, of: sandbox, policy: policy).create(Self.job) }
            #expect(sandbox.tasks.count == 1)
        }
    }

    @Test("A malformed answer to a create: unknown, never failed; the task exists")
    func malformedCreate() async throws {
        try await withSandbox { sandbox in
            sandbox.inject(.malformedBody, provider: .kling)
            await Self.expectFailure(.outcomeUnknown) { _ = try await client(.kling, of: sandbox).create(Self.job) }
            #expect(sandbox.tasks.count == 1)
        }
    }

    @Test("An answer larger than the limit is not read")
    func bodyLimit() async throws {
        try await withSandbox { sandbox in
            var policy = testPolicy
            policy.maxResponseBytes = 64
            await Self.expectFailure(.outcomeUnknown) { _ = try await client(.kling, of: sandbox, policy: policy).create(Self.job) }
        }
    }

    @Test("A task blocked while processing (1301) ends failed, with its reason and a zero deduction")
    func failedTask() async throws {
        try await withSandbox { sandbox in
            sandbox.inject(.failTask(message: "1301: content safety check failed"), provider: .kling)
            let client = try client(.kling, of: sandbox)
            let created = try await client.create(Self.job)
            let finished = try await client.waitUntilFinished(taskID: created.providerTaskID, kind: .text2video)
            #expect(finished.state == .failed)
            #expect(finished.failureMessage == "1301: content safety check failed")
            #expect(finished.finalUnitDeduction == "0")
            #expect(finished.videos.isEmpty)
        }
    }

    @Test("Reads that fail for now (5xx, malformed, dropped) do not stop the wait", arguments: [
        SandboxFault.serverError(status: 503), .malformedBody, .dropAfterCreate,
    ])
    func pollingThroughFaults(fault: SandboxFault) async throws {
        try await withSandbox { sandbox in
            let client = try client(.kling, of: sandbox)
            let created = try await client.create(Self.job)
            sandbox.inject(fault, provider: .kling, on: .query)
            let finished = try await client.waitUntilFinished(taskID: created.providerTaskID, kind: .text2video)
            #expect(finished.state == .succeeded)
        }
    }

    @Test("A wait that outlasts its timeout says so; the task goes on")
    func waitTimeout() async throws {
        // A minute before the task even starts processing: however slow the machine, the
        // 400 ms wait ends while it is still submitted.
        try await withSandbox(delay: .seconds(60)) { sandbox in
            let client = try client(.kling, of: sandbox)
            let created = try await client.create(Self.job)
            do {
                _ = try await client.waitUntilFinished(taskID: created.providerTaskID, kind: .text2video, timeout: .milliseconds(400))
                Issue.record("the wait did not time out")
            } catch let timedOut as WaitTimedOut {
                #expect(timedOut.taskID == created.providerTaskID)
                #expect(timedOut.last?.state == .submitted)
                #expect(timedOut.localizedDescription.contains("goes on at the provider"))
            }
        }
    }

    @Test("Resellers' refusals keep their meaning: Pixazo 429 retried, AceData 500 on create unknown")
    func resellerFaults() async throws {
        try await withSandbox { sandbox in
            sandbox.inject(.refuse(code: 1302), provider: .pixazo)
            _ = try await client(.pixazo, of: sandbox).create(VideoJob(provider: .pixazo, prompt: "a lighthouse"))
            #expect(sandbox.tasks.count == 1)
            sandbox.inject(.serverError(status: 500), provider: .acedata)
            await Self.expectFailure(.outcomeUnknown, code: "api_error") {
                _ = try await client(.acedata, of: sandbox).create(VideoJob(provider: .acedata, prompt: "a harbour"))
            }
        }
    }

    @Test("A provider nobody answers for: could not connect, nothing created")
    func connectionRefused() async throws {
        let closed = try await Sandbox.start()
        let environment = closed.environment
        await closed.stop()
        var policy = testPolicy
        policy.maxRetries = 0
        let client = KlingClient(account: try ProviderAccount.fromEnvironment(.kling, environment: environment), policy: policy)
        await Self.expectFailure(.retryLater) { _ = try await client.create(Self.job) }
    }
}
