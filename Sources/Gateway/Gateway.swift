import Dashboard
import Foundation
import Gate
import Hummingbird
import KlingAPI
import KlingAuth
import KlingCore
import Ledger
import Logging
import NIOCore
import Pricing
import ServiceLifecycle
import UnixSignals

/// `kling-ledger serve`: the official Kling API (and KKIAI's copy of it under `/kling`) in
/// front of the budget gate. A caller signs its requests with a key we issued, exactly as it
/// would sign them for Kling; every create is validated, quoted, held against the budgets of
/// the key's scope, forwarded with the organisation's credentials, recorded and settled.
public struct Gateway: Sendable {
    /// How the gateway listens and protects itself.
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The largest request body read: two 10 MB images in base64 and a prompt fit.
        public var maxBodyBytes: Int
        /// Requests one key may have in flight; more are refused with 1302 (HTTP 429).
        public var maxInFlightPerKey: Int
        /// How often the settler reads the open tasks.
        public var settleInterval: Duration
        /// The address providers reach this gateway at (`https://gateway.example.com`): they are
        /// given `{publicURL}/callbacks/{provider}/{submission}` as the task's callback, so the
        /// gateway settles as soon as a task ends. `nil`: providers are not given one, and the
        /// settler's polling finds the changes.
        public var publicURL: String?
        /// How often the callback relay looks for deliveries due.
        public var relayInterval: Duration
        /// Whether a caller's `callback_url` may point inside the gateway's network (loopback,
        /// private and link-local addresses). Off by default: the gateway posts from its host.
        public var allowPrivateCallbacks: Bool

        public init(
            host: String = "127.0.0.1", port: Int = 8765, maxBodyBytes: Int = 32 << 20, maxInFlightPerKey: Int = 8,
            settleInterval: Duration = .seconds(15), publicURL: String? = nil, relayInterval: Duration = .seconds(1),
            allowPrivateCallbacks: Bool = false
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.maxInFlightPerKey = maxInFlightPerKey
            self.settleInterval = settleInterval
            self.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
            self.relayInterval = relayInterval
            self.allowPrivateCallbacks = allowPrivateCallbacks
        }
    }

    public let gate: Gate
    let configuration: Configuration
    let authenticator: CallerAuthenticator
    let secret: GatewaySecret
    /// Checks the official API's signed callbacks (`KLING_WEBHOOK_SECRET`), when configured.
    let officialCallbackSigner: WebhookSignature?
    let metrics: GatewayMetrics
    let limiter: InFlightLimiter
    let dashboard: Dashboard
    let unitPrice: UnitPrice?
    let logger: Logger

    /// - Parameters:
    ///   - environment: the providers' credentials and base URLs, `KLING_UNIT_PRICE`, and
    ///     `KLING_WEBHOOK_SECRET` (the official API's callback signing secret).
    public init(
        ledgerPath: String, prices: PriceBook, secret: GatewaySecret, configuration: Configuration = Configuration(),
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger = Logger(label: "kling-ledger.gateway")
    ) throws {
        let metrics = GatewayMetrics()
        let transport = MeasuredTransport(inner: AsyncHTTPTransport.shared, histogram: metrics.upstreamLatency)
        self.gate = Gate(
            ledgerPath: ledgerPath, prices: prices,
            clients: { [clients = ProviderClients(environment: environment, transport: transport)] in try clients.client(for: $0) },
            aceDataCallbackURL: Gate.aceDataCallbackURL(environment: environment), soleSenderInProcess: true)
        self.configuration = configuration
        self.authenticator = CallerAuthenticator(secret: secret)
        self.secret = secret
        self.officialCallbackSigner = environment["KLING_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : WebhookSignature(secret: $0) }
        self.metrics = metrics
        self.limiter = InFlightLimiter(limit: configuration.maxInFlightPerKey)
        self.dashboard = try Dashboard()
        self.unitPrice = try UnitPrice.override(option: nil, environment: environment)
        self.logger = logger
    }

    // MARK: Routes

    /// Every route the gateway answers; anything else gets the official API's 1202.
    public func router() -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        router.add(middleware: GatewayMiddleware(metrics: metrics, logger: logger))
        router.get("/healthz") { _, context in try await health(context) }
        router.get("/metrics") { _, _ in try await scrape() }
        OfficialSurface(provider: .kling, gateway: self).register(on: router)
        OfficialSurface(provider: .kkiai, gateway: self).register(on: router)
        PixazoSurface(gateway: self).register(on: router)
        AceDataSurface(gateway: self).register(on: router)
        ProviderCallbacks(gateway: self, officialSigner: officialCallbackSigner).register(on: router)
        dashboard.register(on: router, prefix: "/ui") { request in
            let key = try await dashboardKey(request)
            // A connection of its own, read-only: a long page never holds up the callers' API.
            let ledger = try await gate.withLedger(.read) { $0 }
            return (ledger, key.role == .admin ? .everyone : .team(key.scope.team))
        }
        return router
    }

    /// Runs until SIGTERM or SIGINT: then it stops accepting, lets in-flight requests finish
    /// (a create under way is recorded before its answer is sent), and returns.
    /// - Parameter onRunning: called with the port once the gateway listens.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        try await gate.withLedger(.create) { _ in }  // create and migrate the ledger before the first caller
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
        let settler = Settler(gate: gate, interval: configuration.settleInterval, logger: logger)
        let relay = CallbackRelay(
            gate: gate, secret: secret, transport: AsyncHTTPTransport.shared, interval: configuration.relayInterval,
            allowPrivate: configuration.allowPrivateCallbacks, logger: logger)
        let services = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: settler), .init(service: relay)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await services.run()
        } catch let error as IOError {
            throw GatewayError.cannotListen(host: configuration.host, port: configuration.port, reason: String(cString: strerror(error.errnoCode)))
        }
    }

    // MARK: Operations

    /// 200 when the ledger answers, 503 when it does not.
    private func health(_ context: GatewayContext) async throws -> Response {
        do {
            _ = try await gate.withLedger(.write) { try $0.timeZone() }
            return KlingAnswer.json(.ok, ["status": "ok"])
        } catch {
            logger.error("health check: the ledger does not answer", metadata: ["error": "\(error)"])
            return KlingAnswer.json(.serviceUnavailable, ["status": "ledger unreachable"])
        }
    }

    private func scrape() async throws -> Response {
        let budgets = try await gate.withLedger(.write) { try $0.budgets() }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.scrape(budgets: budgets))))
    }

    // MARK: Callers

    /// Whose dashboard this is: a browser gives the API key as the password of a Basic login
    /// (any user name); a script may send it as Bearer. A team's key sees its team, an admin
    /// key every team.
    func dashboardKey(_ request: Request) async throws -> GatewayKey {
        var authorization = request.headers[.authorization]
        if let header = authorization, header.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst("Basic ".count))).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        {
            authorization = "Bearer " + decoded[decoded.index(after: colon)...]
        }
        guard authorization != nil else {
            throw KlingRefusal(1001, "The dashboard needs a key: give an API key from `kling-ledger keys create` as the password")
        }
        let now = Date()
        return try await gate.withLedger(.write) { ledger in try authenticator.caller(authorization: authorization, ledger: ledger, now: now) }
    }

    /// The callback address a provider is given for a submission: the gateway's own, so it can
    /// settle first and then relay the change to the caller. Pixazo takes no callback.
    func providerCallbackAddress(_ provider: Provider) -> @Sendable (String) -> String? {
        guard let base = configuration.publicURL, provider != .pixazo else { return { _ in nil } }
        return { id in base + ProviderCallbacks.path(provider: provider, submissionID: id) }
    }

    /// Runs a caller's request: authenticated by its key, within the key's in-flight limit.
    /// - Parameter authorization: the credential, when the provider's API carries it elsewhere
    ///   than in `Authorization`.
    func serving(
        _ request: Request, _ context: GatewayContext, authorization: String? = nil, _ body: (GatewayKey) async throws -> Response
    ) async throws -> Response {
        let now = Date()
        let caller = try await gate.withLedger(.write) { ledger in
            try authenticator.caller(authorization: authorization ?? request.headers[.authorization], ledger: ledger, now: now)
        }
        context.log.identify(caller)
        guard caller.role == .caller else {
            throw KlingRefusal(1000, "key \(caller.id) is an admin key: it opens the dashboard (/ui) and spends nothing; call with a team's key")
        }
        guard limiter.enter(caller.id) else {
            throw KlingRefusal(
                1302, "rate limit: key \(caller.id) already has \(limiter.perKey) requests in flight at this gateway; retry when one has been answered")
        }
        defer { limiter.leave(caller.id) }
        return try await body(caller)
    }
}
