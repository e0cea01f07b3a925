import Foundation

/// What one child process cost: wall time and peak resident memory.
public struct ProcessCost: Sendable {
    public let seconds: Double
    public let peakMB: Double
}

public enum BenchmarkError: Error, CustomStringConvertible {
    case cannotRun(String)
    case failed(String, Int32)

    public var description: String {
        switch self {
        case .cannotRun(let what): "cannot run \(what)"
        case .failed(let what, let status): "\(what) exited \(status)"
        }
    }
}

/// Runs a child to completion under GNU time: its wall time and peak resident set.
///
/// Not wait4 on a child of this process: a child spawned from here counts this process's own
/// pages in its peak until it execs. GNU time's own footprint, a couple of MB, is what its
/// child starts from instead.
public func measure(
    _ executable: String, _ arguments: [String], stdout: String? = nil, environment: [String: String]? = nil
) throws -> ProcessCost {
    let report = FileManager.default.temporaryDirectory.appendingPathComponent("time-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: report) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
    process.arguments = ["-o", report, "-f", "%e %M", executable] + arguments
    if let environment { process.environment = environment }
    if let stdout {
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
    } else {
        process.standardOutput = FileHandle.nullDevice
    }
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchmarkError.failed(executable + " " + arguments.joined(separator: " "), process.terminationStatus) }
    let fields = (try String(contentsOfFile: report, encoding: .utf8)).split(whereSeparator: { $0 == " " || $0 == "\n" })
    guard fields.count >= 2, let seconds = Double(fields[fields.count - 2]), let kilobytes = Double(fields[fields.count - 1]) else {
        throw BenchmarkError.cannotRun("/usr/bin/time (install Debian's time package)")
    }
    return ProcessCost(seconds: seconds, peakMB: kilobytes / 1024)
}

/// The wall time of a child, measured here to the microsecond: spawned with posix_spawn and
/// reaped with waitpid (Foundation's `Process` polls for the child's end in 50 ms steps, more
/// than a whole process start), its output discarded.
public func wallTime(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Double {
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var pid: pid_t = 0
    let start = DispatchTime.now()
    guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { throw BenchmarkError.cannotRun(executable) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else { throw BenchmarkError.failed(executable, status) }
    return seconds
}

/// How many times a child called fsync or fdatasync, counted by strace; `nil` without strace.
public func fsyncs(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Int? {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { return nil }
    let report = FileManager.default.temporaryDirectory.appendingPathComponent("strace-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: report) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
    process.arguments = ["-f", "-c", "-e", "trace=fsync,fdatasync", "-o", report, executable] + arguments
    if let environment { process.environment = environment }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchmarkError.failed("strace " + executable, process.terminationStatus) }
    let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
    // The summary's last line: "100.00 0.000054 18 3 total" — calls is the fourth column.
    guard let total = text.split(separator: "\n").last(where: { $0.hasSuffix("total") }) else { return 0 }
    let columns = total.split(separator: " ")
    return columns.count >= 4 ? Int(columns[3]) : 0
}

/// The median of some measurements.
public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Seconds a block takes, on the monotonic clock.
public func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
