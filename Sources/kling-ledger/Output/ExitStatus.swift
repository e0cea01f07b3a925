import ArgumentParser
import Foundation
import Gate
import Gateway
import KlingAPI
import KlingCore
import KlingSandbox
import Ledger
import Pricing
import Reports

/// The exit codes of `kling-ledger`, following sysexits(3) where it has a code, with three of
/// our own for outcomes a script acts on. The one table: `--help`, the README and the tests
/// read it from here.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case failure = 1
    case refusedByBudget = 3
    case taskFailed = 4
    case needsPerson = 5
    case disagrees = 6
    case usage = 64
    case dataError = 65
    case noLedger = 66
    case unavailable = 69
    case ledgerUnusable = 74
    case notFinished = 75
    case noPermission = 77
    case configuration = 78
    case interrupted = 130

    /// What the code means, as the table says it.
    var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "an unexpected error (a bug: please report it)"
        case .refusedByBudget: "refused by a hard budget: nothing held, nothing sent"
        case .taskFailed: "the task failed at the provider (`submit --wait`): nothing charged"
        case .needsPerson: "`sync` left submissions it cannot settle: check them at the provider, then `resolve`"
        case .disagrees: "`reconcile` found the ledger and the provider's bill disagree (nothing written): `--apply` makes them equal"
        case .usage: "invalid request or usage: a bad option, an invalid or unpriceable job, an idempotency key reused for another request"
        case .dataError: "no such submission, budget or target, or it is not in a state for this (e.g. resolving a settled one)"
        case .noLedger: "no ledger at the path (commands that only read never create one)"
        case .unavailable: "provider (or the PostgreSQL ledger's server) unavailable or refusing for now: nothing was created; try again later"
        case .ledgerUnusable: "the ledger file cannot be used: not a ledger, damaged, locked, a disk error"
        case .notFinished: "not finished: the outcome is unknown (hold kept) or `--wait` timed out; `sync` later"
        case .noPermission: "not allowed: the provider refused the credential, or the ledger is read-only for this user"
        case .configuration: "configuration: a missing credential, a broken price table, a bad environment variable"
        case .interrupted: "interrupted (Ctrl-C or SIGTERM); it prints where the submission stands"
        }
    }

    /// The table as `--help` shows it.
    static var table: String {
        allCases.map { String(format: "%4d  ", $0.rawValue) + $0.meaning }.joined(separator: "\n")
    }

    /// The exit code an error ends the command with.
    static func of(_ error: any Error) -> ExitStatus {
        switch error {
        case LedgerError.unreachable:
            .unavailable
        case LedgerError.badLocation:
            .usage
        case let error as LedgerError:
            switch error.kind {
            case .missing: .noLedger
            case .permission: .noPermission
            case .data: .dataError
            case .unusable: .ledgerUnusable
            }
        case let error as PricingError:
            switch error {
            case .noRule, .notOffered, .noTable, .noVersion: .usage
            case .invalidUnitPrice(_, let origin): origin == .environment ? .configuration : .usage
            case .tableFolderMissing, .noTables, .unreadableTable, .invalidTable, .duplicateProvider: .configuration
            default: .failure
            }
        case let error as AlertTargetError:
            switch error {
            case .noSuchTarget: .dataError
            case .variableUnset: .configuration
            case .notAWebhookURL, .credentialsInURL: .usage
            }
        case let error as ReportError: if case .noDefinitions = error { .configuration } else { .usage }
        case let failure as ProviderFailure: of(failure)
        case is CatalogError, is JobValidationError, is GateError, is ValidationError, is UsageExportError: .usage
        case is AccountError: .configuration
        case is WaitTimedOut: .notFinished
        case let error as SandboxError:
            switch error {
            case .cannotListen: .unavailable
            case .unreadableState: .dataError
            case .stateNotSaved: .noPermission
            case .invalidFault: .usage
            }
        case let error as GatewayError:
            switch error {
            case .noSecret, .weakSecret: .configuration
            case .cannotListen: .unavailable
            }
        case is CancellationError: .interrupted
        default: .failure
        }
    }

    static func of(_ failure: ProviderFailure) -> ExitStatus {
        if failure.httpStatus == 401 || failure.httpStatus == 403 { return .noPermission }
        switch failure.category {
        case .outcomeUnknown: return .notFinished
        case .notCreated, .retryLater, .resignAndRetry: return .unavailable
        }
    }
}

/// A command that ended in an error: its message (said once, by `main`) and exit code.
struct CommandFailure: Error {
    let status: ExitStatus
    let message: String

    init(_ error: any Error) {
        status = ExitStatus.of(error)
        message = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
    }

    init(status: ExitStatus, message: String) {
        self.status = status
        self.message = message
    }
}

/// Runs a command's body, turning a library error into a `CommandFailure` that `main` prints
/// (as text, or as a JSON object under `--json`) and exits with. Argument errors keep
/// ArgumentParser's own handling (usage, exit 64).
func reportingFailures(_ body: () throws -> Void) throws {
    do { try body() } catch { throw commandFailure(error) }
}

/// The same for asynchronous commands.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do { try await body() } catch { throw commandFailure(error) }
}

/// An error as the command ends with it: exits and failures already decided pass through.
private func commandFailure(_ error: any Error) -> any Error {
    if error is ExitCode || error is CleanExit || error is CommandFailure { return error }
    return CommandFailure(error)
}

/// Writes a warning line to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data("Warning: \(text)\n".utf8))
}
