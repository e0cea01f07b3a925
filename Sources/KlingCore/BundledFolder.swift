import Foundation

/// Finds a folder of data files (price tables, report definitions) bundled into the build as a
/// resource target, wherever the tool is run from.
///
/// Looked up without `Bundle.module`, whose accessor stops the process when the bundle is
/// missing (a binary copied away from its build folder): there `nil` lets the caller say so.
public enum BundledFolder {
    /// - Parameters:
    ///   - bundleName: the resource bundle's folder, `PACKAGE_TARGET.resources`.
    ///   - marker: a file the folder must hold.
    ///   - source: the folder in the checkout, which a build run from it can always fall back to.
    public static func locate(bundleName: String, marker: String, source: URL) -> URL? {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent(bundleName))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(bundleName))
        candidates.append(source)
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(marker).path) }
    }
}
