import ArgumentParser
import Dashboard
import Foundation
import Hummingbird
import Ledger
import Logging

/// `kling-ledger dashboard`: the spend dashboard on a local ledger, read-only.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve the spend dashboard for a ledger, read-only, on this machine.",
        discussion: """
            Pages: the month's overview (spend per day with the forecast and the budgets' limits, \
            by team, provider and model), budgets with their alerts, what needs attention (with \
            the command that resolves each), and every submission with its history; each with \
            CSV downloads of the reports. It shows every team: it is for whoever can read the \
            ledger. `kling-ledger serve` serves the same pages under /ui to key holders, a \
            team's key showing its own team only.
            """)

    @OptionGroup var ledger: LedgerOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8766

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
    }

    func run() async throws {
        try await reportingFailures {
            let store = try ledger.open(.read)  // refused here, before listening, when there is no ledger
            let dashboard = try Dashboard()
            let router = Router()
            // Opened anew for each page: a long-lived read-only connection would not see what
            // other processes write after it was opened.
            let path = ledger.path
            dashboard.register(on: router, prefix: "") { _ in (try Ledger(path: path, access: .read), .everyone) }
            let location = store.location
            let host = host
            let app = Application(
                router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
                onServerRunning: { channel in
                    let line = "Dashboard on http://\(host):\(channel.localAddress?.port ?? 0)/ (ledger \(location), read-only); Ctrl-C stops it\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }, logger: Logger(label: "kling-ledger.dashboard"))
            try await app.runService()
        }
    }
}
