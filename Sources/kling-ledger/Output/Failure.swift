import ArgumentParser
import Foundation
import KlingCore
import Ledger
import Pricing

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
        case is CatalogError: invalidRequest
        default: failure
        }
    }
}

/// Runs a command's body, turning a library error into its message on standard error and the
/// documented exit code. Argument errors keep ArgumentParser's own handling (usage, exit 64).
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as any LocalizedError {
        FileHandle.standardError.write(Data("Error: \(error.errorDescription ?? "\(error)")\n".utf8))
        throw ExitCode(ExitStatus.code(for: error))
    }
}
