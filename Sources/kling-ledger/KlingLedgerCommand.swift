import ArgumentParser
import Foundation
import Logging

/// `kling-ledger`: cost and usage accounting for Kling AI video generation.
@main
struct KlingLedgerCommand: AsyncParsableCommand {
    /// The release, as `--version` prints it.
    static let version = "0.6.0"

    static let configuration = CommandConfiguration(
        commandName: "kling-ledger",
        abstract: "Price, budget and account for Kling AI video generation across gateways.",
        discussion: """
            KlingLedger prices every Kling video job from per-provider tables (pricing/*.json) \
            and records submissions and their money in a local SQLite ledger.

            Providers: kling (official API), pixazo, acedata, kkiai.
            Money is shown as exact decimal USD. With --json, every command that prints data \
            prints one JSON document (absent values as null), and an error as \
            {"error": {"exit_code": N, "message": "…"}}.
            """,
        version: version,
        subcommands: [
            DemoCommand.self, SubmitCommand.self, StatusCommand.self, ListCommand.self, SyncCommand.self, ResolveCommand.self, BudgetCommand.self,
            ReportCommand.self, ReconcileCommand.self, PacksCommand.self, AlertsCommand.self,
            QuoteCommand.self, CompareCommand.self, PricingCommand.self, ServeCommand.self, KeysCommand.self, LedgerCommand.self, DashboardCommand.self,
            SandboxCommand.self,
        ]
    )

    /// Logs go to standard error, warnings and worse unless KLING_LEDGER_LOG_LEVEL says
    /// otherwise (`info` shows every request's method, path and status; never a credential).
    static func main() async {
        // One variable by `getenv`: `ProcessInfo.environment` copies them all, at every start.
        let level = getenv("KLING_LEDGER_LOG_LEVEL").flatMap { Logger.Level(rawValue: String(cString: $0)) } ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            fail(error)
        }
    }

    /// Says why the command failed — as a JSON object on standard output under `--json`, so a
    /// script reading it always gets JSON — and exits with the documented code.
    private static func fail(_ error: any Error) -> Never {
        let status: Int32
        let message: String
        if let failure = error as? CommandFailure {
            (status, message) = (failure.status.rawValue, failure.message)
        } else if CommandLine.arguments.contains("--json"), exitCode(for: error) != .success, !(error is ExitCode) {
            (status, message) = (exitCode(for: error).rawValue, self.message(for: error))
        } else {
            exit(withError: error)  // usage errors, help and version as ArgumentParser says them; outcomes already printed
        }
        if CommandLine.arguments.contains("--json") {
            struct Failure: Encodable { let error: Detail }
            struct Detail: Encodable { let exit_code: Int32; let message: String }
            try? printJSON(Failure(error: Detail(exit_code: status, message: message)))
        } else {
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        }
        Foundation.exit(status)
    }
}
