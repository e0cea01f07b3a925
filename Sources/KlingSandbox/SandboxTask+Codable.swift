import Foundation
import KlingCore

/// A task as the state file stores it: snake_case keys, instants as ISO 8601 with
/// milliseconds, units and prices as their exact decimal strings (never a binary floating
/// point number).
///
/// The instants come back to the millisecond, which is as precise as the providers' answers
/// write them.
extension SandboxTask: Codable {
    enum CodingKeys: String, CodingKey {
        case provider, kind, model, mode, sound, units, price
        case taskID = "task_id"
        case externalTaskID = "external_task_id"
        case durationSeconds = "duration_seconds"
        case callbackURL = "callback_url"
        case createdAt = "created_at"
        case processingAt = "processing_at"
        case finishesAt = "finishes_at"
        case failureMessage = "failure_message"
        case finalCallbacks = "final_callbacks"
    }

    static let instantStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func instant(_ key: CodingKeys) throws -> Date {
            let text = try container.decode(String.self, forKey: key)
            guard let date = try? Date(text, strategy: Self.instantStyle) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "\"\(text)\" is not an ISO 8601 instant with milliseconds")
            }
            return date
        }
        func decimal<Amount>(_ key: CodingKeys, _ parse: (String) -> Amount?) throws -> Amount? {
            guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let amount = parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "\"\(text)\" is not an exact decimal")
            }
            return amount
        }
        provider = try container.decode(Provider.self, forKey: .provider)
        kind = try container.decode(VideoKind.self, forKey: .kind)
        taskID = try container.decode(String.self, forKey: .taskID)
        externalTaskID = try container.decodeIfPresent(String.self, forKey: .externalTaskID)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        mode = try container.decodeIfPresent(Mode.self, forKey: .mode)
        durationSeconds = try container.decode(Int.self, forKey: .durationSeconds)
        sound = try container.decode(Bool.self, forKey: .sound)
        callbackURL = try container.decodeIfPresent(String.self, forKey: .callbackURL)
        createdAt = try instant(.createdAt)
        processingAt = try instant(.processingAt)
        finishesAt = try instant(.finishesAt)
        failureMessage = try container.decodeIfPresent(String.self, forKey: .failureMessage)
        units = try decimal(.units) { Units($0) }
        price = try decimal(.price) { USD($0) }
        finalCallbacks = try container.decode(Int.self, forKey: .finalCallbacks)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(provider, forKey: .provider)
        try container.encode(kind, forKey: .kind)
        try container.encode(taskID, forKey: .taskID)
        try container.encodeIfPresent(externalTaskID, forKey: .externalTaskID)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encodeIfPresent(mode, forKey: .mode)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(sound, forKey: .sound)
        try container.encodeIfPresent(callbackURL, forKey: .callbackURL)
        try container.encode(createdAt.formatted(Self.instantStyle), forKey: .createdAt)
        try container.encode(processingAt.formatted(Self.instantStyle), forKey: .processingAt)
        try container.encode(finishesAt.formatted(Self.instantStyle), forKey: .finishesAt)
        try container.encodeIfPresent(failureMessage, forKey: .failureMessage)
        try container.encodeIfPresent(units?.decimalString, forKey: .units)
        try container.encodeIfPresent(price?.decimalString, forKey: .price)
        try container.encode(finalCallbacks, forKey: .finalCallbacks)
    }
}
