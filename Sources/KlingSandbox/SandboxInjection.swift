import Foundation
import KlingCore

/// A fault with the provider and operation it waits for, as `kling-ledger sandbox --fault`
/// writes it: `PROVIDER:OPERATION:FAULT[:ARG]`.
///
/// The fault names:
///
/// | Text | Fault | Operations |
/// |---|---|---|
/// | `busy` | `refuse(code: 1303)`: 429, too many tasks at once | create, query |
/// | `refuse:CODE` | `refuse(code:)`, any official business code | create, query |
/// | `error:STATUS` | `serverError(status:)`, HTTP 400–599 | create, query |
/// | `slow:SECONDS` | `slowAnswer`: does the work, answers late | create, query |
/// | `hang:SECONDS` | `hang`: waits, then 503 with nothing done | create, query |
/// | `drop` | `dropAfterCreate`: does the work, closes unanswered | create, query |
/// | `malformed` | `malformedBody`: does the work, answers 200 not-JSON | create, query |
/// | `fail[:MESSAGE]` | `failTask(message:)`: the next task created fails | create |
/// | `callbacks:COUNT` | `repeatCallbacks`: the final callback COUNT times | create |
/// | `units:DECIMAL` | `deductUnits`: the next task deducts these units | create |
/// | `forget` | `forgetTask`: the next task queried is not found from then on | query |
///
/// SECONDS is a decimal from 0 to 3600; a MESSAGE may contain colons.
public struct SandboxInjection: Sendable, Equatable, CustomStringConvertible {
    public var provider: Provider
    public var operation: SandboxOperation
    public var fault: SandboxFault

    /// The shape of the text, for help and error messages.
    public static let syntax = "PROVIDER:OPERATION:FAULT[:ARG]"
    /// Valid examples, for help and error messages.
    public static let examples = ["kling:create:busy", "pixazo:query:slow:2.5", "kkiai:query:forget"]
    /// The fault names, for help and error messages.
    public static let faultNames = "busy, refuse:CODE, error:STATUS, slow:SECONDS, hang:SECONDS, drop, malformed, fail[:MESSAGE], "
        + "callbacks:COUNT, units:DECIMAL, forget"

    public init(provider: Provider, operation: SandboxOperation, fault: SandboxFault) {
        self.provider = provider
        self.operation = operation
        self.fault = fault
    }

    /// Reads `PROVIDER:OPERATION:FAULT[:ARG]`, such as `kling:create:busy`.
    /// - Throws: `SandboxError.invalidFault`, saying which part is wrong.
    public init(parsing text: String) throws(SandboxError) {
        let parts = text.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3 else {
            throw .invalidFault(text, problem: "it has \(parts.count) part\(parts.count == 1 ? "" : "s") separated by colons, not 3 or 4")
        }
        guard let provider = Provider(rawValue: parts[0]) else {
            throw .invalidFault(text, problem: "unknown provider \"\(parts[0])\" (one of \(Provider.namesList))")
        }
        guard let operation = SandboxOperation(rawValue: parts[1]) else {
            throw .invalidFault(text, problem: "unknown operation \"\(parts[1])\" (create or query)")
        }
        let fault: SandboxFault
        do throws(Problem) {
            fault = try Self.fault(named: parts[2], argument: parts.count == 4 ? parts[3] : nil)
        } catch {
            throw .invalidFault(text, problem: error.message)
        }
        if fault.shapesTask, operation != .create {
            throw .invalidFault(text, problem: "\(parts[2]) shapes the next task created, so its operation is create")
        }
        if fault == .forgetTask, operation != .query {
            throw .invalidFault(text, problem: "forget waits for a query, so its operation is query")
        }
        self.init(provider: provider, operation: operation, fault: fault)
    }

    /// The canonical text: `kling:create:busy`.
    public var description: String {
        let name: String
        switch fault {
        case .refuse(let code): name = code == 1303 ? "busy" : "refuse:\(code)"
        case .serverError(let status): name = "error:\(status)"
        case .slowAnswer(let wait): name = "slow:\(Self.seconds(wait))"
        case .hang(let wait): name = "hang:\(Self.seconds(wait))"
        case .dropAfterCreate: name = "drop"
        case .malformedBody: name = "malformed"
        case .failTask(let message): name = "fail:\(message)"
        case .repeatCallbacks(let count): name = "callbacks:\(count)"
        case .deductUnits(let units): name = "units:\(units.decimalString)"
        case .forgetTask: name = "forget"
        }
        return "\(provider.rawValue):\(operation.rawValue):\(name)"
    }

    /// What the fault does, for a person: `the next create is refused with code 1303`.
    public var explanation: String {
        let next = "the next \(provider.rawValue) \(operation.rawValue)"
        return switch fault {
        case .refuse(let code): "\(next) is refused with code \(code)"
        case .serverError(let status): "\(next) is answered HTTP \(status)"
        case .slowAnswer(let wait): "\(next) is answered after \(Self.seconds(wait)) s"
        case .hang(let wait): "\(next) waits \(Self.seconds(wait)) s, then is answered 503 with nothing done"
        case .dropAfterCreate: "\(next) is done, then its connection closed unanswered"
        case .malformedBody: "\(next) is done, then answered 200 with a body that is not JSON"
        case .failTask(let message): "the next \(provider.rawValue) task created fails: \(message)"
        case .repeatCallbacks(let count): "the next \(provider.rawValue) task posts its final callback \(count) times"
        case .deductUnits(let units): "the next \(provider.rawValue) task deducts \(units.decimalString) units"
        case .forgetTask: "the next \(provider.rawValue) task queried is forgotten: not found from then on"
        }
    }

    // MARK: Reading a fault

    private struct Problem: Error {
        let message: String
    }

    private static func fault(named name: String, argument: String?) throws(Problem) -> SandboxFault {
        func none() throws(Problem) {
            if let argument { throw Problem(message: "\(name) takes no argument, but was given \"\(argument)\"") }
        }
        func required(_ label: String) throws(Problem) -> String {
            guard let argument, !argument.isEmpty else { throw Problem(message: "\(name) needs \(label), as in \(name):\(label)") }
            return argument
        }
        func integer(_ label: String, _ range: ClosedRange<Int>) throws(Problem) -> Int {
            let text = try required(label)
            guard let value = Int(text), range.contains(value) else {
                throw Problem(message: "\(name):\(label) needs a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
            }
            return value
        }
        func seconds() throws(Problem) -> Duration {
            let text = try required("SECONDS")
            guard let value = Double(text), value.isFinite, (0...3600).contains(value) else {
                throw Problem(message: "\(name):SECONDS needs a number of seconds from 0 to 3600, not \"\(text)\"")
            }
            return .milliseconds(Int((value * 1000).rounded()))
        }
        switch name {
        case "busy":
            try none()
            return .refuse(code: 1303)
        case "refuse": return .refuse(code: try integer("CODE", 1000...5999))
        case "error": return .serverError(status: try integer("STATUS", 400...599))
        case "slow": return .slowAnswer(try seconds())
        case "hang": return .hang(try seconds())
        case "drop":
            try none()
            return .dropAfterCreate
        case "malformed":
            try none()
            return .malformedBody
        case "fail":
            let message = argument ?? ""
            return .failTask(message: message.isEmpty ? "failed by the sandbox" : message)
        case "callbacks": return .repeatCallbacks(try integer("COUNT", 1...100))
        case "units":
            let text = try required("DECIMAL")
            guard let units = Units(text), units >= .zero else {
                throw Problem(message: "units:DECIMAL needs an exact decimal such as 2.5, not \"\(text)\"")
            }
            return .deductUnits(units)
        case "forget":
            try none()
            return .forgetTask
        default:
            throw Problem(message: "unknown fault \"\(name)\" (one of \(faultNames))")
        }
    }

    /// A duration as decimal seconds: `2.5`.
    private static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        let fraction = milliseconds % 1000
        guard fraction != 0 else { return "\(milliseconds / 1000)" }
        var decimals = String(format: "%03d", Int(fraction))
        while decimals.hasSuffix("0") { decimals.removeLast() }
        return "\(milliseconds / 1000).\(decimals)"
    }
}
