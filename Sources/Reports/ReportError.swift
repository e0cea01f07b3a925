import Foundation

/// Why a report could not be run. Nothing was written when one is thrown before the first row.
public enum ReportError: Error, Sendable, Equatable {
    case unknownReport(String, available: [String])
    case noDefinitions
    case folderMissing(String)
    case unreadable(path: String, reason: String)
    case badMonth(String)
    case badDimension(String, allowed: [String])
    case notGroupable(report: String)
    case oneTagOnly
}

extension ReportError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .unknownReport(let name, let available):
            "there is no report named \"\(name)\"; available: \(available.joined(separator: ", ")) (`kling-ledger report` lists them)"
        case .noDefinitions:
            "no report definitions were found: the bundled reports/ folder is missing; give a folder of *.sql files with --reports DIR"
        case .folderMissing(let path):
            "the reports folder \(path) does not exist; give a folder of *.sql report definitions"
        case .unreadable(let path, let reason):
            "cannot read the report definition \(path): \(reason)"
        case .badMonth(let text):
            "\"\(text)\" is not a month; give it as YYYY-MM, for example --month 2026-11"
        case .badDimension(let text, let allowed):
            "cannot group by \"\(text)\"; choose from \(allowed.joined(separator: ", ")) or tag:KEY, separated by commas"
        case .notGroupable(let report):
            "the report \(report) has no grouping dimensions, so --by does not apply to it; `kling-ledger report` says which do"
        case .oneTagOnly:
            "only one tag:KEY can be grouped by at a time"
        }
    }
}
