import Foundation

/// The sandbox could not start, keep its state or read a fault.
public enum SandboxError: Error, LocalizedError, Equatable {
    case cannotListen(port: Int, reason: String)
    /// The state file exists but cannot be read, or is not a state the sandbox wrote.
    case unreadableState(path: String, reason: String)
    /// The state file could not be written (at start, or after a task was created).
    case stateNotSaved(path: String, reason: String)
    /// A fault written as text (`kling:create:busy`) does not follow ``SandboxInjection/syntax``.
    case invalidFault(String, problem: String)

    public var errorDescription: String? {
        switch self {
        case .cannotListen(let port, let reason):
            "the sandbox cannot listen on 127.0.0.1:\(port) (\(reason)); choose another --port, or 0 for any free port"
        case .unreadableState(let path, let reason):
            "the sandbox state file \(path) cannot be read (\(reason)); move it away to start with no tasks, or choose another --state"
        case .stateNotSaved(let path, let reason):
            "the sandbox cannot write its state file \(path) (\(reason)); check that its folder exists and is writable"
        case .invalidFault(let text, let problem):
            "--fault \"\(text)\": \(problem); expected \(SandboxInjection.syntax), for example "
                + SandboxInjection.examples.joined(separator: " or ")
        }
    }
}
