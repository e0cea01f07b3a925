import Foundation
import KlingCore
import Logging

/// The embedded client for one provider account: validates a job, creates its task, reads it
/// back and waits for it to finish, retrying what the provider asks to be retried.
///
/// Errors it throws: `JobValidationError` (nothing was sent), `ProviderFailure` (its category
/// says what happened to the task), `WaitTimedOut`, and `CancellationError`.
public struct KlingClient: Sendable {
    public let account: ProviderAccount
    public var policy: ClientPolicy
    private let transport: any HTTPTransport
    private let authorization: Authorization
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// - Parameter now: this machine's clock, used to sign tokens (replaceable to test skew).
    public init(
        account: ProviderAccount, transport: any HTTPTransport = AsyncHTTPTransport.shared, policy: ClientPolicy = .standard,
        logger: Logger = Logger(label: "kling-ledger.client"), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.account = account
        self.policy = policy
        self.transport = transport
        self.authorization = Authorization(credential: account.credential)
        self.logger = logger
        self.now = now
    }

    public var provider: Provider { account.provider }
    private var wire: any ProviderWire { provider.wire }

    /// Validates the job against every documented limit, then creates its task.
    ///
    /// A job that breaks a limit throws `JobValidationError` and sends nothing.
    public func create(_ job: VideoJob) async throws -> TaskSnapshot {
        guard job.provider == provider else {
            throw ProviderFailure(
                provider: provider, category: .notCreated,
                message: "a \(job.provider.displayName) job cannot be sent with a \(provider.displayName) client")
        }
        let resolved = try job.validated()
        // Nothing has left yet: a request that cannot be built was certainly not created.
        let request: WireRequest
        do {
            request = try wire.createRequest(for: job, resolved: resolved)
        } catch {
            throw ProviderFailure(provider: provider, category: .notCreated, message: "the request could not be built: \(error.localizedDescription)")
        }
        // Without a callback URL, AceData answers only when the video is done.
        let timeout = provider == .acedata && job.callbackURL == nil ? policy.blockingCreateTimeout : policy.requestTimeout
        let wire = wire
        return try await exchange(request, creating: true, timeout: timeout) { response throws(ProviderFailure) in
            try wire.decodeCreate(response)
        }
    }

    /// Reads one task by the provider's id.
    public func task(id: String, kind: VideoKind) async throws -> TaskSnapshot {
        let wire = wire
        return try await exchange(try wire.queryRequest(taskID: id, kind: kind), creating: false, timeout: policy.requestTimeout) {
            response throws(ProviderFailure) in try wire.decodeQuery(response, kind: kind)
        }
    }

    /// Looks a task up by the caller's own id (`external_task_id`), to learn whether a create
    /// whose answer was lost made a task. Only the official API can answer.
    public func lookUp(externalTaskID: String, kind: VideoKind) async throws -> ExternalLookup {
        guard provider == .kling else {
            return .cannotTell(reason: "\(provider.displayName) cannot find a task by the caller's id")
        }
        do {
            return .found(try await task(id: externalTaskID, kind: kind))
        } catch let failure as ProviderFailure where failure.code == "1203" || (failure.code == nil && failure.httpStatus == 404) {
            return .absent
        } catch let failure as ProviderFailure {
            return .cannotTell(reason: failure.localizedDescription)
        }
    }

    /// One page of the official API's recent tasks of a kind, newest first.
    public func list(kind: VideoKind, page: Int = 1, pageSize: Int = 30) async throws -> [TaskSnapshot] {
        guard provider == .kling else {
            throw ProviderFailure(provider: provider, category: .notCreated, message: "\(provider.displayName) has no documented task list")
        }
        let wire = OfficialWire()
        return try await exchange(wire.listRequest(kind: kind, page: page, pageSize: pageSize), creating: false, timeout: policy.requestTimeout) {
            response throws(ProviderFailure) in try wire.decodeList(response)
        }
    }

    /// Reads the task until it ends, at the polling policy's growing intervals.
    ///
    /// Reads the provider asks to retry are retried; anything else is thrown. When `timeout`
    /// passes first, `WaitTimedOut` is thrown: the task goes on at the provider.
    /// - Parameter progress: called after every read with the snapshot and the time waited.
    public func waitUntilFinished(
        taskID: String, kind: VideoKind, timeout: Duration? = nil,
        progress: (@Sendable (TaskSnapshot, Duration) -> Void)? = nil
    ) async throws -> TaskSnapshot {
        let clock = ContinuousClock()
        let start = clock.now
        var last: TaskSnapshot?
        var attempt = 0
        while true {
            do {
                let snapshot = try await task(id: taskID, kind: kind)
                progress?(snapshot, clock.now - start)
                if snapshot.state.isFinished { return snapshot }
                last = snapshot
            } catch let failure as ProviderFailure where failure.category == .retryLater {
                logger.warning("task read failed; polling goes on", metadata: ["provider": "\(provider)", "task": "\(taskID)", "error": "\(failure.localizedDescription)"])
            }
            var interval = policy.polling.delay(attempt: attempt)
            attempt += 1
            if let timeout {
                let remaining = timeout - (clock.now - start)
                guard remaining > .zero else { throw WaitTimedOut(provider: provider, taskID: taskID, waited: clock.now - start, last: last) }
                interval = min(interval, remaining)
            }
            try await Task.sleep(for: interval)
        }
    }

    // MARK: One exchange

    /// One request that only reads, retried like a task read.
    func read<Value>(_ request: WireRequest, decode: (WireResponse) throws(ProviderFailure) -> Value) async throws -> Value {
        try await exchange(request, creating: false, timeout: policy.requestTimeout, decode: decode)
    }

    /// Sends one request and decodes its answer, signing a new token when the old one was
    /// refused, and retrying with backoff what the provider refused for now.
    private func exchange<Value>(
        _ request: WireRequest, creating: Bool, timeout: Duration,
        decode: (WireResponse) throws(ProviderFailure) -> Value
    ) async throws -> Value {
        var retries = 0
        var resigned = false
        while true {
            let (failure, serverDate): (ProviderFailure, Date?)
            switch await attempt(request, creating: creating, timeout: timeout, decode: decode) {
            case .done(let value): return value
            case .failed(let error, let date): (failure, serverDate) = (error, date)
            }
            switch failure.category {
            case .resignAndRetry where authorization.canResign && !resigned:
                logger.notice("token refused; signing a new one", metadata: ["provider": "\(provider)", "code": "\(failure.code ?? "")"])
                authorization.tokenRefused(now: now(), serverDate: serverDate)
                resigned = true
            case .resignAndRetry:
                throw ProviderFailure(
                    provider: provider, category: .notCreated, httpStatus: failure.httpStatus, code: failure.code,
                    message: "\(failure.message), even with a newly signed token: check the access key and this machine's clock")
            case .retryLater where retries < policy.maxRetries:
                let delay = policy.retry.delay(attempt: retries)
                retries += 1
                logger.warning(
                    "refused for now; retrying", metadata: ["provider": "\(provider)", "retry": "\(retries)", "delay": "\(delay)", "error": "\(failure.localizedDescription)"])
                try await Task.sleep(for: delay)
            default:
                throw failure
            }
        }
    }

    private enum Attempt<Value> {
        case done(Value)
        /// With the server's clock, when an answer arrived.
        case failed(ProviderFailure, serverDate: Date?)
    }

    private func attempt<Value>(
        _ request: WireRequest, creating: Bool, timeout: Duration, decode: (WireResponse) throws(ProviderFailure) -> Value
    ) async -> Attempt<Value> {
        let response: WireResponse
        do { response = try await send(request, creating: creating, timeout: timeout) } catch { return .failed(error, serverDate: nil) }
        do { return .done(try decode(response)) } catch { return .failed(error, serverDate: response.serverDate) }
    }

    /// One HTTP exchange, its credentials added here and nowhere else. Transport errors become
    /// provider failures saying whether the task may exist.
    private func send(_ request: WireRequest, creating: Bool, timeout: Duration) async throws(ProviderFailure) -> WireResponse {
        var headers = request.headers
        headers.merge(authorization.headers(now: now())) { _, auth in auth }
        let outgoing = TransportRequest(
            method: request.method, url: account.baseURL + request.path, headers: headers, body: request.body, timeout: timeout,
            maxResponseBytes: policy.maxResponseBytes)
        let line = "\(request.method.rawValue) \(request.path)"
        do {
            let response = try await transport.send(outgoing)
            logger.info("\(line) → \(response.status)", metadata: ["provider": "\(provider)", "bytes": "\(response.body.count)"])
            return response
        } catch {
            logger.warning("\(line) → no answer", metadata: ["provider": "\(provider)", "error": "\(error)"])
            throw failure(error, creating: creating)
        }
    }

    private func failure(_ error: TransportError, creating: Bool) -> ProviderFailure {
        switch error {
        case .notSent(let reason):
            ProviderFailure(provider: provider, category: .retryLater, message: "could not connect to \(account.baseURL) (\(reason))")
        case .answerLost(let reason):
            ProviderFailure(
                provider: provider, category: creating ? .outcomeUnknown : .retryLater,
                message: "the answer was lost (\(reason))")
        case .answerTooLarge(let limit):
            ProviderFailure(provider: provider, category: .outcomeUnknown, message: "the answer was larger than \(limit) bytes and was not read")
        case .cancelled:
            ProviderFailure(
                provider: provider, category: creating ? .outcomeUnknown : .retryLater, message: "cancelled while the request was under way")
        }
    }
}

/// What the provider says about a caller-chosen task id.
public enum ExternalLookup: Sendable, Equatable {
    /// The task exists: adopt it.
    case found(TaskSnapshot)
    /// The provider has no task with that id: nothing was created.
    case absent
    /// The provider could not answer, or cannot look tasks up this way.
    case cannotTell(reason: String)
}

/// A wait ended before the task did. The task goes on at the provider; read it again later.
public struct WaitTimedOut: Error, Sendable, LocalizedError {
    public let provider: Provider
    public let taskID: String
    public let waited: Duration
    public let last: TaskSnapshot?

    public var errorDescription: String? {
        let state = last.map { " (last seen \($0.state.rawValue))" } ?? ""
        return "\(provider.displayName) task \(taskID) had not finished after \(waited.formatted(.units(allowed: [.seconds], width: .wide)))\(state); it goes on at the provider"
    }
}
