import Foundation
import KlingCore
import PricingTables

/// Every provider's price table, loaded from one folder: the pricing engine.
public struct PriceBook: Sendable {
    /// The tables by provider. A provider without a table cannot be priced.
    public let tables: [Provider: PriceTable]
    /// The folder the tables were read from.
    public let folder: String

    /// The environment variable naming the folder of price tables.
    public static let environmentVariable = "KLING_LEDGER_PRICING"

    /// Loads the tables from the folder in force: `folder` if given, else `KLING_LEDGER_PRICING`,
    /// else the tables bundled with KlingLedger (the project's `pricing/` folder).
    ///
    /// - Throws: `PricingError` if the folder is missing or any table is invalid: one bad table
    ///   stops everything, since a half-loaded price book would price some jobs wrongly.
    public static func load(
        folder: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(PricingError) -> PriceBook {
        if let folder = folder ?? environment[environmentVariable].flatMap({ $0.isEmpty ? nil : $0 }) {
            return try load(from: URL(fileURLWithPath: folder))
        }
        guard let bundled = BundledTables.directory else {
            throw .tableFolderMissing("(the bundled pricing/ tables were not found next to the executable)")
        }
        return try load(from: bundled, displayName: "pricing")
    }

    /// Loads every `*.json` table in a folder.
    /// - Parameter displayName: how messages name the folder, if not by its path.
    public static func load(from folder: URL, displayName: String? = nil) throws(PricingError) -> PriceBook {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .tableFolderMissing(folder.path)
        }
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw .unreadableTable(file: folder.path, reason: error.localizedDescription)
        }
        guard !names.isEmpty else { throw .noTables(folder.path) }

        var tables: [Provider: PriceTable] = [:]
        for name in names {
            let url = folder.appendingPathComponent(name)
            let file = displayName.map { "\($0)/\(name)" } ?? url.path
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw .unreadableTable(file: file, reason: error.localizedDescription)
            }
            let table = try PriceTable(decoding: data, file: file)
            if let existing = tables[table.provider] {
                throw .duplicateProvider(table.provider, files: [existing.file, file])
            }
            tables[table.provider] = table
        }
        return PriceBook(tables: tables, folder: displayName ?? folder.path)
    }

    /// Creates a price book from tables already read.
    public init(tables: [Provider: PriceTable], folder: String) {
        self.tables = tables
        self.folder = folder
    }

    /// The table of a provider.
    /// - Throws: `PricingError.noTable` when the folder has none for it.
    public func table(for provider: Provider) throws(PricingError) -> PriceTable {
        guard let table = tables[provider] else { throw .noTable(provider, folder: folder) }
        return table
    }
}
