import Foundation
import KlingCore

/// The price tables shipped in this folder, bundled into the build so that `kling-ledger` finds
/// them wherever it is run from. `--pricing DIR` or `KLING_LEDGER_PRICING` replaces them.
public enum BundledTables {
    /// The folder holding the bundled `*.json` tables; `nil` when neither the resource bundle
    /// nor the source folder can be found.
    public static var directory: URL? {
        BundledFolder.locate(
            bundleName: "KlingLedger_PricingTables.resources", marker: "kling.json",
            source: URL(fileURLWithPath: #filePath).deletingLastPathComponent())
    }
}
