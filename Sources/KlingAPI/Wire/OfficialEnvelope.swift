import Foundation
import KlingCore

/// The official API's answer, `{code, message, request_id, data}`, which KKIAI and Pixazo
/// reuse. `data` is a task (or, for the list endpoint, an array of tasks).
struct OfficialEnvelope: Decodable {
    let code: Int
    let message: String?
    let data: OfficialTask?

    enum CodingKeys: String, CodingKey { case code, message, data }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(Int.self, forKey: .code)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        // The list endpoint returns an array; a single-task read uses its first element.
        if let task = try? container.decodeIfPresent(OfficialTask.self, forKey: .data) {
            data = task
        } else {
            data = try container.decodeIfPresent([OfficialTask].self, forKey: .data)?.first
        }
    }
}

/// One task in the official shape (also Pixazo's, whose text2video result has `video_url`).
struct OfficialTask: Decodable {
    let taskID: String
    let taskStatus: String
    let taskStatusMessage: String?
    let finalUnitDeduction: String?
    let externalTaskID: String?
    let videos: [DeliveredVideo]
    let createdAt: Date?
    let updatedAt: Date?

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", taskStatus = "task_status", taskStatusMessage = "task_status_msg"
        case finalUnitDeduction = "final_unit_deduction", taskInfo = "task_info", taskResult = "task_result"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    struct TaskInfo: Decodable {
        let externalTaskID: String?
        enum CodingKeys: String, CodingKey { case externalTaskID = "external_task_id" }
    }

    struct TaskResult: Decodable {
        let videos: [Video]?
        /// Pixazo's text2video status has a single URL instead of `videos`.
        let videoURL: String?
        enum CodingKeys: String, CodingKey { case videos, videoURL = "video_url" }
    }

    struct Video: Decodable {
        let id: String?
        let url: String
        let watermarkURL: String?
        let duration: ExactText?
        enum CodingKeys: String, CodingKey { case id, url, watermarkURL = "watermark_url", duration }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        taskID = try container.decode(ExactText.self, forKey: .taskID).text
        taskStatus = try container.decode(String.self, forKey: .taskStatus)
        taskStatusMessage = try container.decodeIfPresent(String.self, forKey: .taskStatusMessage)
        finalUnitDeduction = try container.decodeIfPresent(ExactText.self, forKey: .finalUnitDeduction)?.text
        externalTaskID = try container.decodeIfPresent(TaskInfo.self, forKey: .taskInfo)?.externalTaskID
        let result = try container.decodeIfPresent(TaskResult.self, forKey: .taskResult)
        videos =
            (result?.videos ?? []).map {
                DeliveredVideo(id: $0.id, url: $0.url, watermarkURL: $0.watermarkURL, duration: $0.duration?.text)
            } + (result?.videoURL.map { [DeliveredVideo(url: $0)] } ?? [])
        createdAt = try container.decodeIfPresent(Int64.self, forKey: .createdAt).map(Self.date)
        updatedAt = try container.decodeIfPresent(Int64.self, forKey: .updatedAt).map(Self.date)
    }

    /// Milliseconds since 1970, as the API sends times.
    static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
    }

    /// The normalised snapshot.
    func snapshot(provider: Provider) throws(ProviderFailure) -> TaskSnapshot {
        guard let state = TaskSnapshot.State(providerStatus: taskStatus) else {
            throw ProviderFailure(
                provider: provider, category: .outcomeUnknown, code: nil,
                message: "unrecognised task_status \"\(taskStatus)\" for task \(taskID)")
        }
        return TaskSnapshot(
            providerTaskID: taskID, state: state, externalTaskID: externalTaskID, finalUnitDeduction: finalUnitDeduction,
            videos: videos, failureMessage: state == .failed ? (taskStatusMessage ?? "failed") : nil,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}

extension TaskSnapshot.State {
    /// The providers' status words: submitted, processing, succeed, failed.
    init?(providerStatus: String) {
        switch providerStatus.lowercased() {
        case "submitted": self = .submitted
        case "processing": self = .processing
        case "succeed", "succeeded", "success": self = .succeeded
        case "failed", "fail": self = .failed
        default: return nil
        }
    }
}

/// A JSON string or number kept as its exact text: `"2.5"` and `2.5` both read as "2.5", and
/// numeric task ids keep all their digits.
struct ExactText: Decodable {
    let text: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int64.self) {
            text = String(integer)
        } else {
            // Decimal keeps the digits JSON wrote; Double would not.
            text = "\(try container.decode(Decimal.self))"
        }
    }
}

extension ProviderWire {
    /// Decodes the official envelope: a task on code 0, a mapped failure otherwise.
    func decodeEnvelope(_ response: WireResponse, creating: Bool) throws(ProviderFailure) -> TaskSnapshot {
        let envelope: OfficialEnvelope
        do {
            envelope = try JSONDecoder().decode(OfficialEnvelope.self, from: response.body)
        } catch {
            throw failure(forHTTP: response, creating: creating)
        }
        guard envelope.code == 0 else {
            throw ProviderFailure(
                provider: provider, category: OfficialErrorCode.category(for: envelope.code, creating: creating),
                httpStatus: response.status, code: String(envelope.code),
                message: envelope.message ?? OfficialErrorCode.meaning(of: envelope.code))
        }
        guard (200..<300).contains(response.status), let task = envelope.data else {
            throw failure(forHTTP: response, creating: creating)
        }
        return try task.snapshot(provider: provider)
    }

    /// A failure read from the HTTP status alone, when the body says nothing usable.
    func failure(forHTTP response: WireResponse, creating: Bool, code: String? = nil, message: String? = nil) -> ProviderFailure {
        let category: FailureCategory =
            switch response.status {
            case 200..<300: creating ? .outcomeUnknown : .retryLater  // a 2xx we cannot read: a created task may exist
            case 408, 429: .retryLater
            case 400..<500: .notCreated
            case 503: .retryLater
            default: creating ? .outcomeUnknown : .retryLater
            }
        let text = message ?? ((200..<300).contains(response.status) ? "malformed answer (\(response.body.count) bytes that are not the documented JSON)" : "HTTP \(response.status)")
        return ProviderFailure(provider: provider, category: category, httpStatus: response.status, code: code, message: text)
    }
}
