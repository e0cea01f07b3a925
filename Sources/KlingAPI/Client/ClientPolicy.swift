/// Delays that grow geometrically up to a ceiling: used for retries and for polling alike.
public struct Backoff: Sendable, Equatable {
    public var first: Duration
    public var multiplier: Double
    public var maximum: Duration

    public init(first: Duration, multiplier: Double = 2, maximum: Duration) {
        self.first = first
        self.multiplier = max(1, multiplier)
        self.maximum = max(first, maximum)
    }

    /// The delay before attempt `attempt + 1` (the first delay for attempt 0).
    public func delay(attempt: Int) -> Duration {
        var delay = first
        for _ in 0..<max(0, attempt) {
            delay = delay * multiplier
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}

/// How long to wait on requests and tasks, and how hard to retry.
public struct ClientPolicy: Sendable, Equatable {
    /// Retries of a request the provider refused for now (1302, 1303, 5001, HTTP 429, 503) or
    /// that could not connect. The first delay is never under one second, as the official API
    /// asks for 1303.
    public var retry: Backoff {
        didSet { retry.first = max(retry.first, .seconds(1)) }
    }
    /// How many times a refused request is retried before the refusal is reported.
    public var maxRetries: Int
    /// Time between task reads while waiting: seconds at first, growing to tens of seconds.
    public var polling: Backoff
    /// How long one ordinary request may take.
    public var requestTimeout: Duration
    /// How long AceData's blocking create may take: it answers when the video is done (1–2 min).
    public var blockingCreateTimeout: Duration
    /// The largest answer read; a longer one is refused unread.
    public var maxResponseBytes: Int

    public init(
        retry: Backoff = Backoff(first: .seconds(1), maximum: .seconds(16)), maxRetries: Int = 4,
        polling: Backoff = Backoff(first: .seconds(2), multiplier: 1.5, maximum: .seconds(30)),
        requestTimeout: Duration = .seconds(30), blockingCreateTimeout: Duration = .seconds(300),
        maxResponseBytes: Int = 4 << 20
    ) {
        var retry = retry
        retry.first = max(retry.first, .seconds(1))
        self.retry = retry
        self.maxRetries = max(0, maxRetries)
        self.polling = polling
        self.requestTimeout = requestTimeout
        self.blockingCreateTimeout = blockingCreateTimeout
        self.maxResponseBytes = maxResponseBytes
    }

    public static let standard = ClientPolicy()
}
