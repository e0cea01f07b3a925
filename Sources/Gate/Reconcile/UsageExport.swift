import Foundation
import KlingCore
import SwiftCSV

/// A reseller's usage export (Pixazo, AceData and KKIAI publish no billing endpoint): a CSV
/// file a user downloads, read into billed tasks. UTF-8 with or without a byte-order mark,
/// RFC 4180 quoting; the columns are named by the user.
public struct UsageExport: Sendable {
    /// The columns to read, by their header names.
    public struct Columns: Sendable {
        public var taskID: String
        public var amount: String
        /// When the task was billed (ISO 8601, or milliseconds since 1970); without it, every row
        /// counts as billed in the window reconciled.
        public var time: String?

        public init(taskID: String, amount: String, time: String? = nil) {
            self.taskID = taskID
            self.amount = amount
            self.time = time
        }
    }

    /// Reads the export.
    /// - Parameter currency: the currency its amounts are in; only USD is accepted, since the
    ///   ledger keeps dollars and no exchange rate is known.
    /// - Throws: `UsageExportError` naming the file, column, row and value; nothing is read in part.
    public static func read(_ path: String, columns: Columns, currency: String = "USD") throws(UsageExportError) -> [BilledTask] {
        guard currency.uppercased() == "USD" else { throw .currency(currency) }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, reason: "no readable file there") }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let csv: CSV<Enumerated>
        do {
            csv = try CSV<Enumerated>(string: text, delimiter: .comma, loadColumns: false)
        } catch {
            throw .unreadable(path: path, reason: "not CSV: \(error)")
        }
        let header = csv.header.map { $0.trimmingCharacters(in: .whitespaces) }
        func index(_ name: String) throws(UsageExportError) -> Int {
            guard let found = header.firstIndex(of: name) else { throw .missingColumn(name, path: path, available: header) }
            return found
        }
        let taskColumn = try index(columns.taskID)
        let amountColumn = try index(columns.amount)
        let timeColumn = try columns.time.map { name throws(UsageExportError) in try index(name) }
        var tasks: [BilledTask] = []
        for (offset, row) in csv.rows.enumerated() where !row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            let line = offset + 2  // the header is line 1
            func field(_ column: Int) -> String { column < row.count ? row[column].trimmingCharacters(in: .whitespaces) : "" }
            let taskID = field(taskColumn)
            guard !taskID.isEmpty else { throw .badValue(path: path, line: line, column: columns.taskID, value: "", expected: "a task id") }
            let amountText = field(amountColumn)
            guard let amount = USD(amountText.hasPrefix("$") ? String(amountText.dropFirst()) : amountText), amount >= .zero else {
                throw .badValue(path: path, line: line, column: columns.amount, value: amountText, expected: "an amount in USD such as 0.35")
            }
            var billedAt: Date?
            if let timeColumn, let name = columns.time {
                let value = field(timeColumn)
                guard let date = Date(iso8601OrDay: value) ?? Int64(value).map({ Date(timeIntervalSince1970: Double($0) / 1000) }) else {
                    throw .badValue(path: path, line: line, column: name, value: value, expected: "an ISO 8601 time or milliseconds since 1970")
                }
                billedAt = date
            }
            tasks.append(BilledTask(taskID: taskID, amount: .dollars(amount), billedAt: billedAt))
        }
        return tasks
    }
}

/// Why a usage export cannot be read. Nothing is written when it is refused.
public enum UsageExportError: Error, Sendable, Equatable {
    case unreadable(path: String, reason: String)
    case missingColumn(String, path: String, available: [String])
    case badValue(path: String, line: Int, column: String, value: String, expected: String)
    case currency(String)
}

extension UsageExportError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason): "cannot read the usage export \(path): \(reason)"
        case .missingColumn(let name, let path, let available):
            "the usage export \(path) has no column \"\(name)\"; its columns are \(available.map { "\"\($0)\"" }.joined(separator: ", ")). "
                + "Name the right ones with --task-id-column and --amount-column"
        case .badValue(let path, let line, let column, let value, let expected):
            "\(path), line \(line), column \"\(column)\": \"\(value)\" is not \(expected); nothing was reconciled"
        case .currency(let currency):
            "the ledger keeps US dollars and knows no exchange rate: a usage export in \(currency) cannot be reconciled; convert it to USD first"
        }
    }
}
