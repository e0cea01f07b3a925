import Foundation
import Pricing

/// The project's own `pricing/` folder: the tables tested are the tables shipped.
let shippedTables = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("pricing")

/// Writes tables into a fresh temporary folder, runs `body` with it, and removes it.
@discardableResult
func withTables<T>(_ files: [String: String], _ body: (URL) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-pricing-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for (name, text) in files {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }
    return try body(folder)
}

/// A minimal valid Pixazo table around the given versions JSON.
func pixazoTable(versions: String) -> String {
    """
    { "provider": "pixazo", "currency": "USD", "source": "test", "settlement": "table", "versions": \(versions) }
    """
}

/// A minimal valid official table around the given rules JSON.
func klingTable(rules: String, unitPrice: String? = "\"0.14\"") -> String {
    """
    { "provider": "kling", "currency": "USD", "source": "test", "settlement": "table",
      "versions": [ { "id": "v1", "effective_from": "2026-01-01"\(unitPrice.map { ", \"unit_price_usd\": \($0)" } ?? ""),
                      "rules": \(rules) } ] }
    """
}

extension Date {
    /// A fixed instant for tests: `2026-11-21T12:00:00Z` unless another ISO date is given.
    static func utc(_ text: String = "2026-11-21T12:00:00Z") -> Date {
        (try? Date(text, strategy: .iso8601)) ?? Date(timeIntervalSince1970: 0)
    }
}
