import Foundation
import Gate
import KlingAPI
import KlingCore
import KlingSandbox
import Ledger
import Pricing
import LedgerTestSupport
import Testing

/// The edges issue 10 found: submissions no command could close, extensions quoted below their
/// charge, reused idempotency keys, AceData blocking, and what sync says.
@Suite("Gate hardening")
struct HardeningTests {
    // MARK: 1. Every open submission can be closed

    @Test("A Pixazo submission whose sender died after the hold: sync moves it to unknown at once and says why; resolve closes it", arguments: LedgerBackend.all)
    func deadSenderPending(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let id = try reservePending(fixture, provider: .pixazo, sender: try deadSender())
            let change = try #require(try await fixture.gate.sync().only)  // default grace: 600 s
            #expect(change.after.state == .unknown)
            #expect(change.outcome == .needsPerson)
            #expect(!change.note.contains("another process"), "the sender is provably gone")
            #expect(change.note.contains("ended before recording"))
            #expect(change.note.contains("kling-ledger resolve \(id) --succeeded"))
            let resolved = try fixture.gate.resolve(id, succeeded: true, cost: USD(micros: 350_000), note: "on the Pixazo bill", providerTaskID: "px-1")
            #expect(resolved.state == .succeeded)
            #expect(resolved.providerTaskID == "px-1")
            #expect(resolved.balance == MoneyBalance(held: .zero, charged: USD(micros: 350_000)))
        }
    }

    @Test("A pending official submission whose sender died: the first sync keeps the hold (unknown), a later one proves it absent and releases it", arguments: LedgerBackend.all)
    func deadSenderOfficial(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let id = try reservePending(fixture, provider: .kling, sender: try deadSender())
            let first = try #require(try await fixture.gate.sync().only)
            #expect(first.after.state == .unknown && first.after.balance.held == cents14, "absent once is not yet proof")
            let second = try #require(try await fixture.gate.sync().only)
            #expect(second.after.state == .sendFailed && second.after.balance.held == .zero)
            #expect(second.before.id == id)
        }
    }

    @Test("A pending submission whose sender is alive on this host is left alone, and resolve refuses it", arguments: LedgerBackend.all)
    func liveSenderPending(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let id = try reservePending(fixture, provider: .pixazo, sender: .current)
            let change = try #require(try await fixture.gate.sync(pendingGrace: .zero).only)
            #expect(change.after.state == .pending)
            #expect(change.outcome == .inProgress)
            #expect(change.note.contains("being sent by process \(getpid())"))
            #expect(throws: LedgerError.self) { try fixture.gate.resolve(id, succeeded: false, note: "x") }
        }
    }

    @Test("A processing task the provider forgot (404 / 1203) becomes unknown with the right words, stays held, and resolve closes it", arguments: LedgerBackend.all, [Provider.kkiai, .kling])
    func forgottenTask(_ backend: LedgerBackend, _ provider: Provider) async throws {
        try await GateFixture.with(backend: backend, delay: .seconds(30)) { fixture in
            let sent = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(provider: provider)))
            #expect(sent.submission.state == .submitted)
            fixture.sandbox.inject(.forgetTask, provider: provider, on: .query)
            let change = try #require(try await fixture.gate.sync().only)
            #expect(change.after.state == .unknown)
            #expect(change.outcome == .needsPerson)
            #expect(change.note.contains("no longer knows task \(sent.submission.providerTaskID ?? "?")"))
            #expect(!change.note.contains("was not created"))
            // Asked again, it stays unknown with its hold: a task id proves the task existed,
            // so "not found" never releases it (a lookup by our id would have said "absent").
            let again = try #require(try await fixture.gate.sync().only)
            #expect(again.after.state == .unknown && again.after.balance.held == cents14 && again.outcome == .needsPerson)
            let resolved = try fixture.gate.resolve(sent.submission.id, succeeded: false, note: "not on the bill")
            #expect(resolved.state == .failed)
            #expect(resolved.balance == MoneyBalance(held: .zero, charged: .zero))
        }
    }

    @Test("resolve closes any open state: pending (sender gone), submitted, processing and unknown", arguments: LedgerBackend.all)
    func resolveAnyOpenState(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .seconds(30)) { fixture in
            let pending = try reservePending(fixture, provider: .kling, sender: try deadSender())
            let submitted = try await fixture.gate.submit(SubmissionRequest(job: cheapJob())).submission.id
            let processing = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(provider: .kkiai))).submission.id
            try fixture.ledger.markSent(processing, providerTaskID: "p-1", state: .processing)
            let unknown = try reservePending(fixture, provider: .acedata, sender: try deadSender())
            try fixture.ledger.markUnknown(unknown, code: nil, message: "lost")
            for id in [pending, submitted, processing, unknown] {
                #expect(try fixture.gate.resolve(id, succeeded: true, note: "by hand").state == .succeeded)
            }
            #expect(try fixture.ledger.openSubmissions().isEmpty)
            #expect(throws: LedgerError.self) { try fixture.gate.resolve(submitted, succeeded: true, note: "twice") }
        }
    }

    // MARK: 2. An extension is quoted as the provider bills it

    @Test("--extend ID prices the extension at the original's model and mode, and the charge equals the hold", arguments: LedgerBackend.all)
    func extensionFromParent(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .milliseconds(200)) { fixture in
            let parent = try await fixture.gate.submit(
                SubmissionRequest(job: VideoJob(provider: .kling, model: "kling-v1-6", mode: .pro, prompt: "a fox")), wait: true)
            let videoID = try #require(parent.submission.videoIDs.first, "the delivered video's id is kept")
            let budget = try fixture.ledger.setBudget(BudgetSpec(scope: .all, period: .month, limit: USD(micros: 1_000_000)))

            var byID = SubmissionRequest(job: VideoJob(provider: .kling, kind: .extend, prompt: "the fox runs on"), extending: parent.submission.id)
            byID.idempotencyKey = "ext-1"
            let extended = try await fixture.gate.submit(byID, wait: true)
            #expect(extended.submission.job.model == "kling-v1-6")
            #expect(extended.submission.job.mode == .pro)
            #expect(extended.submission.quote?.amount == USD(micros: 490_000), "3.5 units, not kling-v1 std's 1")
            #expect(extended.submission.actualCost == extended.submission.quote?.amount)
            #expect(extended.submission.parentID == parent.submission.id)
            #expect(extended.chargedAboveHold == nil)

            // By the video id alone, found in the ledger.
            let byVideo = try await fixture.gate.submit(
                SubmissionRequest(job: VideoJob(provider: .kling, kind: .extend, prompt: "and on", videoID: videoID)))
            #expect(byVideo.submission.quote?.amount == USD(micros: 490_000))
            let status = try #require(try fixture.ledger.budget(id: budget.id))
            #expect(status.used <= status.spec.limit)
        }
    }

    @Test("An extension of a video the ledger does not know must name model and mode; a different one than the original's is refused", arguments: LedgerBackend.all)
    func extensionRefusals(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let unknown = SubmissionRequest(job: VideoJob(provider: .kling, kind: .extend, prompt: "on", videoID: "vid-elsewhere"))
            await #expect(throws: GateError.extensionNeedsOriginal(videoID: "vid-elsewhere", provider: .kling)) {
                try await fixture.gate.submit(unknown)
            }
            let named = try await fixture.gate.submit(
                SubmissionRequest(job: VideoJob(provider: .kling, kind: .extend, model: "kling-v1-6", mode: .pro, prompt: "on", videoID: "vid-elsewhere")))
            #expect(named.submission.quote?.amount == USD(micros: 490_000))

            let parent = try await fixture.gate.submit(
                SubmissionRequest(job: VideoJob(provider: .kling, model: "kling-v1-6", mode: .pro, prompt: "a fox")), wait: true)
            let wrong = SubmissionRequest(job: VideoJob(provider: .kling, kind: .extend, model: "kling-v1", mode: .std, prompt: "on"), extending: parent.submission.id)
            await #expect(throws: GateError.self) { try await fixture.gate.submit(wrong) }
            #expect(try fixture.ledger.submissions().count == 2, "refusals write nothing")
        }
    }

    @Test("No documented job is quoted below what the provider bills for it", arguments: LedgerBackend.all)
    func noQuoteBelowItsCharge(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend, delay: .zero) { fixture in
            var submitted = 0
            for provider in Provider.allCases {
                let profile = ProviderCatalog.profile(provider)
                for spec in profile.models {
                    for kind in [VideoKind.text2video, .image2video] where spec.kinds.contains(kind) && profile.createUndocumented[kind] == nil {
                        for mode in spec.modes.isEmpty ? [nil] : spec.modes.sorted(by: { $0.rawValue < $1.rawValue }).map(Optional.some) {
                            for duration in spec.durations {
                                for sound in spec.supportsSound ? [false, true] : [false] {
                                    let job = VideoJob(
                                        provider: provider, kind: kind, model: spec.name, mode: mode, durationSeconds: duration, sound: sound,
                                        prompt: "a fox", image: kind == .image2video ? "https://example.com/fox.png" : nil)
                                    // A job no table prices is refused (fail closed), never quoted at all.
                                    guard let billable = try? job.validated(), (try? fixture.gate.prices.quote(billable)) != nil else { continue }
                                    _ = try await fixture.gate.submit(SubmissionRequest(job: job))
                                    submitted += 1
                                }
                            }
                        }
                    }
                }
            }
            // Extensions, of each official model and mode that can be extended.
            for model in ["kling-v1", "kling-v1-6"] {
                for mode in [Mode.std, .pro] {
                    let parent = try await fixture.gate.submit(SubmissionRequest(job: VideoJob(provider: .kling, model: model, mode: mode, prompt: "a fox")), wait: true)
                    _ = try await fixture.gate.submit(
                        SubmissionRequest(job: VideoJob(provider: .kling, kind: .extend, prompt: "on"), extending: parent.submission.id))
                    submitted += 2
                }
            }
            try await fixture.syncUntilSettled()
            let all = try fixture.ledger.submissions()
            #expect(submitted > 40, "the catalog was walked")
            #expect(all.count == submitted)
            for record in all {
                #expect(record.state == .succeeded, "\(record.job.summary): \(record.state) \(record.errorMessage ?? "")")
                #expect(record.chargedAboveHold == nil, "\(record.job.summary) was quoted \(record.quote?.amount.formatted ?? "?") but charged \(record.actualCost?.formatted ?? "?")")
            }
        }
    }

    @Test("A settlement above its hold warns, says so in the result, and raises an overrun alert on the hard budget", arguments: LedgerBackend.all)
    func chargeAboveHold(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let hard = try fixture.ledger.setBudget(BudgetSpec(scope: .all, period: .month, limit: USD(micros: 10_000_000)))
            try fixture.ledger.setBudget(BudgetSpec(scope: .team("video"), period: .month, limit: USD(micros: 10_000_000), enforcement: .soft))
            fixture.sandbox.inject(.deductUnits(try #require(Units("3.5"))), provider: .kling)
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(), team: "video"), wait: true)
            #expect(result.chargedAboveHold == USD(micros: 350_000))
            #expect(result.warnings.contains(.chargedAboveHold(quote: cents14, cost: USD(micros: 490_000))))
            let overruns = try fixture.ledger.alerts().filter { $0.kind == .overrun }
            #expect(overruns.map(\.budget?.budgetID) == [hard.id], "only the hard budget")
            #expect(overruns.first?.percent == 350)
            #expect(overruns.first?.message.contains("charged more than it held") == true)
        }
    }

    // MARK: 4. Idempotency keys

    @Test("The same key with a different request is refused, naming what differs; the same request is a replay", arguments: LedgerBackend.all)
    func idempotencyKeyReuse(_ backend: LedgerBackend) async throws {
        try await GateFixture.with(backend: backend) { fixture in
            let first = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("a fox"), team: "video", idempotencyKey: "k1"))
            let replay = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("a fox"), team: "video", idempotencyKey: "k1"))
            #expect(replay.decision == .replayed)
            #expect(replay.submission.id == first.submission.id)
            do {
                _ = try await fixture.gate.submit(SubmissionRequest(job: cheapJob("a bear"), team: "research", idempotencyKey: "k1"))
                Issue.record("a different request under the same key was accepted")
            } catch let error as GateError {
                #expect(error == .idempotencyKeyReused(key: "k1", submission: first.submission.id, differences: ["prompt", "team"]))
            }
            var negative = cheapJob("a fox")
            negative.negativePrompt = "blur"
            await #expect(throws: GateError.self) { try await fixture.gate.submit(SubmissionRequest(job: negative, team: "video", idempotencyKey: "k1")) }
            #expect(fixture.sandbox.tasks.count == 1)
        }
    }

    // MARK: 7. Without waiting, every provider returns once the task is created

    @Test("AceData without wait returns as soon as the task exists, and sync settles it", arguments: LedgerBackend.all, Provider.allCases)
    func noWaitReturnsAtCreate(_ backend: LedgerBackend, _ provider: Provider) async throws {
        try await GateFixture.with(backend: backend, delay: .seconds(3)) { fixture in
            let result = try await fixture.gate.submit(SubmissionRequest(job: cheapJob(provider: provider)))
            #expect(result.submission.state == .submitted, "\(provider) returned \(result.submission.state)")
            #expect(fixture.sandbox.tasks.only?.finishesAt ?? .distantPast > Date(), "it returned before the video was done")
        }
    }

    // MARK: Helpers

    /// A pending submission with its hold, as a sender that died before sending leaves it.
    private func reservePending(_ fixture: GateFixture, provider: Provider, sender: SenderIdentity) throws -> String {
        let id = "kl-test-\(UUID().uuidString.prefix(8))"
        let job = try cheapJob(provider: provider).validated()
        let quote = try fixture.gate.prices.quote(job)
        let draft = NewSubmission(
            id: id, idempotencyKey: id, job: job, quote: QuotedPrice(quote), state: .pending,
            externalTaskID: provider == .kling ? id : nil, sender: sender)
        guard case .reserved = try fixture.ledger.reserve(draft) else { throw CancellationError() }
        return id
    }

    /// The identity of a process on this host that has ended.
    private func deadSender() throws -> SenderIdentity {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return SenderIdentity(host: SenderIdentity.current.host, pid: process.processIdentifier, started: "gone")
    }
}
