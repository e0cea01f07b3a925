import Synchronization

/// At most `limit` requests in flight per key. The provider's concurrency limit is per
/// account, shared by every team behind the gateway: one greedy caller must not starve the
/// others. Over the limit a request is refused at once with the official rate-limit code
/// (1302, HTTP 429), which clients retry with backoff.
final class InFlightLimiter: Sendable {
    private let limit: Int
    private let counts = Mutex<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place for `key`, or `false` when it has none left.
    func enter(_ key: String) -> Bool {
        counts.withLock { counts in
            let now = counts[key, default: 0]
            guard now < limit else { return false }
            counts[key] = now + 1
            return true
        }
    }

    func leave(_ key: String) {
        counts.withLock { counts in
            let now = counts[key, default: 1] - 1
            counts[key] = now > 0 ? now : nil
        }
    }

    var perKey: Int { limit }
}
