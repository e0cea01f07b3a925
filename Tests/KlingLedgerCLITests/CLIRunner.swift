import Foundation

/// The result of one `kling-ledger` run.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String

    /// Standard output parsed as a JSON object.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }
}

/// Runs the built `kling-ledger` as a user would: a separate process, from a folder other than
/// the checkout, with a throwaway HOME and none of the developer's KLING_* variables.
/// Waits off Swift concurrency's cooperative pool (see `offThePool`).
/// - Parameter user: run as this user (through `runuser`, so only when the tests run as root).
func runCLI(_ arguments: [String], environment extra: [String: String] = [:], as user: String? = nil) async throws -> CLIResult {
    await ProcessSlots.shared.acquire()
    defer { Task { await ProcessSlots.shared.release() } }
    return try await offThePool { try runCLIBlocking(arguments, environment: extra, as: user) }
}

/// How many `runCLI` processes run at once: one per core. Tests run in parallel, and without a
/// limit dozens of processes at once starve the in-process servers other tests are timing.
actor ProcessSlots {
    static let shared = ProcessSlots(count: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// `runCLI` for code already running on a thread of its own: it blocks until the process ends.
func runCLIBlocking(_ arguments: [String], environment extra: [String: String] = [:], as user: String? = nil) throws -> CLIResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }

    let process = try userProcess(arguments, in: scratch, environment: extra)
    if let user {
        process.arguments = ["-u", user, "--", process.executableURL?.path ?? ""] + arguments
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
    }
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CLIResult(
        status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
        stderr: String(decoding: err, as: UTF8.self))
}

/// `kling-ledger` set up to run as a user would, not yet started.
func userProcess(_ arguments: [String], in folder: URL, environment extra: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = try cliExecutable()
    process.arguments = arguments
    process.currentDirectoryURL = folder
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KLING_") }
    environment["HOME"] = folder.path
    environment.removeValue(forKey: "XDG_DATA_HOME")
    environment.merge(extra) { $1 }
    process.environment = environment
    return process
}

/// A long-running `kling-ledger` (the sandbox): its standard output read line by line until a
/// marker appears, then stopped.
func withRunningCLI<T>(_ arguments: [String], until marker: String, _ body: (String) throws -> T) throws -> T {
    let process = try userProcess(arguments, in: FileManager.default.temporaryDirectory)
    let stdout = Pipe()
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer {
        process.terminate()
        process.waitUntilExit()
    }
    var text = ""
    while !text.contains(marker) {
        let chunk = stdout.fileHandleForReading.availableData
        if chunk.isEmpty { break }  // the process ended
        text += String(decoding: chunk, as: UTF8.self)
    }
    return try body(text)
}

/// `kling-ledger` in the build products folder, next to the test bundle that `swift test` runs.
func cliExecutable() throws -> URL {
    var candidates: [URL] = []
    if let testBinary = Bundle.main.executableURL {
        candidates.append(testBinary.deletingLastPathComponent().appendingPathComponent("kling-ledger"))
    }
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("kling-ledger"))
    }
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
        return found
    }
    throw CLINotBuilt(searched: candidates.map(\.path))
}

struct CLINotBuilt: Error, CustomStringConvertible {
    let searched: [String]
    var description: String { "kling-ledger was not found next to the tests; looked in: \(searched.joined(separator: ", "))" }
}

/// Writes files into a fresh temporary folder for the duration of `body`.
func withFolder<T>(_ files: [String: String], _ body: (URL) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kling-ledger-files-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for (name, text) in files {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }
    return try await body(folder)
}

/// Runs blocking work (waiting for child processes) on a thread of its own, off Swift
/// concurrency's cooperative pool: the in-process sandbox answers on that pool, and a test
/// that blocked its threads would starve the very server its child processes are talking to.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Removes the folder a test's ledger lives in.
func removeFolder(of file: String) {
    try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent)
}
