import Foundation

/// The process that placed a submission's hold: enough to tell, later, whether it is still
/// sending (same host, process alive) or provably gone (same host, process ended).
public struct SenderIdentity: Sendable, Equatable {
    /// The host name, as `gethostname` gives it.
    public let host: String
    public let pid: Int32
    /// The process's start, as the kernel counts it (`boot id:ticks` on Linux): a process id
    /// reused by a later process has another. `nil` where the system does not tell.
    public let started: String?

    public init(host: String, pid: Int32, started: String?) {
        self.host = host
        self.pid = pid
        self.started = started
    }

    /// This process.
    public static let current = SenderIdentity(host: hostName(), pid: getpid(), started: startMarker(of: getpid()))

    /// Whether the sender can still be sending.
    public enum Liveness: Sendable, Equatable {
        /// On this host and running.
        case alive
        /// On this host and no longer running: whatever it was doing, it will not finish.
        case gone
        /// On another host: this process cannot tell.
        case elsewhere
    }

    /// Looks the sender up on this host.
    public var liveness: Liveness {
        guard host == Self.current.host else { return .elsewhere }
        if pid == getpid() { return started == Self.current.started ? .alive : .gone }  // pid 1 of one container after another
        guard kill(pid, 0) == 0 || errno == EPERM else { return .gone }
        guard let started, let now = Self.startMarker(of: pid) else { return .alive }
        return started == now ? .alive : .gone
    }

    /// The host name, and on Linux the process-id namespace: containers sharing a host name
    /// (`--network host`) do not share process ids, so one must not judge another's sender.
    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let name = gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : "unknown-host"
        guard let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid") else { return name }
        return name + "/" + namespace  // e.g. "vm/pid:[4026531836]"
    }

    /// `boot id:start ticks` from `/proc` on Linux; `nil` elsewhere.
    private static func startMarker(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)
        else { return nil }
        // The command name (field 2) is in parentheses and may hold spaces: count from after it.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Field 22 (starttime) is the 20th after the command name.
        guard fields.count > 19 else { return nil }
        return boot.trimmingCharacters(in: .whitespacesAndNewlines) + ":" + fields[19]
    }
}
