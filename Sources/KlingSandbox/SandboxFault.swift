import KlingCore

/// A misbehaviour injected into the sandbox's next answer, next task or next lookup.
public enum SandboxFault: Sendable, Equatable {
    // Faults of one answer: each is used by one request.

    /// Refuse with an official business code (1302, 1303, 5001…) and its HTTP status. The
    /// resellers answer their own equivalent: 429 for limits, 503 or 500 otherwise.
    case refuse(code: Int)
    /// Answer this HTTP status with the provider's error body; nothing is created.
    case serverError(status: Int)
    /// Do the work, then wait this long before answering.
    case slowAnswer(Duration)
    /// Wait this long before doing anything, then answer 503 with nothing created: a request
    /// stuck in front of the provider.
    case hang(Duration)
    /// Create the task, then close the connection without answering.
    case dropAfterCreate
    /// Create the task, then answer 200 with a body that is not JSON.
    case malformedBody

    // Faults of one task: all waiting ones apply to the next task created.

    /// The task fails while processing (for the official API, a 1301 content-safety block).
    case failTask(message: String)
    /// The final callback is posted this many times.
    case repeatCallbacks(Int)
    /// The task deducts these units instead of the official table's.
    case deductUnits(Units)

    // A fault of the provider's memory: persistent, for the task it hits.

    /// The provider forgets a task. The next query of this provider that finds a task answers
    /// as if the task did not exist, and so does every later query of that task (by id or
    /// external id) until the sandbox stops; other tasks are unaffected. Inject it twice to
    /// forget two tasks.
    ///
    /// Not found is what each provider answers for an unknown id: HTTP 404 with business code
    /// 1203 in the official envelope (official API and KKIAI), 404 `{"error": …}` (Pixazo), 404
    /// `{success: false, error: {code: "not_found"}}` (AceData).
    ///
    /// It waits for a query whatever operation it is injected on, apart from the answer faults:
    /// a query that an answer fault refuses before the lookup leaves it waiting. The task stays
    /// in ``Sandbox/tasks``, the official list and the deduction records: the provider still
    /// ran and billed it, it only lost track of it.
    case forgetTask

    var shapesTask: Bool {
        switch self {
        case .failTask, .repeatCallbacks, .deductUnits: true
        case .refuse, .serverError, .slowAnswer, .hang, .dropAfterCreate, .malformedBody, .forgetTask: false
        }
    }
}

/// Which kind of request a fault waits for.
public enum SandboxOperation: String, Sendable, Hashable {
    case create, query
}
