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
        s.balance_held_micros AS held_micros, s.balance_charged_micros AS charged_micros,
        s.video_ids, s.parent_id, s.sender_host, s.sender_pid, s.sender_started, s.request_fingerprint, s.prompt, s.relayed_callback_url
        """

    /// One submission by its id, or `nil`.
    public func submission(id: String) throws(LedgerError) -> SubmissionRecord? {
        try serialized { () throws(LedgerError) in
            try submissions(where: "s.id = ?", [.text(id)]).first
        }
    }

    /// The submission recorded under an idempotency key, or `nil`.
    public func submission(idempotencyKey: String) throws(LedgerError) -> SubmissionRecord? {
        try serialized { () throws(LedgerError) in
            try submissions(where: "s.idempotency_key = ?", [.text(idempotencyKey)]).first
        }
    }

    /// Submissions still waiting on the provider or on a person: pending, submitted,
    /// processing and unknown, oldest first.
    public func openSubmissions() throws(LedgerError) -> [SubmissionRecord] {
        try serialized { () throws(LedgerError) in
            try submissions(where: "s.state IN \(SubmissionState.sql(SubmissionState.open))", [])
        }
    }

    /// The submission that delivered a video, by the provider's video id, or `nil`.
    public func submission(deliveringVideo videoID: String, provider: Provider) throws(LedgerError) -> SubmissionRecord? {
        try serialized { () throws(LedgerError) in
            try submissions(
                where: "s.provider = ? AND s.video_ids <> '[]' AND \(connection.dialect.jsonArrayContainsParameter("s.video_ids"))",
                [.text(provider.rawValue), .text(videoID)]
            ).first
        }
    }

    /// Submissions matching a filter, oldest first.
    public func submissions(
        createdFrom start: Date? = nil, until end: Date? = nil, team: String? = nil, state: SubmissionState? = nil,
        provider: Provider? = nil, limit: Int? = nil
    ) throws(LedgerError) -> [SubmissionRecord] {
        try serialized { () throws(LedgerError) in
            var conditions = ["TRUE"]
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
    }

    func submissions(
        where condition: String, _ values: [SQLValue], newestFirst: Bool = false, limit: Int? = nil, offset: Int = 0
    ) throws(LedgerError) -> [SubmissionRecord] {
        try serialized { () throws(LedgerError) in
            let tie = connection.dialect.insertionOrder("s")
            let order = newestFirst ? "s.created_at DESC, \(tie) DESC" : "s.created_at, \(tie)"
            let limitClause = limit.map { " LIMIT \(max(0, $0)) OFFSET \(max(0, offset))" } ?? ""
            return try connection.query(
                "SELECT \(Self.submissionColumns) FROM submissions s WHERE \(condition) ORDER BY \(order)\(limitClause)", values
            ) { row throws(LedgerError) in try Self.record(row) }
        }
    }

    /// A JSON array of strings (the ledger wrote it).
    private static func strings(_ json: String) -> [String] {
        json == "[]" ? [] : ((try? JSONValue(parsing: json))?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// A JSON object of strings (the ledger wrote it).
    private static func tags(_ json: String) -> [String: String] {
        json == "{}" ? [:] : ((try? JSONValue(parsing: json))?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    private static func record(_ row: Row) throws(LedgerError) -> SubmissionRecord {
        let id = row.text("id")
        guard let provider = Provider(rawValue: row.text("provider")), let kind = VideoKind(rawValue: row.text("kind")),
            let state = SubmissionState(rawValue: row.text("state")),
            let created = Timestamp.date(row.text("created_at")), let updated = Timestamp.date(row.text("updated_at"))
        else { throw .corrupt("submission \(id)") }
        let job = BillableJob(
            provider: provider, kind: kind, model: row.optionalText("model"), mode: row.optionalText("mode").flatMap(Mode.init(rawValue:)),
            durationSeconds: Int(row.int64("duration_seconds")), sound: row.int64("sound") == 1)
        let quote = row.optionalInt64("quote_micros").map { micros in
            QuotedPrice(
                amount: USD(micros: micros), units: row.optionalText("quote_units").flatMap { Units($0) },
                unitPrice: row.optionalInt64("unit_price_micros").map { USD(micros: $0) },
                unitPriceSource: row.optionalText("unit_price_source").flatMap(UnitPriceSource.init(rawValue:)),
                table: row.optionalText("price_table") ?? "", version: row.optionalText("price_version") ?? "",
                rule: row.optionalText("price_rule") ?? "")
        }
        return SubmissionRecord(
            id: id, idempotencyKey: row.text("idempotency_key"), job: job, aspectRatio: row.optionalText("aspect_ratio"),
            team: row.optionalText("team"), project: row.optionalText("project"), user: row.optionalText("user_name"), tags: Self.tags(row.text("tags")),
            quote: quote, state: state, providerTaskID: row.optionalText("provider_task_id"), externalTaskID: row.optionalText("external_task_id"),
            finalUnitDeduction: row.optionalText("final_unit_deduction"), actualCost: row.optionalInt64("actual_cost_micros").map { USD(micros: $0) },
            videoURLs: Self.strings(row.text("video_urls")), errorCode: row.optionalText("error_code"),
            errorMessage: row.optionalText("error_message"), createdAt: created, updatedAt: updated,
            balance: MoneyBalance(held: USD(micros: row.int64("held_micros")), charged: USD(micros: row.int64("charged_micros"))),
            videoIDs: Self.strings(row.text("video_ids")), parentID: row.optionalText("parent_id"),
            sender: row.optionalText("sender_host").map {
                SenderIdentity(host: $0, pid: Int32(clamping: row.int64("sender_pid")), started: row.optionalText("sender_started"))
            },
            requestFingerprint: row.optionalText("request_fingerprint"), prompt: row.optionalText("prompt"),
            relayedCallbackURL: row.optionalText("relayed_callback_url"))
    }
}
