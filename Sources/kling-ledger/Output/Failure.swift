import ArgumentParser
import Foundation
import KlingAPI
import KlingCore
import Ledger
import Pricing
import Reports

/// The exit codes of `kling-ledger`, as documented in `--help`.
enum ExitStatus {
    static let refusedByBudget: Int32 = 3
    static let invalidRequest: Int32 = 64
    static let providerUnavailable: Int32 = 69
    static let failure: Int32 = 1

    /// The exit code an error ends the command with.
    static func code(for error: any Error) -> Int32 {
        switch error {
        case let error as PricingError:
            switch error {
            case .noRule, .notOffered, .invalidUnitPrice, .noTable, .noVersion: invalidRequest
            default: failure
            }
        case is CatalogError, is JobValidationError, is AccountError, is ReportError, is AlertTargetError: invalidRequest
        case is ProviderFailure, is WaitTimedOut: providerUnavailable
        default: failure
        }
    }
}

/// Runs a command's body, turning a library error into its message on standard error and the
/// documented exit code. Argument errors keep ArgumentParser's own handling (usage, exit 64).
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        throw exit(reporting: error)
    }
}

/// The same for asynchronous commands.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        throw exit(reporting: error)
    }
}

/// Writes the error's message to standard error and returns the exit to end with.
private func exit(reporting error: any Error) -> any Error {
    if error is ExitCode || error is CleanExit { return error }
    let message = (error as? any LocalizedError)?.errorDescription ?? "\(error)"
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    return ExitCode(ExitStatus.code(for: error))
}
