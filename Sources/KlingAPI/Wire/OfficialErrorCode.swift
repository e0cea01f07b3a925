/// The official API's business codes (PROVIDERS.md §1, "Errors") and what each means for
/// the money held.
public enum OfficialErrorCode {
    /// One documented code.
    public struct Entry: Sendable {
        public let code: Int
        public let httpStatus: Int
        public let meaning: String
        public let category: FailureCategory
    }

    /// Every documented code.
    public static let table: [Entry] = [
        Entry(code: 1000, httpStatus: 401, meaning: "authentication failed", category: .notCreated),
        Entry(code: 1001, httpStatus: 401, meaning: "authorization is empty", category: .notCreated),
        Entry(code: 1002, httpStatus: 401, meaning: "authorization is invalid", category: .notCreated),
        Entry(code: 1003, httpStatus: 401, meaning: "token not yet valid", category: .resignAndRetry),
        Entry(code: 1004, httpStatus: 401, meaning: "token expired", category: .resignAndRetry),
        Entry(code: 1100, httpStatus: 429, meaning: "account abnormal", category: .notCreated),
        Entry(code: 1101, httpStatus: 429, meaning: "account in arrears", category: .notCreated),
        Entry(code: 1102, httpStatus: 429, meaning: "resource pack exhausted or expired", category: .notCreated),
        Entry(code: 1103, httpStatus: 403, meaning: "no permission for this model or resource", category: .notCreated),
        Entry(code: 1200, httpStatus: 400, meaning: "invalid request parameters", category: .notCreated),
        Entry(code: 1201, httpStatus: 400, meaning: "invalid parameter value", category: .notCreated),
        Entry(code: 1202, httpStatus: 404, meaning: "method not found", category: .notCreated),
        Entry(code: 1203, httpStatus: 404, meaning: "resource or model not found", category: .notCreated),
        Entry(code: 1300, httpStatus: 400, meaning: "blocked by platform policy", category: .notCreated),
        Entry(code: 1301, httpStatus: 400, meaning: "blocked by content safety", category: .notCreated),
        Entry(code: 1302, httpStatus: 429, meaning: "rate limit exceeded", category: .retryLater),
        Entry(code: 1303, httpStatus: 429, meaning: "parallel tasks over the resource pack limit", category: .retryLater),
        Entry(code: 1304, httpStatus: 429, meaning: "IP not on the whitelist", category: .notCreated),
        Entry(code: 5000, httpStatus: 500, meaning: "internal server error", category: .outcomeUnknown),
        Entry(code: 5001, httpStatus: 503, meaning: "service under maintenance", category: .retryLater),
        Entry(code: 5002, httpStatus: 504, meaning: "internal timeout", category: .outcomeUnknown),
    ]

    /// What a code means for the task.
    ///
    /// 5000 and 5002 on a create mean the server failed *while* handling it: the task may exist,
    /// so its money stays held. On a read nothing was at stake, so they are simply retried.
    /// An undocumented code keeps the hold too (fail closed).
    public static func category(for code: Int, creating: Bool) -> FailureCategory {
        guard let entry = table.first(where: { $0.code == code }) else { return creating ? .outcomeUnknown : .retryLater }
        if !creating, entry.category == .outcomeUnknown { return .retryLater }
        return entry.category
    }

    /// The documented meaning, for codes sent without a message.
    public static func meaning(of code: Int) -> String {
        table.first { $0.code == code }?.meaning ?? "undocumented code \(code)"
    }
}
