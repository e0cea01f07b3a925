import Foundation

/// The report definitions shipped in this folder, bundled into the build so that
/// `kling-ledger report` finds them wherever it is run from. `--reports DIR` adds a folder of
/// one's own, whose definitions win over these on a name clash.
public enum BundledReports {
    /// The folder holding the bundled `*.sql` definitions.
    ///
    /// Looked up without `Bundle.module`, whose accessor stops the process when the bundle is
    /// missing (a binary copied away from its build folder): here that is a clear error instead.
    /// - Returns: `nil` when neither the resource bundle nor the source folder can be found.
    public static var directory: URL? {
        let bundleName = "KlingLedger_ReportDefinitions.resources"
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent(bundleName))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(bundleName))
        // A build run from a checkout can always fall back to the checkout's own definitions.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent())
        return candidates.first { url in
            FileManager.default.fileExists(atPath: url.appendingPathComponent("items.sql").path)
        }
    }
}
