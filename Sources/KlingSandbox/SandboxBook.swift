import Foundation
import KlingCore
import Pricing
import Synchronization

/// Everything the sandbox remembers: its tasks, the faults waiting to be used and every
/// request it received. Shared by all connections.
final class SandboxBook: Sendable {
    struct Storage {
        var tasks: [SandboxTask] = []
        var answerFaults: [FaultKey: [SandboxFault]] = [:]
        var taskFaults: [Provider: [SandboxFault]] = [:]
        var requests: [SandboxRequest] = []
        var serial = 0
    }

    struct FaultKey: Hashable {
        let provider: Provider
        let operation: SandboxOperation
    }

    /// What a create asks for, read from the provider's body.
    struct Order {
        let provider: Provider
        let kind: VideoKind
        let model: String?
        let mode: Mode?
        let durationSeconds: Int
        let sound: Bool
        let externalTaskID: String?
        let callbackURL: String?
    }

    enum CreateRefusal: Error {
        case duplicateExternalID(String)
    }

    private let storage = Mutex(Storage())
    private let prices: PriceBook
    let delay: Duration

    init(prices: PriceBook, delay: Duration) {
        self.prices = prices
        self.delay = delay
    }

    // MARK: Requests and faults

    func record(_ request: SandboxRequest) {
        storage.withLock { $0.requests.append(request) }
    }

    var requests: [SandboxRequest] { storage.withLock { $0.requests } }

    func inject(_ fault: SandboxFault, provider: Provider, operation: SandboxOperation) {
        storage.withLock { storage in
            if fault.shapesTask {
                storage.taskFaults[provider, default: []].append(fault)
            } else {
                storage.answerFaults[FaultKey(provider: provider, operation: operation), default: []].append(fault)
            }
        }
    }

    /// The next answer fault waiting for this provider and operation, used up.
    func takeAnswerFault(_ provider: Provider, _ operation: SandboxOperation) -> SandboxFault? {
        storage.withLock { storage in
            let key = FaultKey(provider: provider, operation: operation)
            guard var waiting = storage.answerFaults[key], !waiting.isEmpty else { return nil }
            let fault = waiting.removeFirst()
            storage.answerFaults[key] = waiting
            return fault
        }
    }

    // MARK: Tasks

    var tasks: [SandboxTask] { storage.withLock { $0.tasks } }

    /// Creates a task, applying every task fault waiting for its provider. An external id
    /// already used by the provider's account is refused, as the official API does.
    func create(_ order: Order, now: Date = Date()) throws(CreateRefusal) -> SandboxTask {
        let (units, price) = charges(for: order)
        return try storage.withLock { storage throws(CreateRefusal) in
            if let external = order.externalTaskID,
                storage.tasks.contains(where: { $0.provider == order.provider && $0.externalTaskID == external })
            {
                throw .duplicateExternalID(external)
            }
            let faults = storage.taskFaults.removeValue(forKey: order.provider) ?? []
            var failure: String?
            var callbacks = 1
            var deducted = units
            for fault in faults {
                switch fault {
                case .failTask(let message): failure = message
                case .repeatCallbacks(let count): callbacks = max(1, count)
                case .deductUnits(let override): deducted = override
                default: break
                }
            }
            storage.serial += 1
            let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
            let task = SandboxTask(
                provider: order.provider, kind: order.kind, taskID: Self.taskID(order.provider, serial: storage.serial),
                externalTaskID: order.externalTaskID, model: order.model, mode: order.mode, durationSeconds: order.durationSeconds,
                sound: order.sound, callbackURL: order.callbackURL, createdAt: now, processingAt: now.addingTimeInterval(seconds / 3),
                finishesAt: now.addingTimeInterval(seconds), failureMessage: failure, units: deducted, price: price,
                finalCallbacks: callbacks)
            storage.tasks.append(task)
            return task
        }
    }

    /// A task by the provider's id, or (official API) by the caller's external id.
    func task(_ provider: Provider, id: String, kind: VideoKind? = nil, byExternalID: Bool = false) -> SandboxTask? {
        storage.withLock { storage in
            storage.tasks.first {
                $0.provider == provider && (kind == nil || $0.kind == kind)
                    && ($0.taskID == id || (byExternalID && $0.externalTaskID == id))
            }
        }
    }

    /// Official units from the official table (KKIAI resells the official API, so its tasks
    /// deduct the same units), and the reseller's price from its own table.
    private func charges(for order: Order) -> (Units?, USD?) {
        let job = BillableJob(
            provider: order.provider, kind: order.kind, model: order.model, mode: order.mode,
            durationSeconds: order.durationSeconds, sound: order.sound)
        var official = job
        official.provider = .kling
        let units = (order.provider == .kling || order.provider == .kkiai) ? (try? prices.quote(official))?.units : nil
        let price = order.provider == .kling ? nil : (try? prices.quote(job))?.amount
        return (units, price)
    }

    /// Ids shaped like each provider's: numeric at KKIAI, a UUID at AceData.
    private static func taskID(_ provider: Provider, serial: Int) -> String {
        switch provider {
        case .kling: "sbx-kling-\(String(format: "%06d", serial))"
        case .pixazo: "sbx-pixazo-\(String(format: "%06d", serial))"
        case .acedata: UUID().uuidString.lowercased()
        case .kkiai: String(860_000_000_000 + serial)
        }
    }
}

/// One request as the sandbox received it (without its headers, which hold credentials).
public struct SandboxRequest: Sendable, Equatable {
    public let method: String
    public let path: String
    public let receivedAt: Date
}
