import Foundation

/// The file that keeps a sandbox's tasks across restarts: read when the sandbox starts,
/// rewritten whole after every task it creates.
///
/// It holds the tasks and the serial counter their ids are numbered from, as JSON. Instants
/// are ISO 8601 with milliseconds and amounts are exact decimal strings. One sandbox per file:
/// two sandboxes writing the same file each overwrite the other's tasks.
struct SandboxStateFile: Sendable {
    /// The layout of the file; a file of another version is refused, not guessed at.
    struct Contents: Codable {
        var version: Int
        var serial: Int
        var tasks: [SandboxTask]
    }

    static let version = 1

    let url: URL

    /// The tasks and serial the file holds, or `nil` when there is no file yet.
    /// - Throws: `SandboxError.unreadableState`, naming the file, when it cannot be read or is
    ///   not a state this sandbox wrote.
    func load() throws(SandboxError) -> (tasks: [SandboxTask], serial: Int)? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let contents: Contents
        do {
            let data = try Data(contentsOf: url)
            contents = try JSONDecoder().decode(Contents.self, from: data)
        } catch let error as DecodingError {
            throw .unreadableState(path: url.path, reason: Self.describe(error))
        } catch {
            throw .unreadableState(path: url.path, reason: error.localizedDescription)
        }
        guard contents.version == Self.version else {
            throw .unreadableState(path: url.path, reason: "version \(contents.version), expected \(Self.version)")
        }
        guard contents.serial >= 0 else {
            throw .unreadableState(path: url.path, reason: "serial \(contents.serial) is negative")
        }
        return (contents.tasks, contents.serial)
    }

    /// Replaces the file with these tasks: written to a temporary file in the same folder,
    /// flushed, then renamed over the old one, so that the file is always either the previous
    /// state or the new one, never half of one.
    /// - Throws: `SandboxError.stateNotSaved`, naming the file; the old file is left as it was.
    func save(tasks: [SandboxTask], serial: Int) throws(SandboxError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Contents(version: Self.version, serial: serial, tasks: tasks))
            // A plain write: the rename below is the atomic step.
            try data.write(to: temporary)
            let handle = try FileHandle(forUpdating: temporary)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, url.path) == 0 else { throw RenameFailed(reason: String(cString: strerror(errno))) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .stateNotSaved(path: url.path, reason: error.localizedDescription)
        }
    }

    private struct RenameFailed: LocalizedError {
        let reason: String
        var errorDescription: String? { "cannot rename the temporary file over it: \(reason)" }
    }

    /// A decoding error as a path into the file and what was wrong there.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let context):
            // An empty path means the bytes are not JSON at all.
            return context.codingPath.isEmpty ? "not JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is not a \(type)"
        @unknown default:
            return "\(error)"
        }
    }
}
