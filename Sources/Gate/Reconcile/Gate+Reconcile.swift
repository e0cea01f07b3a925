import Foundation
import KlingAPI
import KlingCore
import Ledger
import Pricing

extension Gate {
    /// The official account's deduction record for `[start, end)`, and two days past `end`: a
    /// task made just before the window closes may be deducted after it, and still belongs to it.
    /// Pages are read at most one a second.
    public func officialBill(from start: Date, to end: Date, pageRead: (@Sendable (Int) -> Void)? = nil) async throws -> [BilledTask] {
        let records = try await clients(.kling).deductions(from: start, to: end.addingTimeInterval(2 * 86_400), pageRead: pageRead)
        return records.map { record in
            let mode: Mode? = switch record.resolution?.lowercased() {
            case "720p"?: .std
            case "1080p"?: .pro
            default: nil
            }
            return BilledTask(
                taskID: record.taskID, amount: .units(record.units), billedAt: record.deductedAt, model: record.model, mode: mode,
                durationSeconds: record.duration.flatMap { Int($0) })
        }
    }

    /// Compares the ledger with a provider's bill for the submissions made in `[start, end)`:
    /// each billed task is matched by the provider's task id and sorted into a class; the
    /// ledger's charged submissions the bill does not have are `inLedgerNotBilled`. Reads only.
    ///
    /// Billed units are priced at the unit price recorded with the submission's quote; a task
    /// the ledger does not have is priced at `unitPriceOverride`, else the table's list price.
    public func reconcile(
        provider: Provider, source: String, bill: [BilledTask], from start: Date, to end: Date, unitPriceOverride: UnitPrice? = nil
    ) throws -> Reconciliation {
        let ledger = try Ledger(path: ledgerPath, access: .read)
        let unitPrice = try prices.unitPrice(for: provider, at: start, override: unitPriceOverride).map { price in
            Reconciliation.UnitPriceUsed(amount: price.amount, source: QuotedPrice.source(of: price))
        }
        var byTask: [String: BilledTask] = [:]
        for task in bill {
            guard let earlier = byTask[task.taskID] else { byTask[task.taskID] = task; continue }
            byTask[task.taskID] = try Self.merge(earlier, task)  // several deductions for one task: their sum
        }
        func dollars(_ task: BilledTask, at price: USD?) throws -> USD {
            switch task.amount {
            case .dollars(let usd): return usd
            case .units(let units):
                guard let price else { throw PricingError.missingUnitPrice(provider, version: "reconcile") }
                return try units.cost(at: price)
            }
        }
        func units(_ task: BilledTask) -> Units? { if case .units(let units) = task.amount { units } else { nil } }

        var lines: [ReconciliationLine] = []
        let inWindow = { (date: Date) in date >= start && date < end }
        // Open submissions without a task id (their create's answer was lost) may be any of the
        // billed tasks the ledger cannot match: recording those as unattributed would count them twice.
        let unmatched = try ledger.openSubmissions().filter { $0.job.provider == provider && $0.providerTaskID == nil }
        for task in byTask.values.sorted(by: { ($0.billedAt ?? start, $0.taskID) < ($1.billedAt ?? start, $1.taskID) }) {
            if let record = try ledger.submission(providerTaskID: task.taskID, provider: provider) {
                guard inWindow(record.createdAt) else { continue }  // another window's
                let billed = try dollars(task, at: record.quote?.unitPrice ?? unitPrice?.amount)
                let charged = record.balance.charged
                let (kind, note): (ReconciliationClass, String) =
                    if record.isOpen {
                        (.billedStillOpen, "billed \(billed.formatted) but still \(record.state.rawValue) in the ledger: settle it from the bill")
                    } else if charged == billed {
                        (.agrees, "charged \(charged.formatted) = billed")
                    } else {
                        (.differs, "the ledger charged \(charged.formatted), the provider billed \(billed.formatted)")
                    }
                lines.append(
                    ReconciliationLine(
                        reconciliationClass: kind, providerTaskID: task.taskID, submissionID: record.id, ledger: charged, billed: billed,
                        billedUnits: units(task), billedAt: task.billedAt, note: note))
            } else if task.billedAt.map(inWindow) ?? true {
                let billed = try dollars(task, at: unitPrice?.amount)
                guard billed > .zero else { continue }  // nothing billed, nothing to account for
                let note =
                    unmatched.isEmpty
                    ? "billed \(billed.formatted) for a task no submission has: it bypassed the gate, or its record was lost"
                    : "billed \(billed.formatted) for a task no submission has, but \(unmatched.count) open submission(s) have no task id yet "
                        + "and may be this one: run `kling-ledger sync` first (--apply leaves it until then)"
                lines.append(
                    ReconciliationLine(
                        reconciliationClass: .billedNotInLedger, providerTaskID: task.taskID, submissionID: nil, ledger: nil, billed: billed,
                        billedUnits: units(task), billedAt: task.billedAt, note: note))
            }
        }
        for record in try ledger.submissions(createdFrom: start, until: end, provider: provider)
        where record.balance.charged != .zero && !record.isOpen && (record.providerTaskID.map { byTask[$0] == nil } ?? true) {
            let why = record.providerTaskID == nil ? "it has no provider task id to match" : "the provider has no deduction for task \(record.providerTaskID ?? "")"
            lines.append(
                ReconciliationLine(
                    reconciliationClass: .inLedgerNotBilled, providerTaskID: record.providerTaskID, submissionID: record.id,
                    ledger: record.balance.charged, billed: nil, billedUnits: nil, billedAt: nil,
                    note: "charged \(record.balance.charged.formatted) but not billed: \(why)"))
        }
        return Reconciliation(
            provider: provider, source: source, start: start, end: end, lines: lines, billed: byTask, unitPrice: unitPrice,
            ambiguous: !unmatched.isEmpty)
    }

    /// Makes the ledger equal the bill: open submissions are settled from the provider's figures,
    /// differences and unbilled charges become adjustments with a note, and billed tasks the
    /// ledger lacks become `unattributed` submissions (counted by no team's budget). Each step
    /// is its own transaction and safe to repeat: running `reconcile --apply` again after a
    /// crash finishes the rest. The findings are kept for the `reconciliation` report.
    /// - Returns: the lines, with the submissions they now belong to.
    @discardableResult
    public func apply(_ reconciliation: Reconciliation) throws -> [ReconciliationLine] {
        try withLedgerBlocking(.write) { ledger in try apply(reconciliation, to: ledger) }
    }

    private func apply(_ reconciliation: Reconciliation, to ledger: Ledger) throws -> [ReconciliationLine] {
        var applied: [ReconciliationLine] = []
        let source = reconciliation.source == "billing" ? "the provider's deduction record" : "the provider's usage export"
        for var line in reconciliation.lines {
            let task = line.providerTaskID.map { "task \($0)" } ?? "a task with no provider id"
            // A line is applied only to the ledger it was found in, so applying a reconciliation
            // twice changes nothing twice: an adjustment only if the charge is still as found (checked
            // in its own transaction), a settlement only if the submission is still open.
            switch line.reconciliationClass {
            case .agrees:
                break
            case .billedStillOpen:
                if let id = line.submissionID, let billed = line.billed, try ledger.state(ofSubmission: id)?.isOpen == true {
                    try ledger.settle(
                        id, .succeeded(cost: billed, finalUnitDeduction: line.billedUnits?.decimalString, videos: [], note: "settled from \(source)"))
                }
            case .differs:
                if let id = line.submissionID, let billed = line.billed, let charged = line.ledger {
                    try ledger.adjust(
                        id, by: USD(micros: billed.micros - charged.micros), ifCharged: charged,
                        note: "reconciled with \(source) (\(task)): billed \(billed.formatted), the ledger had \(charged.formatted)")
                }
            case .inLedgerNotBilled:
                if let id = line.submissionID, let charged = line.ledger {
                    try ledger.adjust(id, by: USD(micros: -charged.micros), ifCharged: charged, note: "not in \(source) (\(task)): charge reversed")
                }
            case .billedNotInLedger where reconciliation.ambiguous:
                break  // may belong to an open submission without a task id: sync first
            case .billedNotInLedger:
                if let taskID = line.providerTaskID, let billed = line.billed, let task = reconciliation.billed[taskID] {
                    let record = try ledger.recordUnattributed(
                        provider: reconciliation.provider, taskID: taskID, model: task.model, mode: task.mode,
                        durationSeconds: task.durationSeconds ?? 5, cost: billed, units: line.billedUnits,
                        unitPrice: reconciliation.unitPrice?.amount, unitPriceSource: reconciliation.unitPrice?.source ?? .table,
                        billedAt: task.billedAt ?? reconciliation.start, note: "billed by the provider, not submitted through the gate (\(source))")
                    line.submissionID = record.id
                }
            }
            applied.append(line)
        }
        try ledger.recordReconciliation(
            provider: reconciliation.provider, source: reconciliation.source, from: reconciliation.start, to: reconciliation.end, lines: applied)
        return applied
    }

    private static func merge(_ a: BilledTask, _ b: BilledTask) throws -> BilledTask {
        let amount: BilledTask.Amount
        switch (a.amount, b.amount) {
        case (.units(let x), .units(let y)): amount = .units(try x.adding(y))
        case (.dollars(let x), .dollars(let y)): amount = .dollars(try x.adding(y))
        default: throw PricingError.invalidFinalUnitDeduction("task \(a.taskID) is billed in units and in dollars")
        }
        let at = [a.billedAt, b.billedAt].compactMap { $0 }.max()
        return BilledTask(taskID: a.taskID, amount: amount, billedAt: at, model: a.model ?? b.model, mode: a.mode ?? b.mode, durationSeconds: a.durationSeconds ?? b.durationSeconds)
    }
}
