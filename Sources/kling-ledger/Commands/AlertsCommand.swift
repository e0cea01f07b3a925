import ArgumentParser
import Foundation
import Gate
import KlingCore
import Ledger

extension AlertFormat: ExpressibleByArgument {}

/// `kling-ledger alerts list|deliver|test|target`.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "See budget alerts, deliver them, and manage where they go.",
        discussion: """
            A budget alerts once per period when its usage (charged + held) first reaches each of \
            its thresholds (--alert-at, default 50,80,100), and once when the period's burn rate \
            projects it past its limit before the period ends. Alerts wait in the ledger's outbox \
            until each target answers 2xx; submit and sync deliver them as they go, and \
            `alerts deliver` retries the ones due.
            """,
        subcommands: [List.self, Deliver.self, Test.self, Target.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List alerts, newest first, with their delivery to each target.")
        @OptionGroup var ledger: LedgerOptions
        @Option(parsing: .unconditional, help: "How many alerts to show.") var limit = 50
        @Flag(help: "Print JSON (an array of alerts, each with its deliveries).") var json = false

        func validate() throws {
            if limit <= 0 { throw ValidationError("--limit must be a number above zero, not \(limit)") }
        }

        func run() throws {
            try reportingFailures {
                let store = try ledger.open(.read)
                let alerts = try store.alerts(limit: limit)
                let deliveries = Dictionary(grouping: try store.deliveries(ofAlerts: alerts.map(\.id)), by: \.alert.id)
                if json { return try printJSON(alerts.map { AlertJSON($0, deliveries: deliveries[$0.id] ?? []) }) }
                guard !alerts.isEmpty else { return print("No alerts yet.") }
                for alert in alerts {
                    print("#\(alert.id) \(Timestamp.string(alert.createdAt))  \(alert.message)")
                    for delivery in deliveries[alert.id] ?? [] {
                        print("    → target \(delivery.target.id) (\(delivery.target.address.redacted)): \(delivery.state)")
                    }
                    if deliveries[alert.id] == nil { print("    → no target (add one with `kling-ledger alerts target add`)") }
                }
            }
        }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "deliver", abstract: "Deliver the alerts that are due, retrying failed ones on their schedule.")
        @OptionGroup var ledger: LedgerOptions
        @Flag(help: "Try every undelivered alert now, ignoring the retry schedule (a target just came back).") var retryNow = false

        func run() async throws {
            try await reportingFailures { try await execute() }
        }

        private func execute() async throws {
            let attempts = try await AlertCourier().deliver(ledger: try ledger.open(.write), ignoringSchedule: retryNow)
            guard !attempts.isEmpty else { return print("Nothing to deliver.") }
            for attempt in attempts {
                let target = "alert #\(attempt.delivery.alert.id) → target \(attempt.delivery.target.id) (\(attempt.delivery.target.address.redacted))"
                if let failure = attempt.failure {
                    print("\(target): not delivered (\(failure)); next attempt at \(attempt.retryAt.map(Timestamp.string) ?? "?")")
                } else {
                    print("\(target): delivered")
                }
            }
            if attempts.contains(where: { $0.failure != nil }) { throw ExitCode(ExitStatus.unavailable.rawValue) }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "test", abstract: "Send a test message to a target.")
        @OptionGroup var ledger: LedgerOptions
        @Option(help: "The target's id (`alerts target list`).") var target: Int64

        func run() async throws {
            try await reportingFailures { try await execute() }
        }

        private func execute() async throws {
            guard let found = try ledger.open(.read).alertTarget(id: target) else { throw AlertTargetError.noSuchTarget(target) }
            do {
                try await AlertCourier().sendTest(to: found)
            } catch {
                FileHandle.standardError.write(Data("Error: the test message to target \(target) was not accepted: \((error as? any LocalizedError)?.errorDescription ?? "failed")\n".utf8))
                throw ExitCode(ExitStatus.unavailable.rawValue)
            }
            print("Test message accepted by target \(target) (\(found.address.redacted)).")
        }
    }

    struct Target: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "target",
            abstract: "Add, list and remove webhook targets.", subcommands: [Add.self, List.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: "Send alerts to a webhook.",
                discussion: """
                    A Slack incoming-webhook URL is itself a secret: keep it in an environment variable \
                    and give --webhook-env NAME, so it never lands in the ledger.
                    Example: kling-ledger alerts target add --webhook-env VIDEO_SLACK_URL --team video --format slack
                    """)
            @OptionGroup var ledger: LedgerOptions
            @Option(help: ArgumentHelp("The webhook URL (stored in the ledger).", valueName: "url")) var webhook: String?
            @Option(help: ArgumentHelp("The environment variable holding the webhook URL, read when delivering.", valueName: "name")) var webhookEnv: String?
            @Option(help: "Only alerts of this team's budgets.") var team: String?
            @Flag(help: "Alerts of every budget (the default).") var all = false
            @Option(help: "slack ({\"text\": …}) or json (budget, scope, period, threshold, amounts).") var format: AlertFormat = .slack
            @Flag(help: "Print the target as JSON.") var json = false

            func validate() throws {
                guard (webhook == nil) != (webhookEnv == nil) else { throw ValidationError("give either --webhook URL or --webhook-env NAME") }
                guard !(team != nil && all) else { throw ValidationError("give --team T or --all, not both") }
                if let webhook { try WebhookAddress.check(webhook) }
            }

            func run() throws {
                try reportingFailures {
                    let address: WebhookAddress = webhook.map(WebhookAddress.url) ?? .environment(webhookEnv ?? "")
                    let target = try ledger.open(.create).addAlertTarget(address, team: team, format: format)
                    if json { return try printJSON(AlertTargetJSON(target)) }
                    print("Added alert target \(target.id): \(target.address.redacted), \(target.team.map { "team \($0)" } ?? "every budget"), \(target.format.rawValue) format.")
                    print("Check it with: kling-ledger alerts test --target \(target.id)")
                }
            }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "list", abstract: "List the webhook targets.")
            @OptionGroup var ledger: LedgerOptions
            @Flag(help: "Print JSON (an array).") var json = false

            func run() throws {
                try reportingFailures {
                    let targets = try ledger.open(.read).alertTargets()
                    if json { return try printJSON(targets.map(AlertTargetJSON.init)) }
                    guard !targets.isEmpty else { return print("No alert targets; add one with `kling-ledger alerts target add --webhook URL`.") }
                    for target in targets {
                        print("\(target.id)  \(target.address.redacted)  \(target.team.map { "team \($0)" } ?? "every budget")  \(target.format.rawValue)")
                    }
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "remove", abstract: "Stop sending alerts to a target.")
            @OptionGroup var ledger: LedgerOptions
            @Argument(help: "The target's id.") var id: Int64
            @Flag(help: "Print the removed target as JSON.") var json = false

            func run() throws {
                try reportingFailures {
                    let target = try ledger.open(.write).removeAlertTarget(id: id)
                    if json { return try printJSON(AlertTargetJSON(target)) }
                    print("Removed alert target \(target.id) (\(target.address.redacted)).")
                }
            }
        }
    }
}

/// An alert target as `--json` prints it; the URL only as shown (`redacted`), never whole.
struct AlertTargetJSON: Encodable {
    let id: Int64
    let webhook: String
    @Nullable var team: String?
    let format: String
    let created_at: String

    init(_ target: AlertTarget) {
        id = target.id
        webhook = target.address.redacted
        team = target.team
        format = target.format.rawValue
        created_at = Timestamp.string(target.createdAt)
    }
}

/// An alert and its delivery to each target, as `alerts list --json` prints them. A pack's
/// alert has `null` budget fields, and a budget's `null` pack fields.
struct AlertJSON: Encodable {
    struct Delivery: Encodable {
        let target: Int64
        let state: String
        let delivered: Bool
        let attempts: Int
        @Nullable var last_error: String?
    }

    let id: Int64
    let kind: String
    let percent: Int
    @Nullable var budget: Int64?
    @Nullable var scope: String?
    let period: String
    @Nullable var limit_usd: String?
    @Nullable var charged_usd: String?
    @Nullable var held_usd: String?
    @Nullable var projected_at: String?
    @Nullable var submission: String?
    @Nullable var pack_id: String?
    @Nullable var pack_remaining_units: String?
    let message: String
    let created_at: String
    let deliveries: [Delivery]

    init(_ alert: Alert, deliveries: [AlertDelivery]) {
        id = alert.id
        kind = alert.kind.rawValue
        percent = alert.percent
        budget = alert.budget?.budgetID
        scope = alert.budget?.scope.description
        period = alert.periodLabel
        limit_usd = alert.budget?.limit.decimalString
        charged_usd = alert.budget?.charged.decimalString
        held_usd = alert.budget?.held.decimalString
        projected_at = alert.projectedAt.map(Timestamp.string)
        submission = alert.budget?.submissionID
        pack_id = alert.pack?.id
        pack_remaining_units = alert.pack?.remaining.decimalString
        message = alert.message
        created_at = Timestamp.string(alert.createdAt)
        self.deliveries = deliveries.map {
            Delivery(target: $0.target.id, state: $0.state, delivered: $0.deliveredAt != nil, attempts: $0.attempts, last_error: $0.lastError)
        }
    }
}
