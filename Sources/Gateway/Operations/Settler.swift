import Gate
import Ledger
import Logging
import ServiceLifecycle

/// Settles the gateway's open tasks without the callers' help: at start (which also recovers
/// the `pending` rows a killed gateway left, by their `external_task_id`) and then every
/// `interval`. When a provider cannot be reached the pause doubles, up to 32 times the
/// interval, so a provider outage is not met with a storm of reads.
struct Settler: Service {
    let gate: Gate
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var pause = interval
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let changes = try await gate.sync(pendingGrace: .seconds(60))
                let unreachable = changes.contains { $0.outcome == .notUpdated }
                for change in changes where change.before.state != change.after.state {
                    logger.info(
                        "settled", metadata: ["submission": "\(change.after.id)", "state": "\(change.after.state.rawValue)", "note": "\(change.note)"])
                }
                for change in changes where change.outcome == .needsPerson {
                    logger.warning("needs a person", metadata: ["submission": "\(change.after.id)", "note": "\(change.note)"])
                }
                pause = unreachable ? min(pause * 2, interval * 32) : interval
            } catch {
                logger.error("sync failed; trying again later", metadata: ["error": "\(error)"])
                pause = min(pause * 2, interval * 32)
            }
            do {
                let wait = pause
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
            } catch {
                return  // shutting down
            }
        }
    }
}
