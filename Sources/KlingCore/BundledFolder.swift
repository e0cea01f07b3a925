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
        func holdsMarker(_ folder: URL) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent(marker).path) }
        // Next to the executable, found without `Bundle` where the system says where it is:
        // `Bundle.main` costs a command's start about a millisecond.
        if let executable = executableFolder()?.appendingPathComponent(bundleName), holdsMarker(executable) { return executable }
        let candidates = [
            Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(bundleName),
            Bundle.main.bundleURL.appendingPathComponent(bundleName), source,
        ]
        return candidates.compactMap { $0 }.first(where: holdsMarker)
    }

    /// The folder of the running executable, symbolic links resolved (`/proc/self/exe`).
    private static func executableFolder() -> URL? {
        #if os(Linux)
            guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
            return URL(fileURLWithPath: path).deletingLastPathComponent()
        #else
            return nil
        #endif
    }
}
