import KlingCore

/// Where a submission stands. See `shared/DESIGN.md`, "Submission states".
public enum SubmissionState: String, CaseIterable, Sendable, Codable {
    /// The hold is committed; nothing has been sent yet.
    case pending
    /// The provider gave a task id.
    case submitted
    case processing
    /// Finished and charged; the hold released.
    case succeeded
    /// Finished without a video; the hold released, nothing charged.
    case failed
    /// Refused before sending (validation or budget); kept for the audit trail, no money.
    case rejected
    /// The provider definitively refused to create the task; the hold released.
    case sendFailed = "send_failed"
    /// Sent, but the answer was lost: the task may exist, so the hold is kept.
    case unknown
}

extension SubmissionState {
    /// The state as an SQL literal, so that queries name states through this type and a state
    /// renamed here cannot be missed in a query.
    var sql: String { "'\(rawValue)'" }

    /// States as an SQL list: `('pending', 'submitted')`.
    static func sql(_ states: some Sequence<SubmissionState>) -> String {
        "(" + states.map(\.sql).sorted().joined(separator: ", ") + ")"
    }
}

/// A movement of money in the ledger. Rows are never changed or deleted.
public enum EntryKind: String, CaseIterable, Sendable, Codable {
    /// Reserves the quote against budgets before sending.
    case hold
    /// Frees (part of) a hold.
    case release
    /// The real cost of a finished task.
    case charge
    /// A signed correction to what was charged, with a note (operator resolutions).
    case adjust
}

/// The price a submission was quoted, as the ledger stores it.
public struct QuotedPrice: Sendable, Equatable {
    public var amount: USD
    /// The provider units, for unit-priced quotes.
    public var units: Units?
    /// The unit price the units were converted at.
    public var unitPrice: USD?
    /// Where that unit price came from; reports name it.
    public var unitPriceSource: UnitPriceSource?
    /// The price table (provider) consulted.
    public var table: String
    public var version: String
    /// The rule used, as the pricing engine described it.
    public var rule: String

    public init(
        amount: USD, units: Units?, unitPrice: USD?, unitPriceSource: UnitPriceSource?, table: String, version: String,
        rule: String
    ) {
        self.amount = amount
        self.units = units
        self.unitPrice = unitPrice
        self.unitPriceSource = unitPriceSource
        self.table = table
        self.version = version
        self.rule = rule
    }
}

/// Where the unit price of a unit-priced quote came from.
public enum UnitPriceSource: String, Sendable, Codable {
    /// The table's list price.
    case table
    /// `KLING_UNIT_PRICE`.
    case environment
    /// `--unit-price` or a library caller.
    case option
}

/// A submission about to be recorded.
public struct NewSubmission: Sendable {
    /// The local id, sent as `external_task_id` where the provider accepts one.
    public var id: String
    /// The same key twice means the same submission.
    public var idempotencyKey: String
    public var job: BillableJob
    public var aspectRatio: String?
    public var team: String?
    public var project: String?
    public var user: String?
    public var tags: [String: String]
    /// The quote; `nil` only for a refusal that could not be priced.
    public var quote: QuotedPrice?
    public var state: SubmissionState
    public var externalTaskID: String?
    /// The job's prompt, kept so that line items can be told apart. Never a secret.
    public var prompt: String?
    /// A digest of everything the request asked for: the same idempotency key with another
    /// fingerprint is another request, and is refused.
    public var requestFingerprint: String?
    /// The submission whose video this one extends.
    public var parentID: String?
    /// The process placing the hold.
    public var sender: SenderIdentity?
    /// Where the gateway relays the task's status changes (the caller's `callback_url`; the
    /// provider calls the gateway instead).
    public var relayedCallbackURL: String?

    public init(
        id: String, idempotencyKey: String, job: BillableJob, aspectRatio: String? = nil, team: String? = nil,
        project: String? = nil, user: String? = nil, tags: [String: String] = [:], quote: QuotedPrice?,
        state: SubmissionState, externalTaskID: String? = nil, prompt: String? = nil, requestFingerprint: String? = nil,
        parentID: String? = nil, sender: SenderIdentity? = nil, relayedCallbackURL: String? = nil
    ) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.job = job
        self.aspectRatio = aspectRatio
        self.team = team
        self.project = project
        self.user = user
        self.tags = tags
        self.quote = quote
        self.state = state
        self.externalTaskID = externalTaskID
        self.prompt = prompt
        self.requestFingerprint = requestFingerprint
        self.parentID = parentID
        self.sender = sender
        self.relayedCallbackURL = relayedCallbackURL
    }
}

/// A video the provider delivered: its id (what an extension names) and its address.
public struct DeliveredVideoRecord: Sendable, Equatable {
    public var id: String?
    public var url: String

    public init(id: String?, url: String) {
        self.id = id
        self.url = url
    }
}

/// A submission's money: what it holds and what it has been charged.
public struct MoneyBalance: Sendable, Equatable {
    /// Holds minus releases.
    public var held: USD
    /// Charges plus adjustments.
    public var charged: USD

    public init(held: USD, charged: USD) {
        self.held = held
        self.charged = charged
    }
}
