import Foundation
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

    /// - Parameters:
    ///   - clients: the client for each provider; by default from the environment
    ///     (credentials and base URLs), over AsyncHTTPClient.
    ///   - alerts: posts alerts to their webhook targets right after the money moved, and
    ///     retries the ones due on every submit and sync.
    public init(
        ledgerPath: String, prices: PriceBook,
        clients: @escaping @Sendable (Provider) throws -> KlingClient = { try KlingClient(account: .fromEnvironment($0)) },
        alerts: AlertCourier? = AlertCourier()
    ) {
        self.ledgerPath = ledgerPath
        self.prices = prices
        self.clients = clients
        self.alerts = alerts
    }

    /// Opens the ledger for one unit of work. Each call has its own connection, so a gate can
    /// be shared by concurrent tasks.
    func ledger() throws -> Ledger { try Ledger(path: ledgerPath) }

    // MARK: Submit

    /// Submits one job through the gate.
    ///
    /// - Parameters:
    ///   - wait: poll the task until it ends and settle it.
    ///   - timeout: how long to wait; the task goes on (and `sync` settles it) if it passes.
    /// - Returns: the submission as recorded, and what the gate decided.
    /// - Throws: only when the ledger cannot be used or a credential is missing: in both
    ///   cases nothing was held or sent.
    public func submit(
        _ request: SubmissionRequest, wait: Bool = false, timeout: Duration? = nil,
        progress: (@Sendable (SubmissionProgress) -> Void)? = nil
    ) async throws -> GateResult {
        let ledger = try ledger()
        let result = try await submit(request, wait: wait, timeout: timeout, progress: progress, ledger: ledger)
        await deliverAlerts(ledger)  // those the settlement raised, and earlier ones due again
        return result
    }

    private func submit(
        _ request: SubmissionRequest, wait: Bool, timeout: Duration?, progress: (@Sendable (SubmissionProgress) -> Void)?, ledger: Ledger
    ) async throws -> GateResult {
        let id = Self.newSubmissionID()
        let key = request.idempotencyKey ?? id
        if let existing = try ledger.submission(idempotencyKey: key) {
            return GateResult(submission: existing, decision: .existing, warnings: [])
        }
        var job = request.job
        if job.externalTaskID == nil, Self.acceptsExternalID(job.provider) { job.externalTaskID = id }
        var draft = NewSubmission(
            id: id, idempotencyKey: key, job: job.billable, aspectRatio: job.aspectRatio?.rawValue, team: request.team,
            project: request.project, user: request.user, tags: request.tags, quote: nil, state: .rejected, externalTaskID: job.externalTaskID,
            prompt: job.shots?.map(\.prompt).joined(separator: " | ") ?? job.prompt)

        // Validate and quote: a refusal here is recorded, costs nothing and sends nothing.
        let quote: Quote
        do {
            draft.job = try job.validated()
            quote = try prices.quote(draft.job, unitPriceOverride: request.unitPriceOverride)
        } catch {
            let message = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
            let record = try ledger.recordRejection(draft, code: "invalid", message: message)
            return GateResult(submission: record, decision: record.id == id ? .invalid(message) : .existing, warnings: [])
        }
        let client = try clients(job.provider)  // a missing credential stops here, before any hold

        // Reserve: hold the quote against every budget, durably, or record the refusal.
        draft.quote = QuotedPrice(quote)
        draft.state = .pending
        let record: SubmissionRecord
        var warnings: [String] = []
        switch try ledger.reserve(draft) {
        case .existing(let existing): return GateResult(submission: existing, decision: .existing, warnings: [])
        case .refused(let refused, let budget):
            return GateResult(submission: refused, decision: .refusedByBudget(BudgetRefusal(budget: budget, quote: quote.amount)), warnings: [])
        case .reserved(let reserved, let overSoft):
            record = reserved
            warnings = overSoft.map { "over soft budget \($0.id), \($0.name): limit \($0.spec.limit.formatted), used \($0.used.formatted) before this job" }
        }
        progress?(.reserved(id: id, quote: quote.amount))
        await deliverAlerts(ledger)  // the hold may have crossed a threshold: tell it before the long wait

        // Send, and record what came back.
        let sent = try await send(job, record: record, client: client, ledger: ledger)
        guard sent.state == .submitted || sent.state == .processing, let taskID = sent.providerTaskID else {
            return GateResult(submission: sent, decision: .sent, warnings: warnings)
        }
        progress?(.sent(providerTaskID: taskID))
        guard wait else { return GateResult(submission: sent, decision: .sent, warnings: warnings) }

        // Wait and settle.
        do {
            let snapshot = try await client.waitUntilFinished(taskID: taskID, kind: job.kind, timeout: timeout) { snapshot, elapsed in
                progress?(.waiting(state: snapshot.state, elapsed: elapsed))
            }
            let (settled, warning) = try settle(sent, with: snapshot, ledger: ledger)
            return GateResult(submission: settled, decision: .sent, warnings: warnings + (warning.map { [$0] } ?? []))
        } catch let error as WaitTimedOut {
            let current = try ledger.submission(id: id) ?? sent
            return GateResult(submission: current, decision: .sent, warnings: warnings + ["\(error.localizedDescription); `kling-ledger sync` settles it later"])
        } catch let failure as ProviderFailure {
            let current = try ledger.submission(id: id) ?? sent
            return GateResult(submission: current, decision: .sent, warnings: warnings + ["stopped waiting: \(failure.localizedDescription); `kling-ledger sync` settles it later"])
        }
    }

    /// What submitting would do, with nothing held, sent or recorded.
    public func dryRun(_ request: SubmissionRequest) throws -> DryRun {
        let job = try request.job.validated()
        let quote = try prices.quote(job, unitPriceOverride: request.unitPriceOverride)
        let budgets = try ledger().budgets(applyingTo: job.provider, team: request.team, project: request.project, user: request.user)
        return DryRun(quote: quote, budgets: budgets)
    }

    /// Sends the create and records the answer: the task id, a definitive refusal (hold
    /// released), or a lost answer (hold kept).
    private func send(_ job: VideoJob, record: SubmissionRecord, client: KlingClient, ledger: Ledger) async throws -> SubmissionRecord {
        let snapshot: TaskSnapshot
        do {
            snapshot = try await client.create(job)
        } catch let failure as ProviderFailure {
            switch failure.category {
            case .notCreated, .retryLater, .resignAndRetry:
                return try ledger.markSendFailed(record.id, code: failure.code, message: failure.localizedDescription)
            case .outcomeUnknown:
                return try ledger.markUnknown(record.id, code: failure.code, message: failure.localizedDescription)
            }
        } catch {
            // Cancelled, or anything unexpected: the request may have left, so the hold stays.
            return try ledger.markUnknown(record.id, code: nil, message: "interrupted while sending: \(error)")
        }
        let sent = try ledger.markSent(record.id, providerTaskID: snapshot.providerTaskID, state: SubmissionState(openTask: snapshot.state))
        guard snapshot.state.isFinished else { return sent }
        return try settle(sent, with: snapshot, ledger: ledger).0  // AceData's blocking create answers finished
    }

    // MARK: Alerts

    /// Posts the alerts that are due. Never fails the gate's work: an alert that cannot be
    /// delivered stays in the outbox for the next attempt.
    func deliverAlerts(_ ledger: Ledger) async {
        guard let alerts, (try? ledger.hasDueDeliveries()) == true else { return }
        _ = try? await alerts.deliver(ledger: ledger)
    }

    // MARK: Settle

    /// Records where a task stands; a finished one is settled to its real cost. When its cost
    /// cannot be worked out (a missing or malformed figure), the hold stays and a warning says why.
    func settle(_ record: SubmissionRecord, with snapshot: TaskSnapshot, ledger: Ledger) throws -> (SubmissionRecord, String?) {
        switch snapshot.state {
        case .submitted, .processing:
            let state = SubmissionState(openTask: snapshot.state)
            guard record.state != state || record.providerTaskID != snapshot.providerTaskID else { return (record, nil) }
            return (try ledger.markSent(record.id, providerTaskID: snapshot.providerTaskID, state: state), nil)
        case .failed:
            return (try ledger.settle(record.id, .failed(message: snapshot.failureMessage ?? "failed")), nil)
        case .succeeded:
            guard let quote = record.quote else { throw LedgerError.corrupt("submission \(record.id) has no quote") }
            let outcome = TaskOutcome.succeeded(finalUnitDeduction: snapshot.finalUnitDeduction, deliveredSeconds: snapshot.videos.compactMap(\.duration))
            do {
                let settlement = try prices.settle(record.job, versionID: quote.version, unitPrice: quote.unitPrice, outcome: outcome)
                let settled = try ledger.settle(
                    record.id,
                    .succeeded(cost: settlement.amount, finalUnitDeduction: snapshot.finalUnitDeduction, videoURLs: snapshot.videos.map(\.url), note: settlement.basis))
                return (settled, nil)
            } catch let error as PricingError {
                return (record, "task \(snapshot.providerTaskID) succeeded but its cost cannot be worked out (\(error.localizedDescription)); its money stays held")
            }
        }
    }

    // MARK: Identity

    /// A new local id: sortable by time, unique, safe in a URL.
    static func newSubmissionID() -> String {
        let milliseconds = UInt64(Date().timeIntervalSince1970 * 1000)
        let random = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        return "kl-" + String(milliseconds, radix: 36) + "-" + random
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
        let source: UnitPriceSource? =
            switch quote.unitPrice?.origin {
            case .table: .table
            case .environment: .environment
            case .option: .option
            case nil: nil
            }
        self.init(
            amount: quote.amount, units: quote.units, unitPrice: quote.unitPrice?.amount, unitPriceSource: source,
            table: quote.tableFile, version: quote.versionID, rule: quote.ruleDescription)
    }
}
