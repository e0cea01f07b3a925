import Foundation
import KlingCore

/// Why a job could not be priced or settled, or a table could not be read.
///
/// Pricing fails closed: every case here refuses the job rather than price it at $0.
public enum PricingError: Error, Sendable, Equatable {
    case tableFolderMissing(String)
    case noTables(String)
    case unreadableTable(file: String, reason: String)
    case invalidTable(file: String, path: String, problem: String)
    case duplicateProvider(Provider, files: [String])
    case noTable(Provider, folder: String)
    case noVersion(Provider, file: String, at: Date)
    case noRule(BillableJob, file: String, version: String)
    case notOffered(CatalogError)
    case invalidUnitPrice(String, origin: UnitPrice.Origin)
    case unknownVersion(Provider, version: String, file: String)
    case missingFinalUnitDeduction(Provider)
    case invalidFinalUnitDeduction(String)
    case missingUnitPrice(Provider, version: String)
    case invalidDeliveredDuration(String)
    case overflow
}

extension PricingError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .tableFolderMissing(let folder):
            "price table folder \(folder) does not exist; point --pricing (or KLING_LEDGER_PRICING) at a folder of *.json tables"
        case .noTables(let folder):
            "no price tables (*.json) in \(folder); copy the tables from the project's pricing/ folder there"
        case .unreadableTable(let file, let reason):
            "cannot read price table \(file): \(reason)"
        case .invalidTable(let file, let path, let problem):
            "invalid price table \(file) at \(path): \(problem)"
        case .duplicateProvider(let provider, let files):
            "two price tables for \(provider.rawValue): \(files.joined(separator: " and ")); keep one table per provider"
        case .noTable(let provider, let folder):
            "no price table for \(provider.rawValue) in \(folder), so its jobs cannot be priced; add \(provider.rawValue).json"
        case .noVersion(let provider, let file, let instant):
            "no version of \(file) is in force at \(instant.iso8601), so \(provider.rawValue) jobs cannot be priced; add a version whose period covers it"
        case .noRule(let job, let file, let version):
            "no price for \(job.provider.rawValue) model \(job.model ?? "(provider's own)"), mode \(job.mode?.rawValue ?? "(none)"), "
                + "\(job.durationSeconds) s \(job.kind.rawValue)\(job.sound ? " with sound" : ""): no rule of \(file) version \(version) matches; "
                + "the job is refused rather than priced at $0. Add a rule for it, or choose a priced model, mode or duration"
        case .notOffered(let error):
            error.errorDescription
        case .invalidUnitPrice(let text, let origin):
            "unit price \"\(text)\" \(origin == .environment ? "in \(UnitPrice.environmentVariable) " : "")is not a positive decimal such as 0.14 (your resource pack's dollars per unit)"
        case .unknownVersion(let provider, let version, let file):
            "the \(provider.rawValue) quote was made with table version \"\(version)\", which \(file) no longer has; restore that version (history must not be rewritten) to settle it"
        case .missingFinalUnitDeduction(let provider):
            "\(provider.rawValue) reported the task finished without final_unit_deduction, so its real cost is unknown; the hold is kept"
        case .invalidFinalUnitDeduction(let text):
            "final_unit_deduction \"\(text)\" is not an exact decimal such as \"2.5\"; the hold is kept"
        case .missingUnitPrice(let provider, let version):
            "no unit price recorded for the \(provider.rawValue) quote (table version \(version)); cannot convert units to dollars"
        case .invalidDeliveredDuration(let text):
            "delivered video duration \"\(text)\" is not a decimal number of seconds"
        case .overflow:
            MoneyError.overflow.description
        }
    }
}
