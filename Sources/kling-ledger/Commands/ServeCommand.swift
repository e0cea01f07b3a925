import ArgumentParser
import Foundation
import Gateway
import Ledger
import Logging

/// `kling-ledger serve`: the gateway.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: the official Kling API's endpoints, gated by the budgets, for callers holding keys issued by `keys create`.",
        discussion: """
            Point an existing Kling client at http://HOST:PORT instead of the official base URL and \
            give it a key pair (or API key) from `kling-ledger keys create`: every create is \
            validated, quoted and held against the budgets of the key's team, project and user, \
            then sent with the provider credentials in this process's environment \
            (KLING_ACCESS_KEY/KLING_SECRET_KEY or KLING_API_KEY, KKIAI_API_KEY; base URLs as for \
            `submit`). A background settler settles open tasks every --settle-every seconds, and a \
            caller's own query of a finished task settles it at once.

            Callbacks: a caller's callback_url is not given to the provider. With --public-url,             the provider is given the gateway's own address instead, and its callbacks (a hint:             the task is re-read before anything is settled; the official API's signatures are             checked when KLING_WEBHOOK_SECRET is set) settle a task as soon as it ends. Either             way, each status change (processing, succeed, failed) is posted to the caller's             callback_url once, after it is recorded and settled, signed with the caller's secret             key (webhook-id, webhook-timestamp, webhook-signature: v1,…), and retried for about             three hours if the caller does not answer 2xx.

            Needs KLING_LEDGER_GATEWAY_SECRET (at least 32 characters; e.g. `openssl rand -hex \
            32`): the callers' JWT secret keys are derived from it and never stored.

            Serves: POST /v1/videos/{text2video,image2video,video-extend}, GET …/{task_id or \
            external_task_id}, GET /v1/videos/{kind}?pageNum=&pageSize= (the caller's own tasks), \
            GET /account/costs (the caller's budgets), the same text2video routes under /kling \
            for KKIAI clients; GET /healthz and GET /metrics (Prometheus). Anything else is \
            refused with code 1202, never forwarded.

            A budget refusal is HTTP 403 with code 1103, which official clients do not retry. \
            SIGTERM or Ctrl-C stops accepting requests, lets those under way finish, and exits.
            """)

    @OptionGroup var ledger: LedgerOptions
    @OptionGroup var pricing: PricingOptions

    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8765
    @Option(help: ArgumentHelp("The largest request body accepted, in MiB (base64 images count).", valueName: "MiB"))
    var maxBodyMb = 32
    @Option(help: ArgumentHelp("Requests one key may have in flight; more get code 1302 (HTTP 429).", valueName: "count"))
    var maxInFlightPerKey = 8
    @Option(help: ArgumentHelp("Seconds between the settler's reads of open tasks.", valueName: "seconds"))
    var settleEvery = 15
    @Option(help: ArgumentHelp(
        "The address providers reach this gateway at, e.g. https://gateway.example.com: given to them as the tasks' callback address.",
        valueName: "URL"))
    var publicURL: String?
    @Flag(help: "Let callers' callback_url point inside this network (loopback, private and link-local addresses); refused by default.")
    var allowPrivateCallbacks = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
        guard (1...1024).contains(maxBodyMb) else { throw ValidationError("--max-body-mb must be between 1 and 1024, not \(maxBodyMb)") }
        guard (1...1000).contains(maxInFlightPerKey) else {
            throw ValidationError("--max-in-flight-per-key must be between 1 and 1000, not \(maxInFlightPerKey)")
        }
        guard (1...3600).contains(settleEvery) else { throw ValidationError("--settle-every must be between 1 and 3600 seconds, not \(settleEvery)") }
        if let publicURL {
            guard let url = URLComponents(string: publicURL), ["http", "https"].contains(url.scheme), url.host?.isEmpty == false,
                url.query == nil, url.fragment == nil
            else { throw ValidationError("--public-url must be an http(s) address without query or fragment, such as https://gateway.example.com, not \(publicURL)") }
        }
    }

    func run() async throws {
        try await reportingFailures {
            let configuration = Gateway.Configuration(
                host: host, port: port, maxBodyBytes: maxBodyMb << 20, maxInFlightPerKey: maxInFlightPerKey, settleInterval: .seconds(settleEvery),
                publicURL: publicURL, allowPrivateCallbacks: allowPrivateCallbacks)
            let gateway = try Gateway(
                ledgerPath: ledger.path, prices: try pricing.priceBook(), secret: try GatewaySecret.fromEnvironment(), configuration: configuration)
            let ledgerPath = ledger.path
            try await gateway.run { port in
                // Unbuffered, so a supervisor (or a test) reading a pipe sees the port at once.
                let line = "Gateway listening on http://\(configuration.host):\(port) (ledger \(Ledger.displayName(ledgerPath))); SIGTERM or Ctrl-C stops it\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            }
            print("Gateway stopped.")
        }
    }
}
