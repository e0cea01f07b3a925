import Foundation
import KlingCore

extension KlingClient {
    /// Every deduction the official account recorded in `[start, end)`, all pages, oldest page
    /// first. Pages are requested at most once per `minimumInterval` (the official API asks for
    /// at most one request a second); `pageRead` is told each page's size as it arrives.
    public func deductions(
        from start: Date, to end: Date, pageSize: Int = 500, minimumInterval: Duration = .seconds(1),
        pageRead: (@Sendable (Int) -> Void)? = nil
    ) async throws -> [DeductionRecord] {
        try requireOfficial("a per-task deduction record")
        let clock = ContinuousClock()
        var records: [DeductionRecord] = []
        var cursor: String?
        var last: ContinuousClock.Instant?
        repeat {
            // Counted from the previous answer, not its request: however the network delays a
            // request, two never reach the provider less than `minimumInterval` apart.
            if let last { try await clock.sleep(until: last.advanced(by: minimumInterval)) }
            let request = try OfficialAccountWire.billingRequest(from: start, to: end, limit: min(max(pageSize, 1), 500), cursor: cursor)
            let page = try await read(request) { response throws(ProviderFailure) in try OfficialAccountWire.decodeBilling(response) }
            last = clock.now
            records += page.rows
            pageRead?(page.rows.count)
            cursor = page.next
        } while cursor != nil
        return records
    }

    /// The official account's resource packs in force during `[start, end)`.
    public func resourcePacks(from start: Date, to end: Date) async throws -> [ResourcePack] {
        try requireOfficial("resource packs")
        return try await read(OfficialAccountWire.costsRequest(from: start, to: end)) { response throws(ProviderFailure) in
            try OfficialAccountWire.decodeCosts(response)
        }
    }

    private func requireOfficial(_ what: String) throws {
        guard provider == .kling else {
            throw ProviderFailure(provider: provider, category: .notCreated, message: "\(provider.displayName) publishes no \(what); reconcile it against its usage export (--from-csv)")
        }
    }
}
