import Foundation
import ReportDefinitions

/// One report: an SQL query in a `.sql` file, named after the file.
///
/// Its leading `--` comment lines describe it: the first is the summary `kling-ledger report`
/// lists; `-- dimensions: team provider …` declares the columns `--by` may choose among
/// (columns of dimensions not chosen are left out of the CSV), and `-- by: …` the default choice.
public struct ReportDefinition: Sendable {
    public let name: String
    public let summary: String
    public let sql: String
    /// The grouping dimensions the query understands; empty when it is not groupable.
    public let dimensions: [String]
    /// The dimensions grouped by when `--by` is not given.
    public let defaultGrouping: [String]
    public let file: URL

    /// Reads a definition from its file.
    public init(file: URL) throws(ReportError) {
        let sql: String
        do { sql = try String(contentsOf: file, encoding: .utf8) } catch {
            throw .unreadable(path: file.path, reason: error.localizedDescription)
        }
        let header = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .prefix { $0.hasPrefix("--") }
            .map { $0.dropFirst(2).trimmingCharacters(in: .whitespaces) }
        func declared(_ key: String) -> [String] {
            header.first { $0.hasPrefix(key + ":") }.map {
                $0.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
            } ?? []
        }
        self.name = file.deletingPathExtension().lastPathComponent
        self.summary = header.first ?? ""
        self.sql = sql
        self.dimensions = declared("dimensions")
        self.defaultGrouping = declared("by")
        self.file = file
    }
}

/// Where report definitions are found: a folder of one's own first, then the bundled ones.
public struct ReportCatalog: Sendable {
    /// The folders searched, in order; a name found in an earlier one wins.
    public let folders: [URL]

    /// The environment variable naming a folder of one's own definitions.
    public static let environmentVariable = "KLING_LEDGER_REPORTS"

    /// - Parameter folder: `--reports DIR`; else `KLING_LEDGER_REPORTS`; the bundled
    ///   definitions are always searched last.
    public init(folder: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ReportError) {
        var folders: [URL] = []
        if let own = folder ?? environment[Self.environmentVariable], !own.isEmpty {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: own, isDirectory: &isFolder), isFolder.boolValue else {
                throw .folderMissing(own)
            }
            folders.append(URL(fileURLWithPath: own))
        }
        if let bundled = BundledReports.directory { folders.append(bundled) }
        guard !folders.isEmpty else { throw .noDefinitions }
        self.folders = folders
    }

    /// Every definition, by name.
    public func definitions() throws(ReportError) -> [ReportDefinition] {
        var byName: [String: ReportDefinition] = [:]
        for folder in folders {
            let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
            for file in files where file.pathExtension == "sql" {
                let name = file.deletingPathExtension().lastPathComponent
                if byName[name] == nil { byName[name] = try ReportDefinition(file: file) }
            }
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// The definition called `name`.
    public func definition(named name: String) throws(ReportError) -> ReportDefinition {
        let all = try definitions()
        guard let found = all.first(where: { $0.name == name }) else { throw .unknownReport(name, available: all.map(\.name)) }
        return found
    }
}
