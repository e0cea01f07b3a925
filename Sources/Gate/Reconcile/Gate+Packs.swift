import Foundation
import KlingAPI
import KlingCore
import Ledger

/// A resource pack as `packs` shows it: the provider's figures, what the ledger charged in its
/// window, and where its burn rate leads.
public struct PackStatus: Sendable {
    public let pack: ResourcePack
    /// Total − remaining, as the provider reports them (remaining may be up to 12 h stale).
    public let used: Units
    /// The official units the ledger charged for submissions made while the pack was in force.
    public let ledgerUnits: Units
    /// At the burn rate since the pack came into force, the units left when it expires; `nil`
    /// when no projection is made (not online, or too early in its life to tell).
    public let unusedAtExpiry: Units?
    /// The alerts this look raised (each pack alert is raised once, ever).
    public let raised: [Alert]
}

extension Gate {
    /// Reads the official account's resource packs, compares each with the ledger, and raises an
    /// alert for a pack whose remaining units fall below `lowPercent` of its total and for one
    /// that will expire with units unused at its burn rate — each once per pack, through the
    /// alert outbox.
    public func packs(lowPercent: Int = 20, now: Date = Date()) async throws -> [PackStatus] {
        try await withLedger(.create) { ledger in try await packs(lowPercent: lowPercent, now: now, ledger: ledger) }
    }

    private func packs(lowPercent: Int, now: Date, ledger: Ledger) async throws -> [PackStatus] {
        let packs = try await clients(.kling).resourcePacks(from: now.addingTimeInterval(-400 * 86_400), to: now.addingTimeInterval(86_400))
        var statuses: [PackStatus] = []
        for pack in packs.sorted(by: { $0.expiresAt < $1.expiresAt }) {
            let used = Units(millionths: max(0, pack.total.millionths - pack.remaining.millionths))
            let ledgerUnits = try ledger.officialUnitsCharged(from: pack.effectiveAt, to: min(now, pack.expiresAt))
            let unused = pack.status == .online ? Self.unusedAtExpiry(pack, used: used, now: now) : nil
            var raised: [Alert] = []
            if pack.status == .online || pack.status == .runOut {
                let facts = Alert.PackFacts(
                    id: pack.id, name: pack.name, total: pack.total, remaining: pack.remaining, effectiveAt: pack.effectiveAt,
                    expiresAt: pack.expiresAt, unusedAtExpiry: unused)
                raised = try ledger.raisePackAlerts(facts, lowPercent: lowPercent, at: now)
            }
            statuses.append(PackStatus(pack: pack, used: used, ledgerUnits: ledgerUnits, unusedAtExpiry: unused, raised: raised))
        }
        await deliverAlerts(ledger)
        return statuses
    }

    /// The units a pack will have left when it expires if it goes on being used at the rate it
    /// was used since it came into force. Integer arithmetic; no projection in the first tenth of
    /// its life (one early job would project anything) or once it has expired.
    static func unusedAtExpiry(_ pack: ResourcePack, used: Units, now: Date) -> Units? {
        let elapsed = Int128(now.timeIntervalSince(pack.effectiveAt) * 1000)
        let life = Int128(pack.expiresAt.timeIntervalSince(pack.effectiveAt) * 1000)
        let left = Int128(pack.expiresAt.timeIntervalSince(now) * 1000)
        guard life > 0, left > 0, elapsed * 10 >= life else { return nil }
        let projected = Int128(used.millionths) * left / elapsed
        let unused = Int128(pack.remaining.millionths) - projected
        return unused > 0 ? Units(millionths: Int64(clamping: unused)) : nil
    }
}
