import Foundation

/// A provider's task as KlingLedger sees it, whatever the provider's own shape.
public struct TaskSnapshot: Sendable, Equatable {
    /// Where the task stands.
    public enum State: String, Sendable, Equatable {
        case submitted, processing, succeeded, failed

        /// Whether the task has ended (and can be settled).
        public var isFinished: Bool { self == .succeeded || self == .failed }
    }

    public var providerTaskID: String
    public var state: State
    /// The caller's own id for the task, when the provider echoes it.
    public var externalTaskID: String?
    /// The units the official API deducted, exactly as sent ("2.5").
    public var finalUnitDeduction: String?
    public var videos: [DeliveredVideo]
    /// Why the task failed, in the provider's words.
    public var failureMessage: String?
    public var createdAt: Date?
    public var updatedAt: Date?

    public init(
        providerTaskID: String, state: State, externalTaskID: String? = nil, finalUnitDeduction: String? = nil,
        videos: [DeliveredVideo] = [], failureMessage: String? = nil, createdAt: Date? = nil, updatedAt: Date? = nil
    ) {
        self.providerTaskID = providerTaskID
        self.state = state
        self.externalTaskID = externalTaskID
        self.finalUnitDeduction = finalUnitDeduction
        self.videos = videos
        self.failureMessage = failureMessage
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One video a finished task produced.
public struct DeliveredVideo: Sendable, Equatable {
    public var id: String?
    public var url: String
    public var watermarkURL: String?
    /// The length in seconds, as the provider wrote it ("5.1").
    public var duration: String?

    public init(id: String? = nil, url: String, watermarkURL: String? = nil, duration: String? = nil) {
        self.id = id
        self.url = url
        self.watermarkURL = watermarkURL
        self.duration = duration
    }
}
