import ArgumentParser
import Foundation
import KlingCore
import Pricing

extension Provider: ExpressibleByArgument {}
extension VideoKind: ExpressibleByArgument {}
extension Mode: ExpressibleByArgument {}

/// `--at`: price with the tables in force at another instant (quotes only: a submission is
/// priced when it is made).
struct PricingInstantOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Price with the tables in force at this instant (ISO 8601, e.g. 2026-03-01 or 2026-03-01T12:00:00Z).",
            discussion: "Default: now.", valueName: "date"))
    var at: String?

    func validate() throws {
        if let at, Date(iso8601OrDay: at) == nil {
            throw ValidationError("--at \"\(at)\" is not an ISO 8601 date such as 2026-03-01 or 2026-03-01T12:00:00Z")
        }
    }

    /// When to price: `--at`, else now.
    var instant: Date { at.flatMap(Date.init(iso8601OrDay:)) ?? Date() }
}

/// The fields of a job that decide its price, shared by `quote`, `compare` and `submit`.
struct JobOptions: ParsableArguments {
    @Option(help: "What the video is made from.")
    var kind: VideoKind = .text2video

    @Option(help: ArgumentHelp("The model, e.g. kling-v2-5-turbo.", discussion: "Default: the provider's default (kling-v1); Pixazo picks its own model and takes none."))
    var model: String?

    @Option(help: ArgumentHelp("std (720p) or pro (1080p).", discussion: "Default: std; Pixazo takes none."))
    var mode: Mode?

    // Unconditional, so that `--duration -5` is read as a (refused) value, not as a flag.
    @Option(parsing: .unconditional, help: ArgumentHelp("The video length in seconds.", valueName: "seconds"))
    var duration: Int = 5

    @Flag(inversion: .prefixedNo, help: "Generate sound with the video (kling-v2-6 and later).")
    var sound = false

    @Option(
        help: ArgumentHelp(
            "Dollars per official Kling unit in your resource pack, e.g. 0.098.",
            discussion: "Default: $KLING_UNIT_PRICE, else the table's list price ($0.14).",
            valueName: "usd"))
    var unitPrice: String?

    func validate() throws {
        guard duration > 0 else { throw ValidationError("--duration must be a whole number of seconds above zero, e.g. 5, not \(duration)") }
    }

    /// The job for one provider.
    func job(for provider: Provider) -> BillableJob {
        BillableJob(provider: provider, kind: kind, model: model, mode: mode, durationSeconds: duration, sound: sound)
    }

    /// The unit price override from `--unit-price` or `KLING_UNIT_PRICE`.
    func unitPriceOverride() throws -> UnitPrice? {
        try UnitPrice.override(option: unitPrice)
    }
}
