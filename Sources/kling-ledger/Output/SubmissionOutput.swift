import Foundation
import Pricing
import KlingAPI
import Gate
import KlingCore
import Ledger

/// A submission as `--json` prints it: money as exact decimal strings, `null` until known.
struct SubmissionJSON: Encodable {
    let id: String
    let idempotency_key: String
    let state: String
    let provider: String
    let kind: String
    @Nullable var model: String?
    @Nullable var mode: String?
    let duration_seconds: Int
    let sound: Bool
    @Nullable var team: String?
    @Nullable var project: String?
    @Nullable var user: String?
    let tags: [String: String]
    @Nullable var provider_task_id: String?
    @Nullable var external_task_id: String?
    @Nullable var parent_id: String?
    @Nullable var quote_usd: String?
    @Nullable var quote_units: String?
    @Nullable var unit_price_usd: String?
    @Nullable var price_table: String?
    @Nullable var price_version: String?
    @Nullable var cost_usd: String?
    @Nullable var charged_above_hold_usd: String?
    @Nullable var final_unit_deduction: String?
    let held_usd: String
    let charged_usd: String
    let video_ids: [String]
    let video_urls: [String]
    @Nullable var error: String?
    let created_at: String
    let updated_at: String

    init(_ record: SubmissionRecord) {
        id = record.id
        idempotency_key = record.idempotencyKey
        state = record.state.rawValue
        provider = record.job.provider.rawValue
        kind = record.job.kind.rawValue
        model = record.job.model
        mode = record.job.mode?.rawValue
        duration_seconds = record.job.durationSeconds
        sound = record.job.sound
        team = record.team
        project = record.project
        user = record.user
        tags = record.tags
        provider_task_id = record.providerTaskID
        external_task_id = record.externalTaskID
        parent_id = record.parentID
        quote_usd = record.quote?.amount.decimalString
        quote_units = record.quote?.units?.decimalString
        unit_price_usd = record.quote?.unitPrice?.decimalString
        price_table = record.quote?.table
        price_version = record.quote?.version
        cost_usd = record.actualCost?.decimalString
        charged_above_hold_usd = record.chargedAboveHold?.decimalString
        final_unit_deduction = record.finalUnitDeduction
        held_usd = record.balance.held.decimalString
        charged_usd = record.balance.charged.decimalString
        video_ids = record.videoIDs
        video_urls = record.videoURLs
        error = record.errorMessage
        created_at = Timestamp.string(record.createdAt)
        updated_at = Timestamp.string(record.updatedAt)
    }
}

/// What `submit --json` prints: the submission, and what the gate did with it.
struct SubmitResultJSON: Encodable {
    let submission: SubmissionJSON
    let replayed: Bool
    let interrupted: Bool
    let warnings: [String]
    @Nullable var refused_by_budget: Int64?

    init(_ result: GateResult) {
        submission = SubmissionJSON(result.submission)
        replayed = result.decision == .replayed
        interrupted = result.interrupted
        warnings = result.warnings.map(\.description)
        if case .refusedByBudget(let refusal) = result.decision { refused_by_budget = refusal.budget.id }
    }

    enum CodingKeys: String, CodingKey { case replayed, interrupted, warnings, refused_by_budget }

    /// One flat object: the submission's keys and the gate's.
    func encode(to encoder: any Encoder) throws {
        try submission.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(replayed, forKey: .replayed)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encode(warnings, forKey: .warnings)
        try container.encode(_refused_by_budget, forKey: .refused_by_budget)
    }
}

enum SubmissionText {
    /// A few lines: what, where it stands, its money.
    static func describe(_ record: SubmissionRecord) -> String {
        var lines = ["\(record.id)  \(record.state.rawValue)  \(record.job.summary)"]
        var money: [String] = []
        if let quote = record.quote {
            let units = quote.units.map { " = \(unitsText($0.decimalString)) × \(quote.unitPrice?.formatted ?? "?")" } ?? ""
            money.append("quote \(quote.amount.formatted)\(units) (\(quote.table) \(quote.version))")
        }
        if let cost = record.actualCost { money.append("cost \(cost.formatted)") }
        if let deduction = record.finalUnitDeduction { money.append("deducted \(unitsText(deduction))") }
        if record.balance.held > .zero { money.append("held \(record.balance.held.formatted)") }
        if !money.isEmpty { lines.append("  " + money.joined(separator: ", ")) }
        if let over = record.chargedAboveHold { lines.append("  CHARGED \(over.formatted) ABOVE ITS HOLD") }
        let who = [record.team.map { "team \($0)" }, record.project.map { "project \($0)" }, record.user.map { "user \($0)" }].compactMap { $0 }
        if !who.isEmpty { lines.append("  for " + who.joined(separator: ", ")) }
        if let parent = record.parentID { lines.append("  extends submission \(parent)") }
        if let task = record.providerTaskID { lines.append("  provider task \(task)") }
        for (index, url) in record.videoURLs.enumerated() {
            let id = index < record.videoIDs.count ? "\(record.videoIDs[index]) " : ""
            lines.append("  video \(id)\(url)")
        }
        if let error = record.errorMessage { lines.append("  \(error)") }
        return lines.joined(separator: "\n")
    }

    /// `1 unit`, `2.5 units`.
    static func unitsText(_ decimal: String) -> String { decimal == "1" ? "1 unit" : "\(decimal) units" }

    /// One line for `list`.
    static func line(_ record: SubmissionRecord) -> String {
        let money = record.actualCost.map { "cost \($0.formatted)" } ?? record.quote.map { "quote \($0.amount.formatted)" } ?? ""
        return [record.id, record.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0), Timestamp.string(record.createdAt).prefix(16) + "Z",
                record.team ?? "-", record.job.summary, money].joined(separator: "  ")
    }

    /// Where an interrupted submission stands, and how to go on.
    static func interrupted(_ record: SubmissionRecord) -> String {
        let provider = record.job.provider.displayName
        switch record.state {
        case .sendFailed:
            return "Interrupted before sending: \(record.id) was not sent and its hold was released."
        case .unknown, .pending:
            return "Interrupted while sending: \(record.id) may have been created at \(provider); its \(record.balance.held.formatted) stays held. "
                + "Run `kling-ledger sync` to find out (`kling-ledger status \(record.id)` shows it)."
        case .submitted, .processing:
            return "Interrupted while waiting: \(record.id) is \(record.state.rawValue) at \(provider) as task \(record.providerTaskID ?? "?") and goes on. "
                + "`kling-ledger sync` settles it when it ends (`kling-ledger status \(record.id)` shows it)."
        case .succeeded, .failed, .rejected:
            return "Interrupted after \(record.id) ended: it is \(record.state.rawValue)."
        }
    }
}

extension SubmissionRecord {
    /// The documented exit status for a submission's outcome.
    func exitStatus(waited: Bool, stoppedWaiting: Bool) -> ExitStatus {
        switch state {
        case .rejected: return .refusedByBudget
        case .sendFailed: return Self.credentialCodes.contains(errorCode ?? "") ? .noPermission : .unavailable
        case .unknown: return .notFinished
        case .failed: return .taskFailed
        case .submitted, .processing, .pending: return waited && stoppedWaiting ? .notFinished : .success
        case .succeeded: return .success
        }
    }

    /// The refusals that mean the credential was not accepted: the official codes documented
    /// with HTTP 401 or 403 (read from the one table of them), a bare 401/403 from any provider
    /// (recorded as `http 401`), and AceData's `invalid_token`.
    private static let credentialCodes: Set<String> =
        Set(OfficialErrorCode.table.filter { [401, 403].contains($0.httpStatus) }.map { String($0.code) })
        .union(["http 401", "http 403", "invalid_token"])
}

/// A live progress line on a terminal (overwritten in place); state changes only otherwise.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let quiet: Bool
    private var lastState: String?
    private var active = false
    /// The submission's id, once its hold is placed: what an interruption reports.
    private(set) var submissionID: String?

    init(quiet: Bool) {
        self.quiet = quiet
    }

    func update(_ progress: SubmissionProgress) {
        lock.lock()
        defer { lock.unlock() }
        if case .reserved(let id, _) = progress { submissionID = id }
        guard !quiet else { return }
        let text: String
        switch progress {
        case .reserved(let id, let quote): text = "\(id): \(quote.formatted) held; sending"
        case .sent(let task): text = "sent: provider task \(task)"
        case .waiting(let state, let elapsed): text = "\(state.rawValue) · \(elapsed.components.seconds) s"
        }
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            active = true
        } else {
            let key: String
            if case .waiting(let state, _) = progress { key = state.rawValue } else { key = text }
            guard key != lastState else { return }
            lastState = key
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    /// Ends the live line so what follows starts on its own line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if active { FileHandle.standardError.write(Data("\n".utf8)) }
        active = false
    }
}
