import Foundation
import Hummingbird
import KlingAuth
import KlingCore
import Logging
import NIOCore
import Pricing
import ServiceLifecycle

/// A real HTTP server on loopback that speaks the four providers' documented protocols, keeps
/// its own record of every task it created and deducted, and misbehaves on request.
///
/// It is a test double of the providers only: whatever talks to it is the real client.
public final class Sandbox: Sendable {
    /// The port it listens on, on 127.0.0.1.
    public let port: Int
    public let credentials: SandboxCredentials
    /// How long a task takes from create to finish.
    public let delay: Duration
    let book: SandboxBook
    private let callbacks: CallbackPoster
    let inbox: WebhookInbox
    private let server: Task<Void, any Error>
    private let services: ServiceGroup

    private init(
        port: Int, credentials: SandboxCredentials, delay: Duration, book: SandboxBook, callbacks: CallbackPoster, inbox: WebhookInbox,
        server: Task<Void, any Error>, services: ServiceGroup
    ) {
        self.inbox = inbox
        self.port = port
        self.credentials = credentials
        self.delay = delay
        self.book = book
        self.callbacks = callbacks
        self.server = server
        self.services = services
    }

    /// Starts a sandbox on 127.0.0.1.
    /// - Parameters:
    ///   - port: 0 (the default) lets the system choose a free port.
    ///   - delay: how long each task takes to finish.
    ///   - prices: the tables its deductions follow (the bundled ones by default).
    ///   - stateFile: a file that keeps the tasks across restarts: its tasks and serial counter
    ///     are loaded if it exists (it is created otherwise), and it is rewritten atomically
    ///     after every task created. A task loaded from it answers queries and finishes at its
    ///     original time; callbacks still due when the previous sandbox stopped are not posted.
    ///     Faults and forgotten tasks are not kept. `nil` (the default): tasks live in memory.
    /// - Throws: `SandboxError.unreadableState` for a state file that cannot be read or is not
    ///   a sandbox state, `.stateNotSaved` when it cannot be created, `.cannotListen`.
    public static func start(
        port: Int = 0, delay: Duration = .seconds(2), credentials: SandboxCredentials = .standard, prices: PriceBook? = nil,
        stateFile: URL? = nil, logger: Logger = Sandbox.quietLogger
    ) async throws -> Sandbox {
        let book = try SandboxBook(
            prices: try prices ?? PriceBook.load(environment: [:]), delay: delay, stateFile: stateFile.map(SandboxStateFile.init(url:)))
        let callbacks = CallbackPoster(logger: logger)
        let router = Router(context: SandboxContext.self)
        book.add(.standard())  // the official account's resource pack; tests add others
        router.add(middleware: RequestRecorder(book: book))
        let official = OfficialAuth(accessKey: credentials.klingAccessKey, secretKey: credentials.klingSecretKey, apiKey: credentials.klingAPIKey)
        OfficialRoutes(
            provider: .kling, book: book, auth: { official.refusal($0, now: Date()) }, callbacks: callbacks,
            signer: WebhookSignature(secret: credentials.klingWebhookSecret)
        ).register(on: router)
        let kkiaiKey = credentials.kkiaiKey
        OfficialRoutes(
            provider: .kkiai, book: book,
            auth: { $0.headers[.authorization] == "Bearer \(kkiaiKey)" ? nil : (1000, "Authentication failed") },
            callbacks: callbacks
        ).register(on: router)
        PixazoRoutes(book: book, subscriptionKey: credentials.pixazoSubscriptionKey).register(on: router)
        AceDataRoutes(book: book, token: credentials.aceDataToken, callbacks: callbacks).register(on: router)
        let inbox = WebhookInbox()
        inbox.register(on: router)

        let (started, continuation) = AsyncStream.makeStream(of: Result<Int, any Error>.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            onServerRunning: { channel in continuation.yield(.success(channel.localAddress?.port ?? 0)) }, logger: logger)
        // Run under a service group of our own, so `stop()` can shut it down gracefully.
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let server = Task {
            do {
                try await services.run()
            } catch {
                continuation.yield(.failure(error))
                throw error
            }
        }
        for await outcome in started {
            switch outcome {
            case .success(let bound):
                return Sandbox(port: bound, credentials: credentials, delay: delay, book: book, callbacks: callbacks, inbox: inbox, server: server, services: services)
            case .failure(let error):
                let reason = (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
                throw SandboxError.cannotListen(port: port, reason: reason)
            }
        }
        throw CancellationError()
    }

    /// Stops the server and any callbacks still to be posted.
    public func stop() async {
        callbacks.cancelAll()
        await services.triggerGracefulShutdown()
        _ = await server.result
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The variables that point each provider's client at this sandbox, with its credentials.
    public var environment: [String: String] {
        [
            "KLING_BASE_URL": baseURL, "KLING_ACCESS_KEY": credentials.klingAccessKey, "KLING_SECRET_KEY": credentials.klingSecretKey,
            "PIXAZO_BASE_URL": baseURL, "PIXAZO_SUBSCRIPTION_KEY": credentials.pixazoSubscriptionKey,
            "ACEDATA_BASE_URL": baseURL, "ACEDATA_API_TOKEN": credentials.aceDataToken,
            // AceData's results are posted back to the sandbox's own webhook inbox.
            "ACEDATA_CALLBACK_URL": webhookURL("acedata-callbacks"),
            "KKIAI_BASE_URL": baseURL, "KKIAI_API_KEY": credentials.kkiaiKey,
            // What the gateway checks the official callbacks' signatures with.
            "KLING_WEBHOOK_SECRET": credentials.klingWebhookSecret,
        ]
    }

    /// Makes the sandbox misbehave: an answer fault is used by the next matching request, a
    /// task fault by the next task the provider creates. Inject twice for two.
    public func inject(_ fault: SandboxFault, provider: Provider, on operation: SandboxOperation = .create) {
        book.inject(fault, provider: provider, operation: operation)
    }

    /// Injects a fault read from the command line (`kling:create:busy`).
    public func inject(_ injection: SandboxInjection) {
        inject(injection.fault, provider: injection.provider, on: injection.operation)
    }

    /// Every task created so far, oldest first.
    public var tasks: [SandboxTask] { book.tasks }

    /// Every request received so far, whatever its path or outcome.
    public var requests: [SandboxRequest] { book.requests }

    /// A logger that reports only the sandbox's own errors.
    public static var quietLogger: Logger {
        var logger = Logger(label: "kling-sandbox")
        logger.logLevel = .error
        return logger
    }
}

/// Counts every request before any route sees it, so a test can prove that none was made.
struct RequestRecorder: RouterMiddleware {
    typealias Context = SandboxContext
    let book: SandboxBook

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        book.record(SandboxRequest(method: request.method.rawValue, path: request.uri.path, receivedAt: Date()))
        return try await next(request, context)
    }
}
