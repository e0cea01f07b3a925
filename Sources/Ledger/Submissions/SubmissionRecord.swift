import Foundation
import KlingCore

/// A submission as the ledger holds it, with its money.
public struct SubmissionRecord: Sendable, Equatable {
    public let id: String
    public let idempotencyKey: String
    public let job: BillableJob
    public let aspectRatio: String?
    public let team: String?
    public let project: String?
    public let user: String?
    public let tags: [String: String]
    public let quote: QuotedPrice?
    public let state: SubmissionState
    public let providerTaskID: String?
    public let externalTaskID: String?
    public let finalUnitDeduction: String?
    /// The settled cost; `nil` until the task ends.
    public let actualCost: USD?
    public let videoURLs: [String]
    public let errorCode: String?
    public let errorMessage: String?
    public let createdAt: Date
    public let updatedAt: Date
    public let balance: MoneyBalance
    /// The provider's ids of the delivered videos (what `--video-id` of an extension names).
    public let videoIDs: [String]
    /// The submission this one extends.
    public let parentID: String?
    /// The process that placed the hold, where recorded.
    public let sender: SenderIdentity?
    public let requestFingerprint: String?
    /// The job's prompt (the shots' prompts joined for a multi-shot job).
    public let prompt: String?
    /// Where the gateway relays the task's status changes.
    public let relayedCallbackURL: String?

    /// Whether the submission still waits on a provider or a person.
    public var isOpen: Bool { state.isOpen }
}

extension SubmissionState {
    /// The states that hold money or may still: pending, submitted, processing, unknown.
    public static let open: Set<SubmissionState> = [.pending, .submitted, .processing, .unknown]

    public var isOpen: Bool { Self.open.contains(self) }
}

extension Ledger {
    static let submissionColumns = """
        s.id, s.idempotency_key, s.provider, s.kind, s.model, s.mode, s.duration_seconds, s.sound, s.aspect_ratio,
        s.team, s.project, s.user_name, s.tags, s.quote_micros, s.quote_units, s.unit_price_micros, s.unit_price_source,
        s.price_table, s.price_version, s.price_rule, s.state, s.provider_task_id, s.external_task_id,
        s.final_unit_deduction, s.actual_cost_micros, s.video_urls, s.error_code, s.error_message, s.created_at, s.updated_at,
        (SELECT \(heldSum()) FROM entries WHERE submission_id = s.id),
        (SELECT \(chargedSum()) FROM entries WHERE submission_id = s.id),
        s.video_ids, s.parent_id, s.sender_host, s.sender_pid, s.sender_started, s.request_fingerprint, s.prompt, s.relayed_callback_url
        """

    /// One submission by its id, or `nil`.
    public func submission(id: String) throws(LedgerError) -> SubmissionRecord? {
        try submissions(where: "s.id = ?", [.text(id)]).first
    }

    /// The submission recorded under an idempotency key, or `nil`.
    public func submission(idempotencyKey: String) throws(LedgerError) -> SubmissionRecord? {
        try submissions(where: "s.idempotency_key = ?", [.text(idempotencyKey)]).first
    }

    /// Submissions still waiting on the provider or on a person: pending, submitted,
    /// processing and unknown, oldest first.
    public func openSubmissions() throws(LedgerError) -> [SubmissionRecord] {
        try submissions(where: "s.state IN ('pending', 'submitted', 'processing', 'unknown')", [])
    }

    /// The submission that delivered a video, by the provider's video id, or `nil`.
    public func submission(deliveringVideo videoID: String, provider: Provider) throws(LedgerError) -> SubmissionRecord? {
        try submissions(
            where: "s.provider = ? AND s.video_ids <> '[]' AND EXISTS (SELECT 1 FROM json_each(s.video_ids) WHERE value = ?)",
            [.text(provider.rawValue), .text(videoID)]
        ).first
    }

    /// Submissions matching a filter, oldest first.
    public func submissions(
        createdFrom start: Date? = nil, until end: Date? = nil, team: String? = nil, state: SubmissionState? = nil,
        provider: Provider? = nil, limit: Int? = nil
    ) throws(LedgerError) -> [SubmissionRecord] {
        var conditions = ["1"]
        var values: [SQLValue] = []
        if let provider {
            conditions.append("s.provider = ?")
            values.append(.text(provider.rawValue))
        }
        if let start {
            conditions.append("s.created_at >= ?")
            values.append(.text(Timestamp.string(start)))
        }
        if let end {
            conditions.append("s.created_at < ?")
            values.append(.text(Timestamp.string(end)))
        }
        if let team {
            conditions.append("s.team = ?")
            values.append(.text(team))
        }
        if let state {
            conditions.append("s.state = ?")
            values.append(.text(state.rawValue))
        }
        return try submissions(where: conditions.joined(separator: " AND "), values, limit: limit)
    }

    func submissions(
        where condition: String, _ values: [SQLValue], newestFirst: Bool = false, limit: Int? = nil, offset: Int = 0
    ) throws(LedgerError) -> [SubmissionRecord] {
        let order = newestFirst ? "s.created_at DESC, s.rowid DESC" : "s.created_at, s.rowid"
        let limitClause = limit.map { " LIMIT \(max(0, $0)) OFFSET \(max(0, offset))" } ?? ""
        return try connection.query(
            "SELECT \(Self.submissionColumns) FROM submissions s WHERE \(condition) ORDER BY \(order)\(limitClause)", values
        ) { row throws(LedgerError) in try Self.record(row) }
    }

    /// A JSON array of strings; the empty one, most rows' value, without a decoder.
    private static func strings(_ json: String) -> [String] {
        json == "[]" ? [] : (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    private static func record(_ row: Row) throws(LedgerError) -> SubmissionRecord {
        let id = row.text(0)
        guard let provider = Provider(rawValue: row.text(2)), let kind = VideoKind(rawValue: row.text(3)),
            let state = SubmissionState(rawValue: row.text(20)),
            let created = Timestamp.date(row.text(28)), let updated = Timestamp.date(row.text(29))
        else { throw .corrupt("submission \(id)") }
        let mode = row.optionalText(5).flatMap(Mode.init(rawValue:))
        let job = BillableJob(
            provider: provider, kind: kind, model: row.optionalText(4), mode: mode, durationSeconds: Int(row.int64(6)),
            sound: row.int64(7) == 1)
        let tagsText = row.text(12)
        let tags = tagsText == "{}" ? [:] : (try? JSONDecoder().decode([String: String].self, from: Data(tagsText.utf8))) ?? [:]
        let quote = row.optionalInt64(13).map { micros in
            QuotedPrice(
                amount: USD(micros: micros), units: row.optionalText(14).flatMap { Units($0) },
                unitPrice: row.optionalInt64(15).map { USD(micros: $0) },
                unitPriceSource: row.optionalText(16).flatMap(UnitPriceSource.init(rawValue:)), table: row.optionalText(17) ?? "",
                version: row.optionalText(18) ?? "", rule: row.optionalText(19) ?? "")
        }
        let urls = Self.strings(row.text(25))
        return SubmissionRecord(
            id: id, idempotencyKey: row.text(1), job: job, aspectRatio: row.optionalText(8), team: row.optionalText(9),
            project: row.optionalText(10), user: row.optionalText(11), tags: tags, quote: quote, state: state,
            providerTaskID: row.optionalText(21), externalTaskID: row.optionalText(22), finalUnitDeduction: row.optionalText(23),
            actualCost: row.optionalInt64(24).map { USD(micros: $0) }, videoURLs: urls, errorCode: row.optionalText(26),
            errorMessage: row.optionalText(27), createdAt: created, updatedAt: updated,
            balance: MoneyBalance(held: USD(micros: row.int64(30)), charged: USD(micros: row.int64(31))),
            videoIDs: Self.strings(row.text(32)),
            parentID: row.optionalText(33),
            sender: row.optionalText(34).map { SenderIdentity(host: $0, pid: Int32(clamping: row.int64(35)), started: row.optionalText(36)) },
            requestFingerprint: row.optionalText(37), prompt: row.optionalText(38), relayedCallbackURL: row.optionalText(39))
    }
}
