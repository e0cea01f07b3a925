import Foundation
import KlingCore
import Synchronization

/// A resource pack of the sandbox's official account: units that deductions draw on until it
/// expires, as `GET /account/costs` reports it.
public struct SandboxPack: Sendable, Equatable {
    public let id: String
    public let name: String
    public let total: Units
    public let effectiveAt: Date
    public let expiresAt: Date

    public init(id: String, name: String, total: Units, effectiveAt: Date, expiresAt: Date) {
        self.id = id
        self.name = name
        self.total = total
        self.effectiveAt = effectiveAt
        self.expiresAt = expiresAt
    }

    /// A month-long pack of 10,000 units, in force from a week ago.
    public static func standard(now: Date = Date()) -> SandboxPack {
        SandboxPack(
            id: "pack-1", name: "Video pack 10000", total: Units(millionths: 10_000_000_000), effectiveAt: now.addingTimeInterval(-7 * 86_400),
            expiresAt: now.addingTimeInterval(23 * 86_400))
    }
}

/// One deduction in the sandbox's own record: a finished task's units, drawn from a pack.
public struct SandboxDeduction: Sendable, Equatable {
    public let task: SandboxTask
    public let units: Units
    public let at: Date
    /// The pack it drew on, with its units before and after; `nil` when no pack had room.
    public let packID: String?
    public let unitsBefore: Units
    public let unitsAfter: Units
}

extension SandboxBook {
    /// Every deduction of the official account up to `instant`, oldest first: each succeeded
    /// task's units (or the figure the sandbox was told to change them to), drawn from the pack
    /// in force that expires first and still has room.
    func deductions(at instant: Date) -> [SandboxDeduction] {
        let (tasks, packs, overrides) = storage.withLock { ($0.tasks, $0.packs, $0.deductionOverrides) }
        var remaining = Dictionary(uniqueKeysWithValues: packs.map { ($0.id, $0.total.millionths) })
        var result: [SandboxDeduction] = []
        let finished = tasks.filter { $0.provider == .kling && $0.finishesAt <= instant }.sorted { $0.finishesAt < $1.finishesAt }
        for task in finished {
            guard let units = overrides[task.taskID] ?? task.deductedUnits(at: instant), units > .zero else { continue }
            let pack = packs.filter { $0.effectiveAt <= task.finishesAt && task.finishesAt < $0.expiresAt && (remaining[$0.id] ?? 0) >= units.millionths }
                .min { $0.expiresAt < $1.expiresAt }
            let before = pack.map { remaining[$0.id] ?? 0 } ?? 0
            if let pack { remaining[pack.id] = before - units.millionths }
            result.append(
                SandboxDeduction(
                    task: task, units: units, at: task.finishesAt, packID: pack?.id, unitsBefore: Units(millionths: before),
                    unitsAfter: Units(millionths: pack == nil ? 0 : before - units.millionths)))
        }
        return result
    }

    /// Each pack with the units it has left at `instant`.
    func packsRemaining(at instant: Date) -> [(SandboxPack, Units)] {
        let packs = storage.withLock { $0.packs }
        let used = Dictionary(grouping: deductions(at: instant).filter { $0.packID != nil }, by: { $0.packID ?? "" })
            .mapValues { $0.reduce(Int64(0)) { $0 + $1.units.millionths } }
        return packs.map { ($0, Units(millionths: $0.total.millionths - (used[$0.id] ?? 0))) }
    }

    func add(_ pack: SandboxPack) {
        storage.withLock { $0.packs.append(pack) }
    }

    func changeDeduction(of taskID: String, to units: Units) {
        storage.withLock { $0.deductionOverrides[taskID] = units }
    }
}

extension Sandbox {
    /// Adds a resource pack to the official account.
    public func addPack(_ pack: SandboxPack) { book.add(pack) }

    /// Makes the official account's record deduct `units` for a task instead of what it ran:
    /// the bill disagreeing with what the provider reported when the task ended.
    public func changeDeduction(of taskID: String, to units: Units) { book.changeDeduction(of: taskID, to: units) }

    /// Creates official tasks as another client of the same account would, without the gate
    /// (and without HTTP, for many at once); each finishes after the sandbox's delay.
    /// - Returns: their task ids.
    @discardableResult
    public func createTasksElsewhere(_ count: Int, model: String = "kling-v1", mode: Mode = .std, durationSeconds: Int = 5) throws -> [String] {
        try (0..<count).map { _ in
            let order = SandboxBook.Order(
                provider: .kling, kind: .text2video, model: model, mode: mode, durationSeconds: durationSeconds, sound: false, externalTaskID: nil,
                callbackURL: nil)
            do { return try book.create(order).taskID } catch { throw SandboxError.stateNotSaved(path: "", reason: "\(error)") }
        }
    }

    /// The official account's deductions so far, oldest first.
    public var deductions: [SandboxDeduction] { book.deductions(at: Date()) }
}
