import Foundation
import KlingCore

/// One task the sandbox created: its own record of what it did and what it deducted, the
/// "provider's truth" a ledger is reconciled against.
public struct SandboxTask: Sendable, Equatable {
    public enum State: String, Sendable {
        case submitted, processing, succeed, failed
    }

    public let provider: Provider
    public let kind: VideoKind
    public let taskID: String
    public let externalTaskID: String?
    public let model: String?
    public let mode: Mode?
    public let durationSeconds: Int
    public let sound: Bool
    public let callbackURL: String?
    public let createdAt: Date
    public let processingAt: Date
    public let finishesAt: Date
    /// Why the task will fail; `nil` when it will succeed.
    public let failureMessage: String?
    /// Official units this task deducts when it succeeds (official API and KKIAI).
    public let units: Units?
    /// The reseller's own price for it, from its table (Pixazo, AceData, KKIAI).
    public let price: USD?
    /// How many times the final callback is posted.
    public let finalCallbacks: Int

    /// Where the task stands at an instant: submitted, then processing, then finished.
    public func state(at instant: Date) -> State {
        if instant >= finishesAt { return failureMessage == nil ? .succeed : .failed }
        return instant >= processingAt ? .processing : .submitted
    }

    /// The units deducted once the task has ended: zero for a failed task, `nil` before.
    public func deductedUnits(at instant: Date) -> Units? {
        switch state(at: instant) {
        case .succeed: units ?? .zero
        case .failed: .zero
        case .submitted, .processing: nil
        }
    }

    /// The length of the delivered video as the providers write it: a little over the request.
    var deliveredDuration: String { "\(durationSeconds).1" }

    var videoID: String { "video-\(taskID)" }
    var videoURL: String { "https://cdn.sandbox.invalid/videos/\(taskID).mp4" }
}
