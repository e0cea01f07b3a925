import Foundation
import Synchronization
import KlingAPI
import KlingCore
import Ledger
import Pricing

/// The budget gate: validate → quote → reserve (hold against every budget) → send → record →
/// poll → settle. Usable from a Swift program and by the command line alike.
///
/// The ledger is written before anything is sent and after everything that comes back, so a
/// crash at any point leaves a submission `sync` can finish.
public struct Gate: Sendable {
    public let ledgerPath: String
    public let prices: PriceBook
    let clients: @Sendable (Provider) throws -> KlingClient
    /// Delivers the alerts the gate's transactions raise; `nil` leaves them in the outbox.
    let alerts: AlertCourier?
    /// Where AceData posts results: with a callback URL it answers a create at once instead of
    /// when the video is done. The gate polls the task either way.
    let aceDataCallbackURL: String

    /// `ACEDATA_CALLBACK_URL`, else an address that resolves nowhere (`.invalid` is reserved
    /// for that, RFC 2606): AceData's callback is only a hint the gate does not need.
    public static func aceDataCallbackURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["ACEDATA_CALLBACK_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://callback.kling-ledger.invalid/acedata"
    }

    /// - Parameters:
    ///   - clients: the client for each provider; by default from the environment
    ///     (credentials and base URLs), over AsyncHTTPClient.
    ///   - alerts: posts alerts to their webhook targets right after the money moved, and
    ///     retries the ones due on every submit and sync.
    public init(
        ledgerPath: String, prices: PriceBook,
        clients: @escaping @Sendable (Provider) throws -> KlingClient = { try KlingClient(account: .fromEnvironment($0)) },
        alerts: AlertCourier? = AlertCourier(), aceDataCallbackURL: String = Gate.aceDataCallbackURL(), soleSenderInProcess: Bool = false
    ) {
        self.soleSenderInProcess = soleSenderInProcess
        self.ledgerPath = ledgerPath
        self.prices = prices
        self.clients = clients
        self.alerts = alerts
        self.aceDataCallbackURL = aceDataCallbackURL
        self.store = GateLedger(path: ledgerPath)
    }

    /// The gate's ledger: opened once and shared by all its work (read-only uses open their own).
    let store: GateLedger
    /// The submissions this gate is sending right now (held, answer not yet recorded). A
    /// `pending` row of this process that is not among them was left by a send whose record
    /// failed: `sync` then treats its sender as gone and looks it up.
    let inFlight = SendingNow()
    /// Whether this gate is the only one sending from its process (the gateway's): then a
    /// `pending` row of this process that the gate is not sending was left by a send whose
    /// record failed, and `sync` looks it up instead of waiting for a sender that is not there.
    let soleSenderInProcess: Bool

    /// Runs one unit of work with a connection of its own, so a gate can be shared by
    /// concurrent tasks (a gateway's requests read their callers' keys and tasks this way).
    ///
    /// On PostgreSQL every ledger call waits for a round trip: the work then runs on the
    /// ledger's own threads, so that callers waiting on the server never hold all of the
    /// cooperative pool. SQLite's calls are local and short, and stay where they are.
    public func withLedger<Result>(_ access: Ledger.Access = .create, _ body: (Ledger) async throws -> Result) async throws -> Result {
        guard store.isRemote else { return try await store.with(access, body) }
        return try await onLedgerThreads { try await store.with(access, body) }
    }

    /// The same, for synchronous callers (the command line's). Async code uses `withLedger`,
    /// which keeps PostgreSQL's waits off the cooperative pool.
    public func withLedgerBlocking<Result>(_ access: Ledger.Access = .create, _ body: (Ledger) throws -> Result) throws -> Result {
        try store.with(access, body)
    }

    // MARK: Submit

    /// Submits one job through the gate.
    ///
    /// - Parameters:
    ///   - wait: poll the task until it ends and settle it.
    ///   - timeout: how long to wait; the task goes on (and `sync` settles it) if it passes.
    /// - Returns: the submission as recorded, and what the gate decided. When the calling task
    ///   is cancelled (Ctrl-C), the result says where the submission was left (`interrupted`).
    /// - Throws: before anything is recorded, held or sent: an invalid or unpriceable job
    ///   (`JobValidationError`, `PricingError`, `CatalogError`), a reused idempotency key or an
    ///   extension that cannot be priced (`GateError`), a missing credential (`AccountError`),
    ///   an unusable ledger (`LedgerError`), or cancellation before the hold.
    public func submit(
        _ request: SubmissionRequest, wait: Bool = false, timeout: Duration? = nil,
        progress: (@Sendable (SubmissionProgress) -> Void)? = nil
    ) async throws -> GateResult {
        try await withLedger { ledger in try await submit(request, wait: wait, timeout: timeout, progress: progress, ledger: ledger) }
    }

    private func submit(
        _ request: SubmissionRequest, wait: Bool, timeout: Duration?, progress: (@Sendable (SubmissionProgress) -> Void)?, ledger: Ledger
    ) async throws -> GateResult {
        // Validate and quote: a refusal here writes nothing, holds nothing and sends nothing.
        let (job, parentID) = try resolveExtension(request, ledger: ledger)
        let billable = try job.validated()
        let quote = try prices.quote(billable, unitPriceOverride: request.unitPriceOverride)
        let id = Self.newSubmissionID()
        var sending = job
        if sending.externalTaskID == nil, Self.acceptsExternalID(job.provider) { sending.externalTaskID = id }
        if let providerAddress = request.relayingCallbacks { sending.callbackURL = providerAddress(id) }
        if sending.provider == .acedata, sending.callbackURL == nil { sending.callbackURL = aceDataCallbackURL }
        let draft = NewSubmission(
            id: id, idempotencyKey: request.idempotencyKey ?? id, job: billable, aspectRatio: job.aspectRatio?.rawValue, team: request.team,
            project: request.project, user: request.user, tags: request.tags, quote: QuotedPrice(quote), state: .pending,
            externalTaskID: sending.externalTaskID, prompt: job.shots?.map(\.prompt).joined(separator: " | ") ?? job.prompt,
            requestFingerprint: RequestFingerprint(request, job: job, resolved: billable).value, parentID: parentID, sender: .current,
            relayedCallbackURL: request.relayingCallbacks == nil ? nil : job.callbackURL)
        // A caller's key may name an earlier submission; a fresh id (no key given) cannot.
        if request.idempotencyKey != nil, let existing = try ledger.submission(idempotencyKey: draft.idempotencyKey) {
            return try replay(existing, draft)
        }
        let client = try clients(job.provider)  // a missing credential stops here, before any hold
        try Task.checkCancellation()

        // From before its hold until its answer is recorded, this gate is sending it: a `sync`
        // meanwhile leaves it alone (after, a pending row of this process means a lost record).
        inFlight.insert(id)
        defer { inFlight.remove(id) }

        // Reserve: hold the quote against every budget, durably, or record the refusal.
        let record: SubmissionRecord
        var warnings: [GateWarning] = []
        // In a transaction shared with the other holds placed at this moment: one fsync for all.
        switch try await ledger.batched({ try $0.reserve(draft) }) {
        case .existing(let existing): return try replay(existing, draft)
        case .refused(let refused, let budget):
            return GateResult(submission: refused, decision: .refusedByBudget(BudgetRefusal(budget: budget, quote: quote.amount)))
        case .reserved(let reserved, let overSoft):
            record = reserved
            warnings = overSoft.map(GateWarning.overSoftBudget)
        }
        progress?(.reserved(id: id, quote: quote.amount))
        if Task.isCancelled {
            let released = try ledger.markSendFailed(id, code: "interrupted", message: "interrupted before sending: nothing was sent")
            return GateResult(submission: released, decision: .sent, warnings: warnings, interrupted: true)
        }

        // Send, and record what came back. Nothing runs between the hold and the send (alerts
        // wait until after it), so a pending row is never old while its sender is still at work.
        let sent = try await send(sending, record: record, client: client, ledger: ledger)
        if let warning = sent.1 { warnings.append(warning) }
        await deliverAlerts(ledger)  // the hold may have crossed a threshold: tell it before the long wait
        guard sent.0.state == .submitted || sent.0.state == .processing, let taskID = sent.0.providerTaskID else {
            return GateResult(submission: sent.0, decision: .sent, warnings: warnings + overrun(sent.0), interrupted: Task.isCancelled)
        }
        progress?(.sent(providerTaskID: taskID))
        guard wait, !Task.isCancelled else {
            return GateResult(submission: sent.0, decision: .sent, warnings: warnings, interrupted: Task.isCancelled)
        }

        // Wait and settle.
        do {
            let snapshot = try await client.waitUntilFinished(taskID: taskID, kind: job.kind, timeout: timeout) { snapshot, elapsed in
                progress?(.waiting(state: snapshot.state, elapsed: elapsed))
            }
            let (settled, warning) = try await settle(sent.0, with: snapshot, ledger: ledger)
            await deliverAlerts(ledger)  // those the settlement raised
            return GateResult(submission: settled, decision: .sent, warnings: warnings + [warning].compactMap { $0 } + overrun(settled))
        } catch let error as WaitTimedOut {
            let current = try ledger.submission(id: id) ?? sent.0
            return GateResult(submission: current, decision: .sent, warnings: warnings + [.stoppedWaiting(reason: error.localizedDescription)])
        } catch let failure as ProviderFailure {
            let current = try ledger.submission(id: id) ?? sent.0
            return GateResult(
                submission: current, decision: .sent, warnings: warnings + [.stoppedWaiting(reason: "stopped waiting: \(failure.localizedDescription)")])
        } catch is CancellationError {
            return GateResult(submission: try ledger.submission(id: id) ?? sent.0, decision: .sent, warnings: warnings, interrupted: true)
        }
    }

    /// The same key again: the first submission if the request is the same, else a refusal
    /// naming what differs.
    private func replay(_ existing: SubmissionRecord, _ draft: NewSubmission) throws -> GateResult {
        if let fingerprint = existing.requestFingerprint, fingerprint == draft.requestFingerprint {
            return GateResult(submission: existing, decision: .replayed)
        }
        let differences = RequestFingerprint.differences(between: existing, and: draft)
        // A submission recorded before fingerprints were kept: its kept fields decide.
        if existing.requestFingerprint == nil, differences.count == 1, differences[0].hasPrefix("fields the ledger does not keep") {
            return GateResult(submission: existing, decision: .replayed)
        }
        throw GateError.idempotencyKeyReused(key: draft.idempotencyKey, submission: existing.id, differences: differences)
    }

    private func overrun(_ record: SubmissionRecord) -> [GateWarning] {
        guard let quote = record.quote?.amount, let cost = record.actualCost, cost > quote else { return [] }
        return [.chargedAboveHold(quote: quote, cost: cost)]
    }

    /// What submitting would do, with nothing held, sent or recorded. A ledger that does not
    /// exist yet has no budgets, and is not created.
    public func dryRun(_ request: SubmissionRequest) throws -> DryRun {
        let ledger = try Self.existingLedger(at: ledgerPath)
        let (job, _) = try resolveExtension(request, ledger: ledger)
        let quote = try prices.quote(try job.validated(), unitPriceOverride: request.unitPriceOverride)
        let budgets = try ledger?.budgets(applyingTo: job.provider, team: request.team, project: request.project, user: request.user) ?? []
        return DryRun(quote: quote, budgets: budgets)
    }

    /// The ledger at `path` opened to read, or `nil` when there is none yet.
    private static func existingLedger(at path: String) throws -> Ledger? {
        let result = Result { () throws(LedgerError) in try Ledger(path: path, access: .read) }
        if case .failure(.missing) = result { return nil }
        return try result.get()
    }

    /// Sends the create and records the answer: the task id, a definitive refusal (hold
    /// released), or a lost answer (hold kept).
    private func send(_ job: VideoJob, record: SubmissionRecord, client: KlingClient, ledger: Ledger) async throws -> (SubmissionRecord, GateWarning?) {
        let snapshot: TaskSnapshot
        do {
            snapshot = try await client.create(job)
        } catch let failure as ProviderFailure {
            switch failure.category {
            case .notCreated, .retryLater, .resignAndRetry:
                let (code, message) = (failure.code ?? failure.httpStatus.map { "http \($0)" }, failure.localizedDescription)
                return (try await ledger.batched { try $0.markSendFailed(record.id, code: code, message: message) }, nil)
            case .outcomeUnknown:
                let (code, message) = (failure.code, failure.localizedDescription)
                return (try await ledger.batched { try $0.markUnknown(record.id, code: code, message: message) }, nil)
            }
        } catch {
            // Cancelled, or anything unexpected: the request may have left, so the hold stays.
            return (
                try await ledger.batched {
                    try $0.markUnknown(record.id, code: nil, message: "interrupted while sending: the task may exist; `kling-ledger sync` finds out")
                }, nil
            )
        }
        let sent = try await ledger.batched { try $0.markSent(record.id, providerTaskID: snapshot.providerTaskID, state: SubmissionState(openTask: snapshot.state)) }
        guard snapshot.state.isFinished else { return (sent, nil) }
        return try await settle(sent, with: snapshot, ledger: ledger)  // a provider may answer finished at once
    }

    // MARK: Alerts

    /// Posts the alerts that are due. Never fails the gate's work: an alert that cannot be
    /// delivered stays in the outbox for the next attempt.
    func deliverAlerts(_ ledger: Ledger) async {
        guard let alerts, !ledger.isReadOnly, (try? ledger.hasDueDeliveries()) == true else { return }
        _ = try? await alerts.deliver(ledger: ledger)
    }

    // MARK: Settle

    /// Records where a task stands; a finished one is settled to its real cost. When its cost
    /// cannot be worked out (a missing or malformed figure), the hold stays and a warning says why.
    func settle(_ record: SubmissionRecord, with snapshot: TaskSnapshot, ledger: Ledger) async throws -> (SubmissionRecord, GateWarning?) {
        switch snapshot.state {
        case .submitted, .processing:
            let state = SubmissionState(openTask: snapshot.state)
            guard record.state != state || record.providerTaskID != snapshot.providerTaskID else { return (record, nil) }
            return (try await ledger.batched { try $0.markSent(record.id, providerTaskID: snapshot.providerTaskID, state: state) }, nil)
        case .failed:
            let message = snapshot.failureMessage ?? "failed"
            return (try await ledger.batched { try $0.settle(record.id, .failed(message: message)) }, nil)
        case .succeeded:
            guard let quote = record.quote else { throw LedgerError.corrupt("submission \(record.id) has no quote") }
            let outcome = TaskOutcome.succeeded(finalUnitDeduction: snapshot.finalUnitDeduction, deliveredSeconds: snapshot.videos.compactMap(\.duration))
            do {
                let settlement = try prices.settle(record.job, versionID: quote.version, unitPrice: quote.unitPrice, outcome: outcome)
                let videos = snapshot.videos.map { DeliveredVideoRecord(id: $0.id, url: $0.url) }
                let outcome = Settled.succeeded(
                    cost: settlement.amount, finalUnitDeduction: snapshot.finalUnitDeduction, videos: videos, note: settlement.basis)
                let settled = try await ledger.batched { try $0.settle(record.id, outcome) }
                return (settled, nil)
            } catch let error as PricingError {
                return (record, .costUnknown(reason: "task \(snapshot.providerTaskID) succeeded but its cost cannot be worked out (\(error.localizedDescription)); its money stays held"))
            }
        }
    }

    // MARK: Identity

    /// A new local id: sortable by time, unique, safe in a URL.
    static func newSubmissionID() -> String {
        let milliseconds = UInt64(Date().timeIntervalSince1970 * 1000)
        return "kl-" + String(milliseconds, radix: 36) + "-" + RandomIdentifier.hex(bytes: 8)
    }

    /// The official API and KKIAI take `external_task_id`; only the official API can look a
    /// task up by it.
    static func acceptsExternalID(_ provider: Provider) -> Bool { provider == .kling || provider == .kkiai }
}

extension SubmissionState {
    /// The ledger state of a task the provider has not finished: processing, else submitted.
    init(openTask state: TaskSnapshot.State) {
        self = state == .processing ? .processing : .submitted
    }
}

extension QuotedPrice {
    /// What the ledger stores of a quote.
    public init(_ quote: Quote) {
        let source = quote.unitPrice.map(Self.source(of:))
        self.init(
            amount: quote.amount, units: quote.units, unitPrice: quote.unitPrice?.amount, unitPriceSource: source,
            table: quote.tableFile, version: quote.versionID, rule: quote.ruleDescription)
    }

    /// Where a unit price came from, as the ledger records it.
    static func source(of price: UnitPrice) -> UnitPriceSource {
        switch price.origin {
        case .table: .table
        case .environment: .environment
        case .option: .option
        }
    }
}

/// The ids a gate is sending at this moment.
final class SendingNow: Sendable {
    private let ids = Mutex<Set<String>>([])
    func insert(_ id: String) { _ = ids.withLock { $0.insert(id) } }
    func remove(_ id: String) { _ = ids.withLock { $0.remove(id) } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}
