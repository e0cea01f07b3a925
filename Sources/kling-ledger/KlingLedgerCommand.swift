import ArgumentParser
import Foundation
import Logging

/// `kling-ledger`: cost and usage accounting for Kling AI video generation.
@main
struct KlingLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kling-ledger",
        abstract: "Price, budget and account for Kling AI video generation across gateways.",
        discussion: """
            KlingLedger prices every Kling video job from per-provider tables (pricing/*.json) \
            and records submissions and their money in a local SQLite ledger.

            Providers: kling (official API), pixazo, acedata, kkiai.
            Money is shown as exact decimal USD.

            Exit codes: 0 success, 3 refused by a budget, 64 invalid request or usage, \
            69 provider unavailable or outcome unknown, 1 anything else.
            """,
        subcommands: [
            DemoCommand.self, SubmitCommand.self, StatusCommand.self, ListCommand.self, SyncCommand.self, ResolveCommand.self, BudgetCommand.self,
            ReportCommand.self, AlertsCommand.self,
            QuoteCommand.self, CompareCommand.self, PricingCommand.self, SandboxCommand.self,
        ]
    )

    /// Logs go to standard error, warnings and worse unless KLING_LEDGER_LOG_LEVEL says
    /// otherwise (`info` shows every request's method, path and status; never a credential).
    static func main() async {
        let level = ProcessInfo.processInfo.environment["KLING_LEDGER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
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
            exit(withError: error)
        }
    }
}
