import Foundation
import KlingCore

/// The report definitions shipped in this folder, bundled into the build so that
/// `kling-ledger report` finds them wherever it is run from. `--reports DIR` adds a folder of
/// one's own, whose definitions win over these on a name clash.
public enum BundledReports {
    /// The folder holding the bundled `*.sql` definitions; `nil` when neither the resource
    /// bundle nor the source folder can be found.
    public static var directory: URL? {
        BundledFolder.locate(
            bundleName: "KlingLedger_ReportDefinitions.resources", marker: "items.sql",
            source: URL(fileURLWithPath: #filePath).deletingLastPathComponent())
    }
}
