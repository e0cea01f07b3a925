import Foundation
import KlingAPI
import KlingCore
import Ledger
import Pricing

/// One submission `sync` looked at: where it was, where it is now, and why.
public struct SyncChange: Sendable {
    /// What sync could do for a submission.
    public enum Outcome: Sendable, Equatable {
        /// Settled, released, or moving at the provider: nothing to do.
        case inProgress
        /// Sync cannot settle it: a person must check the provider and run `resolve` (`advice`).
        case needsPerson
        /// The provider could not be asked this time (unreachable, refused the credential): sync
        /// again later.
        case notUpdated
    }

    public let before: SubmissionRecord
    public let after: SubmissionRecord
    public let outcome: Outcome
    public let note: String
}

extension Gate {
    /// Brings every open submission up to date with its provider:
    /// - submitted or processing: read the task; settle it if it ended. A task the provider no
    ///   longer knows becomes `unknown`: it may have run and been billed.
    /// - pending: left alone while its sender is alive (or, on another host, for `pendingGrace`);
    ///   once the sender is gone it is treated as unknown.
    /// - unknown: look the task up by the submission's id sent as `external_task_id`. Found:
    ///   adopt and settle it. Provably absent: release the hold. The provider cannot tell: it
    ///   stays `unknown` for `resolve`.
    public func sync(pendingGrace: Duration = .seconds(600), now: Date = Date()) async throws -> [SyncChange] {
        try await withLedger(.write) { ledger in
            var changes: [SyncChange] = []
            for record in try ledger.openSubmissions() {
                let (after, outcome, note) = await reconcile(record, ledger: ledger, pendingGrace: pendingGrace, now: now)
                changes.append(SyncChange(before: record, after: after, outcome: outcome, note: note))
            }
            await deliverAlerts(ledger)
            return changes
        }
    }

    private func reconcile(
        _ record: SubmissionRecord, ledger: Ledger, pendingGrace: Duration, now: Date
    ) async -> (SubmissionRecord, SyncChange.Outcome, String) {
        let resolve = "check it at \(record.job.provider.displayName), then `kling-ledger resolve \(record.id) --succeeded [--cost USD] [--task-id ID]` or `--failed`"
        do {
            let client = try clients(record.job.provider)
            switch record.state {
            case .submitted, .processing, .unknown where record.providerTaskID != nil:
                // A task id proves the task exists: it is read by that id, never looked up as if
                // it might not (an "absent" answer then means forgotten, not "never created").
                guard let taskID = record.providerTaskID else { return (record, .needsPerson, "no provider task id recorded; \(resolve)") }
                let snapshot: TaskSnapshot
                do {
                    snapshot = try await client.task(id: taskID, kind: record.job.kind)
                } catch let failure as ProviderFailure where failure.meansNotFound {
                    let message = "\(record.job.provider.displayName) no longer knows task \(taskID) (\(failure.codeDescription)); it may have run and been billed"
                    return try keepUnknown(record, ledger: ledger, message, resolve, code: "forgotten")
                }
                let (after, warning) = try await settle(record, with: snapshot, ledger: ledger)
                return (after, .inProgress, warning?.description ?? describe(snapshot))
            case .pending:
                if let waiting = stillSending(record, pendingGrace: pendingGrace, now: now) { return (record, .inProgress, waiting) }
                return try await lookUp(record, client: client, ledger: ledger, resolve: resolve, senderGone: true)
            case .unknown:
                return try await lookUp(record, client: client, ledger: ledger, resolve: resolve, senderGone: false)
            default:
                return (record, .inProgress, "already finished")
            }
        } catch {
            let message = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
            return ((try? ledger.submission(id: record.id)) ?? record, .notUpdated, "not updated: \(message)")
        }
    }

    /// Why a pending submission is left alone, or `nil` once its sender is gone.
    private func stillSending(_ record: SubmissionRecord, pendingGrace: Duration, now: Date) -> String? {
        // This very process, but not sending it: its send ended without its answer recorded.
        if soleSenderInProcess, record.sender == .current, !inFlight.contains(record.id) { return nil }
        switch record.sender?.liveness {
        case .alive?:
            return "being sent by process \(record.sender?.pid ?? 0) on this host; left alone"
        case .gone?:
            return nil
        case .elsewhere?, nil:
            let grace = pendingGrace.components.seconds
            guard now.timeIntervalSince(record.updatedAt) < Double(grace) else { return nil }
            let host = record.sender.map { " on \($0.host)" } ?? ""
            return "may be being sent by another process\(host) (pending for under \(grace) s); left alone"
        }
    }

    /// Finds out whether a task whose create has no recorded answer exists.
    private func lookUp(
        _ record: SubmissionRecord, client: KlingClient, ledger: Ledger, resolve: String, senderGone: Bool
    ) async throws -> (SubmissionRecord, SyncChange.Outcome, String) {
        let why = senderGone ? "the process sending it ended before recording the provider's answer" : "the answer to its create was lost"
        guard let externalID = record.externalTaskID else {
            return try keepUnknown(record, ledger: ledger, "\(why), and \(record.job.provider.displayName) cannot look a task up by our id", resolve)
        }
        switch try await client.lookUp(externalTaskID: externalID, kind: record.job.kind) {
        case .found(let snapshot):
            let adopted = try ledger.markSent(record.id, providerTaskID: snapshot.providerTaskID, state: SubmissionState(openTask: snapshot.state))
            let (after, warning) = try await settle(adopted, with: snapshot, ledger: ledger)
            return (after, .inProgress, warning?.description ?? "found at the provider as task \(snapshot.providerTaskID): " + describe(snapshot))
        case .absent where record.state == .pending:
            // Not yet proof: a sender judged gone may still be about to send. It becomes unknown
            // now, and only a later sync that finds it still absent releases the hold.
            let after = try ledger.markUnknown(
                record.id, code: "unsent", message: "\(why); the provider has no task with external_task_id \(externalID) yet")
            return (after, .inProgress, "not at the provider yet: the hold stays until a later sync finds it still absent")
        case .absent:
            let after = try ledger.markSendFailed(
                record.id, code: "absent", message: "the provider has no task with external_task_id \(externalID): it was never created")
            return (after, .inProgress, "never created at the provider: hold released")
        case .cannotTell(let reason):
            return try keepUnknown(record, ledger: ledger, "\(why), and \(record.job.provider.displayName) cannot tell whether it exists (\(reason))", resolve)
        }
    }

    /// Moves a submission sync cannot settle to `unknown` (which `resolve` closes), keeping its hold.
    private func keepUnknown(
        _ record: SubmissionRecord, ledger: Ledger, _ message: String, _ resolve: String, code: String = "unknown"
    ) throws -> (SubmissionRecord, SyncChange.Outcome, String) {
        let after = record.state == .unknown ? record : try ledger.markUnknown(record.id, code: code, message: message + "; the task may exist and be billed")
        return (after, .needsPerson, "\(message): the hold stays; \(resolve)")
    }

    private func describe(_ snapshot: TaskSnapshot) -> String {
        switch snapshot.state {
        case .submitted, .processing: "still \(snapshot.state.rawValue) at the provider"
        case .succeeded: "succeeded" + (snapshot.finalUnitDeduction.map { ", deducted \($0) \($0 == "1" ? "unit" : "units")" } ?? "")
        case .failed: "failed: \(snapshot.failureMessage ?? "no reason given"); nothing charged"
        }
    }

    /// A person closes an open submission by hand: see `Ledger.resolve`.
    public func resolve(_ id: String, succeeded: Bool, cost: USD? = nil, note: String, providerTaskID: String? = nil) throws -> SubmissionRecord {
        try withLedgerBlocking(.write) { try $0.resolve(id, succeeded: succeeded, cost: cost, note: note, providerTaskID: providerTaskID) }
    }
}

extension ProviderFailure {
    /// The provider says the task does not exist: 404, or the official 1203.
    var meansNotFound: Bool { code == "1203" || httpStatus == 404 }

    /// `HTTP 404, code 1203`.
    var codeDescription: String {
        [httpStatus.map { "HTTP \($0)" }, code.map { "code \($0)" }].compactMap { $0 }.joined(separator: ", ")
    }
}
