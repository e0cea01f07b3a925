import Foundation
import Gate
import KlingAPI
import KlingCore
import Ledger
import Logging
import Pricing

/// The steps every surface shares — the official API's and each reseller's — whatever shape
/// its requests and answers take: a create through the gate, and a caller's own task found and
/// re-read. Refusals are `KlingRefusal`s (the official codes); each surface's dialect renders
/// them as its provider does.
extension Gateway {
    /// Validate → quote → hold → send → record, as `submit` does.
    ///
    /// - Parameter externalTaskID: the caller's own id: the same id from the same scope is the
    ///   same task (a retry sends nothing), and the provider is sent the submission id instead,
    ///   so a create whose answer was lost can always be found again.
    /// - Returns: the submission, accepted by the provider (or replayed).
    /// - Throws: `KlingRefusal` for anything that did not create a task.
    func submit(_ job: VideoJob, externalTaskID: String?, caller: GatewayKey, context: GatewayContext) async throws -> (SubmissionRecord, replayed: Bool) {
        if let url = job.callbackURL, !configuration.allowPrivateCallbacks, let why = CallbackAddress.refusal(url) {
            throw KlingRefusal(
                1201, "callback_url: \(why). The gateway posts callbacks from its own host, so it refuses those; its operator can allow them "
                    + "(serve --allow-private-callbacks)")
        }
        let extending = try await original(of: job, for: caller)
        let submission = SubmissionRequest(
            job: job, team: caller.scope.team, project: caller.scope.project, user: caller.scope.user, tags: ["gateway_key": caller.id],
            idempotencyKey: externalTaskID.map(caller.scope.idempotencyKey(externalTaskID:)), unitPriceOverride: unitPrice,
            extending: extending, relayingCallbacks: providerCallbackAddress(job.provider))
        let result: GateResult
        do {
            result = try await gate.submit(submission)
        } catch {
            metrics.create(outcome: "invalid")
            throw Self.refusal(for: error)
        }
        context.log.submission(result.submission.id)
        let record = result.submission
        switch (result.decision, record.state) {
        case (.refusedByBudget(let refusal), _):
            metrics.create(outcome: "refused_by_budget")
            throw KlingRefusal(
                1103, "\(refusal.description). Nothing was sent and nothing is held: ask the budget's owner to raise it, or wait for its next period")
        case (_, .sendFailed):
            metrics.create(outcome: "not_created")
            throw Self.providerRefusal(record)
        case (_, .unknown):
            metrics.create(outcome: "outcome_unknown", held: record.balance.held.micros)
            throw KlingRefusal(
                5002,
                "the provider's answer was lost: the task may exist, and its cost stays held until the gateway finds out. "
                    + (externalTaskID.map { "Query it as \($0), or retry with the same external_task_id: that cannot create it twice" }
                        ?? (job.provider == .kling || job.provider == .kkiai
                            ? "Send an external_task_id with creates, so that a retry cannot create a task twice"
                            : "Retrying may create a second task; the gateway settles this one either way")))
        case (.replayed, _):
            metrics.create(outcome: "replayed")
            return (record, true)
        default:
            metrics.create(outcome: "accepted", held: record.balance.held.micros)
            return (record, false)
        }
    }

    /// One of the caller's own tasks, by the provider's task id (or the caller's external id,
    /// where the provider has one); another scope's task is "not found", as if it did not exist.
    func callerTask(_ id: String, provider: Provider, kind: VideoKind?, caller: GatewayKey, context: GatewayContext) async throws -> SubmissionRecord {
        let found = try await gate.withLedger(.write) { ledger -> SubmissionRecord? in
            if let record = try ledger.submission(providerTaskID: id, provider: provider), caller.scope.owns(record) { return record }
            guard let record = try ledger.submission(idempotencyKey: caller.scope.idempotencyKey(externalTaskID: id)), record.job.provider == provider
            else { return nil }
            return record
        }
        guard let record = found, kind.map({ record.job.kind == $0 }) ?? true else {
            throw KlingRefusal(1203, "task \(id) not found among this key's \(kind?.rawValue ?? "") tasks")
        }
        context.log.submission(record.id)
        return record
    }

    /// The task as the provider answers now (a finished one is settled on the spot), or as the
    /// ledger last recorded it when the provider cannot be read.
    func read(_ record: SubmissionRecord) async throws -> TaskView {
        guard record.providerTaskID != nil else { return .recorded(record) }
        do {
            let (updated, snapshot) = try await gate.refresh(record)
            return .read(updated, snapshot)
        } catch {
            logger.warning(
                "provider not read; answering from the ledger", metadata: ["submission": "\(record.id)", "error": "\(error.localizedDescription)"])
            return .recorded(try await gate.withLedger(.write) { try $0.submission(id: record.id) } ?? record)
        }
    }

    /// The submission whose video an extension extends: one of the caller's own, since its
    /// model and mode price the extension (and another team's videos are not the caller's).
    private func original(of job: VideoJob, for caller: GatewayKey) async throws -> String? {
        guard job.kind == .extend, let videoID = job.videoID else { return nil }
        let original = try await gate.withLedger(.write) { try $0.submission(deliveringVideo: videoID, provider: job.provider) }
        guard let original, caller.scope.owns(original) else {
            throw KlingRefusal(
                1201,
                "video_id \(videoID): not a video of a task this key's scope made through this gateway. Its model and mode price the "
                    + "extension, so only those videos can be extended here")
        }
        return original.id
    }

    /// A refusal before anything was held or sent, as the official API words its codes.
    static func refusal(for error: any Error) -> any Error {
        switch error {
        case let invalid as JobValidationError:
            let problems = invalid.problems.map { "\($0.field) = \($0.value): \($0.rule)" }
            return KlingRefusal(1201, problems.joined(separator: "; "))
        case let refusal as KlingRefusal:
            return refusal
        case let error as GateError:
            if case .idempotencyKeyReused(_, _, let differences) = error {
                return KlingRefusal(
                    1201, "external_task_id was already used for a different request (it differs in \(differences.joined(separator: ", "))); use a new one")
            }
            return KlingRefusal(1201, error.localizedDescription)
        case let error as CatalogError:
            return KlingRefusal(1201, error.localizedDescription)
        case let error as PricingError:
            return KlingRefusal(1201, "the gateway cannot price this job: \(error.localizedDescription)")
        case let error as AccountError:
            return KlingRefusal(5000, "the gateway is not configured for this provider (\(error.localizedDescription)); tell its operator")
        default:
            return error
        }
    }

    /// The provider refused the create: nothing was created and the hold is released. Its own
    /// code is passed on when it gave one.
    static func providerRefusal(_ record: SubmissionRecord) -> KlingRefusal {
        let message = record.errorMessage ?? "the provider refused the task"
        if let code = record.errorCode.flatMap({ Int($0) }), OfficialErrorCode.table.contains(where: { $0.code == code }) {
            return KlingRefusal(code, message)
        }
        return KlingRefusal(5001, "\(message). Nothing was created and nothing is held: try again later")
    }
}

/// A caller's task as the gateway can show it.
enum TaskView {
    /// Read from the provider just now (and settled, if it ended).
    case read(SubmissionRecord, TaskSnapshot)
    /// As the ledger last recorded it: not yet created, or the provider could not be read.
    case recorded(SubmissionRecord)

    var record: SubmissionRecord {
        switch self {
        case .read(let record, _), .recorded(let record): record
        }
    }

    /// The provider's snapshot, or one drawn from the ledger's record.
    var snapshot: TaskSnapshot {
        switch self {
        case .read(_, let snapshot): snapshot
        case .recorded(let record): TaskSnapshot(recorded: record)
        }
    }
}

extension TaskSnapshot {
    /// A task as the ledger last recorded it.
    init(recorded record: SubmissionRecord) {
        let state: TaskSnapshot.State =
            switch record.state {
            case .succeeded: .succeeded
            case .failed, .sendFailed, .rejected: .failed
            case .processing, .unknown: .processing
            case .pending, .submitted: .submitted
            }
        let videos = record.videoURLs.enumerated().map { index, url in
            DeliveredVideo(id: record.videoIDs.indices.contains(index) ? record.videoIDs[index] : nil, url: url)
        }
        self.init(
            providerTaskID: record.providerTaskID ?? "", state: state, finalUnitDeduction: record.finalUnitDeduction, videos: videos,
            failureMessage: state == .failed ? record.errorMessage ?? "failed" : nil, createdAt: record.createdAt, updatedAt: record.updatedAt)
    }
}
