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
    let model: String?
    let mode: String?
    let duration_seconds: Int
    let sound: Bool
    let team: String?
    let project: String?
    let user: String?
    let tags: [String: String]
    let provider_task_id: String?
    let external_task_id: String?
    let quote_usd: String?
    let quote_units: String?
    let unit_price_usd: String?
    let price_table: String?
    let price_version: String?
    let cost_usd: String?
    let final_unit_deduction: String?
    let held_usd: String
    let charged_usd: String
    let video_urls: [String]
    let error: String?
    let created_at: String
    let updated_at: String
    let warnings: [String]?

    init(_ record: SubmissionRecord, warnings: [String]? = nil) {
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
        quote_usd = record.quote?.amount.decimalString
        quote_units = record.quote?.units?.decimalString
        unit_price_usd = record.quote?.unitPrice?.decimalString
        price_table = record.quote?.table
        price_version = record.quote?.version
        cost_usd = record.actualCost?.decimalString
        final_unit_deduction = record.finalUnitDeduction
        held_usd = record.balance.held.decimalString
        charged_usd = record.balance.charged.decimalString
        video_urls = record.videoURLs
        error = record.errorMessage
        created_at = Timestamp.string(record.createdAt)
        updated_at = Timestamp.string(record.updatedAt)
        self.warnings = warnings
    }
}

enum SubmissionText {
    /// A few lines: what, where it stands, its money.
    static func describe(_ record: SubmissionRecord) -> String {
        var lines = ["\(record.id)  \(record.state.rawValue)  \(record.job.summary)"]
        var money: [String] = []
        if let quote = record.quote {
            let units = quote.units.map { " = \($0.decimalString) units × \(quote.unitPrice?.formatted ?? "?")" } ?? ""
            money.append("quote \(quote.amount.formatted)\(units) (\(quote.table) \(quote.version))")
        }
        if let cost = record.actualCost { money.append("cost \(cost.formatted)") }
        if let deduction = record.finalUnitDeduction { money.append("deducted \(deduction) units") }
        if record.balance.held > .zero { money.append("held \(record.balance.held.formatted)") }
        if !money.isEmpty { lines.append("  " + money.joined(separator: ", ")) }
        let who = [record.team.map { "team \($0)" }, record.project.map { "project \($0)" }, record.user.map { "user \($0)" }].compactMap { $0 }
        if !who.isEmpty { lines.append("  for " + who.joined(separator: ", ")) }
        if let task = record.providerTaskID { lines.append("  provider task \(task)") }
        for url in record.videoURLs { lines.append("  video \(url)") }
        if let error = record.errorMessage { lines.append("  \(error)") }
        return lines.joined(separator: "\n")
    }

    /// One line for `list`.
    static func line(_ record: SubmissionRecord) -> String {
        let money = record.actualCost.map { "cost \($0.formatted)" } ?? record.quote.map { "quote \($0.amount.formatted)" } ?? ""
        return [record.id, record.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0), Timestamp.string(record.createdAt).prefix(16) + "Z",
                record.team ?? "-", record.job.summary, money].joined(separator: "  ")
    }
}

extension SubmissionRecord {
    /// The documented exit code for a submission's outcome: 3 refused by a budget, 64
    /// invalid, 69 not created or outcome unknown, 0 otherwise.
    var exitCode: Int32 {
        switch state {
        case .rejected: errorCode == "budget" ? ExitStatus.refusedByBudget : ExitStatus.invalidRequest
        case .sendFailed, .unknown: ExitStatus.providerUnavailable
        default: 0
        }
    }
}

/// A live progress line on a terminal (overwritten in place); state changes only otherwise.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastState: String?
    private var active = false

    func update(_ progress: SubmissionProgress) {
        lock.lock()
        defer { lock.unlock() }
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
