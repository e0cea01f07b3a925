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
        /// How many `forgetTask` faults wait for each provider's next lookup.
        var forgets: [Provider: Int] = [:]
        /// The tasks a `forgetTask` fault hit: every lookup misses them.
        var forgotten: Set<TaskKey> = []
        var requests: [SandboxRequest] = []
        var serial = 0
        /// The official account's resource packs.
        var packs: [SandboxPack] = []
        /// Deductions the sandbox was told to change, by task id.
        var deductionOverrides: [String: Units] = [:]
    }

    struct FaultKey: Hashable {
        let provider: Provider
        let operation: SandboxOperation
    }

    struct TaskKey: Hashable {
        let provider: Provider
        let taskID: String
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
        /// The state file could not be written, so nothing was created.
        case notSaved(SandboxError)
    }

    let storage: Mutex<Storage>
    private let prices: PriceBook
    private let stateFile: SandboxStateFile?
    let delay: Duration

    /// A book with the tasks and serial the state file holds, if one is given; a state file
    /// that does not exist yet is written at once, so a folder it cannot be written to is
    /// reported before any task is created.
    /// - Throws: `SandboxError.unreadableState` or `.stateNotSaved`.
    init(prices: PriceBook, delay: Duration, stateFile: SandboxStateFile? = nil) throws(SandboxError) {
        var initial = Storage()
        if let stateFile {
            if let saved = try stateFile.load() {
                initial.tasks = saved.tasks
                initial.serial = saved.serial
            } else {
                try stateFile.save(tasks: [], serial: 0)
            }
        }
        self.storage = Mutex(initial)
        self.prices = prices
        self.delay = delay
        self.stateFile = stateFile
    }

    // MARK: Requests and faults

    func record(_ request: SandboxRequest) {
        storage.withLock { $0.requests.append(request) }
    }

    var requests: [SandboxRequest] { storage.withLock { $0.requests } }

    func inject(_ fault: SandboxFault, provider: Provider, operation: SandboxOperation) {
        storage.withLock { storage in
            if fault == .forgetTask {
                storage.forgets[provider, default: 0] += 1
            } else if fault.shapesTask {
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
    /// already used by the provider's account is refused, as the official API does. With a
    /// state file, the task exists only once the file holding it is written.
    func create(_ order: Order, now: Date = Date()) throws(CreateRefusal) -> SandboxTask {
        let (units, price) = charges(for: order)
        return try storage.withLock { storage throws(CreateRefusal) in
            if let external = order.externalTaskID,
                storage.tasks.contains(where: { $0.provider == order.provider && $0.externalTaskID == external })
            {
                throw .duplicateExternalID(external)
            }
            let faults = storage.taskFaults[order.provider] ?? []
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
            let serial = storage.serial + 1
            let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
            let task = SandboxTask(
                provider: order.provider, kind: order.kind, taskID: Self.taskID(order.provider, serial: serial),
                externalTaskID: order.externalTaskID, model: order.model, mode: order.mode, durationSeconds: order.durationSeconds,
                sound: order.sound, callbackURL: order.callbackURL, createdAt: now, processingAt: now.addingTimeInterval(seconds / 3),
                finishesAt: now.addingTimeInterval(seconds), failureMessage: failure, units: deducted, price: price,
                finalCallbacks: callbacks)
            // Written under the lock, so that files are written in the order tasks are created
            // and a later snapshot never loses to an earlier one.
            if let stateFile {
                do throws(SandboxError) {
                    try stateFile.save(tasks: storage.tasks + [task], serial: serial)
                } catch {
                    throw .notSaved(error)
                }
            }
            storage.taskFaults[order.provider] = nil
            storage.serial = serial
            storage.tasks.append(task)
            return task
        }
    }

    /// A task by the provider's id, or (official API) by the caller's external id, as a query
    /// sees it: a forgotten task is not found, and a waiting `forgetTask` fault forgets the
    /// task found.
    func task(_ provider: Provider, id: String, kind: VideoKind? = nil, byExternalID: Bool = false) -> SandboxTask? {
        storage.withLock { storage in
            let found = storage.tasks.first {
                $0.provider == provider && (kind == nil || $0.kind == kind)
                    && ($0.taskID == id || (byExternalID && $0.externalTaskID == id))
            }
            guard let found else { return nil }
            let key = TaskKey(provider: provider, taskID: found.taskID)
            if storage.forgotten.contains(key) { return nil }
            if let waiting = storage.forgets[provider], waiting > 0 {
                storage.forgets[provider] = waiting - 1
                storage.forgotten.insert(key)
                return nil
            }
            return found
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
