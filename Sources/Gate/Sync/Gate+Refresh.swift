import KlingAPI
import KlingCore
import Ledger

extension Gate {
    /// Reads one submission's task from its provider and records where it stands, settling it
    /// when it has ended: what a gateway caller's own query of its task does, so a finished
    /// task is settled the moment anyone looks.
    ///
    /// - Returns: the submission as recorded after the read, and the provider's snapshot (for
    ///   a settled submission the snapshot is only read, for its videos).
    /// - Throws: `ProviderFailure` when the provider could not answer; `LedgerError`;
    ///   `GateError.noTaskYet` for a submission whose create has no recorded answer.
    public func refresh(_ record: SubmissionRecord) async throws -> (SubmissionRecord, TaskSnapshot) {
        guard let taskID = record.providerTaskID else { throw GateError.noTaskYet(submission: record.id) }
        let client = try clients(record.job.provider)
        let snapshot = try await client.task(id: taskID, kind: record.job.kind)
        guard record.isOpen else { return (record, snapshot) }
        return try await withLedger(.write) { ledger in
            // Another request (or the settler) may have settled it meanwhile: settle what is still open.
            guard let current = try ledger.submission(id: record.id), current.isOpen else {
                return (try ledger.submission(id: record.id) ?? record, snapshot)
            }
            let (after, _) = try await settle(current, with: snapshot, ledger: ledger)
            await deliverAlerts(ledger)
            return (after, snapshot)
        }
    }
}
