import Foundation
import KlingAPI
import KlingCore
import Ledger
import Pricing

/// One submission `sync` looked at: where it was, where it is now, and why.
public struct SyncChange: Sendable {
    public let before: SubmissionRecord
    public let after: SubmissionRecord
    public let note: String

}

extension Gate {
    /// Brings every open submission up to date with its provider:
    /// - submitted or processing: read the task; settle it if it ended;
    /// - unknown, or pending for longer than `pendingGrace` (its process died between hold and
    ///   send): look the task up by the submission's id sent as `external_task_id`. Found: adopt
    ///   and settle it. Provably absent: release the hold. The provider cannot tell: keep the
    ///   hold and say so.
    ///
    /// A pending submission younger than `pendingGrace` is left alone: its process may be
    /// sending it right now.
    public func sync(pendingGrace: Duration = .seconds(600), now: Date = Date()) async throws -> [SyncChange] {
        let ledger = try ledger()
        var changes: [SyncChange] = []
        for record in try ledger.openSubmissions() {
            let (after, note) = await reconcile(record, ledger: ledger, pendingGrace: pendingGrace, now: now)
            changes.append(SyncChange(before: record, after: after, note: note))
        }
        await deliverAlerts(ledger)
        return changes
    }

    private func reconcile(_ record: SubmissionRecord, ledger: Ledger, pendingGrace: Duration, now: Date) async -> (SubmissionRecord, String) {
        do {
            let client = try clients(record.job.provider)
            switch record.state {
            case .submitted, .processing:
                guard let taskID = record.providerTaskID else { return (record, "no provider task id recorded") }
                let snapshot = try await client.task(id: taskID, kind: record.job.kind)
                let (after, warning) = try settle(record, with: snapshot, ledger: ledger)
                return (after, warning ?? describe(snapshot))
            case .pending where now.timeIntervalSince(record.updatedAt) < Double(pendingGrace.components.seconds):
                return (record, "being sent by another process (pending for under \(pendingGrace.components.seconds) s); left alone")
            case .pending, .unknown:
                guard let externalID = record.externalTaskID else {
                    return (record, "\(record.job.provider.displayName) cannot look a task up by our id; the hold stays: resolve it with `kling-ledger resolve \(record.id) --succeeded|--failed`")
                }
                switch try await client.lookUp(externalTaskID: externalID, kind: record.job.kind) {
                case .found(let snapshot):
                    let adopted = try ledger.markSent(record.id, providerTaskID: snapshot.providerTaskID, state: SubmissionState(openTask: snapshot.state))
                    let (after, warning) = try settle(adopted, with: snapshot, ledger: ledger)
                    return (after, warning ?? "found at the provider as task \(snapshot.providerTaskID): " + describe(snapshot))
                case .absent:
                    let after = try ledger.markSendFailed(
                        record.id, code: "absent", message: "the provider has no task with external_task_id \(externalID): it was never created")
                    return (after, "never created at the provider: hold released")
                case .cannotTell(let reason):
                    return (record, "the provider cannot tell (\(reason)); the hold stays: resolve it with `kling-ledger resolve \(record.id) --succeeded|--failed`")
                }
            default:
                return (record, "already finished")
            }
        } catch {
            let message = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
            return ((try? ledger.submission(id: record.id)) ?? record, "not updated: \(message)")
        }
    }

    private func describe(_ snapshot: TaskSnapshot) -> String {
        switch snapshot.state {
        case .submitted, .processing: "still \(snapshot.state.rawValue) at the provider"
        case .succeeded: "succeeded" + (snapshot.finalUnitDeduction.map { ", deducted \($0) units" } ?? "")
        case .failed: "failed: \(snapshot.failureMessage ?? "no reason given"); nothing charged"
        }
    }

    /// An operator closes an `unknown` submission by hand. A success costs `cost` (the quote
    /// if not given), recorded as an adjustment with the note; a failure costs nothing.
    public func resolve(_ id: String, succeeded: Bool, cost: USD? = nil, note: String) throws -> SubmissionRecord {
        let ledger = try ledger()
        guard let record = try ledger.submission(id: id) else { throw LedgerError.conflict("there is no submission \(id); `kling-ledger list` shows them") }
        let amount = succeeded ? (cost ?? record.quote?.amount ?? .zero) : .zero
        return try ledger.resolveByHand(id, succeeded: succeeded, cost: amount, note: note)
    }
}
