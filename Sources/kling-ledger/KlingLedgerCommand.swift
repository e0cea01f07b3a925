import ArgumentParser

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
        subcommands: [QuoteCommand.self, CompareCommand.self, PricingCommand.self, SandboxCommand.self]
    )
}
