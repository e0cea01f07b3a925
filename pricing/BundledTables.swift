import Foundation

/// The price tables shipped in this folder, bundled into the build so that `kling-ledger` finds
/// them wherever it is run from. `--pricing DIR` or `KLING_LEDGER_PRICING` replaces them.
public enum BundledTables {
    /// The folder holding the bundled `*.json` tables.
    ///
    /// Looked up without `Bundle.module`, whose accessor stops the process when the bundle is
    /// missing (a binary copied away from its build folder): here that is a clear error instead.
    /// - Returns: `nil` when neither the resource bundle nor the source folder can be found.
    public static var directory: URL? {
        let bundleName = "KlingLedger_PricingTables.resources"
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent(bundleName))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(bundleName))
        // A build run from a checkout can always fall back to the checkout's own tables.
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent())
        return candidates.first { url in
            FileManager.default.fileExists(atPath: url.appendingPathComponent("kling.json").path)
        }
    }
}
