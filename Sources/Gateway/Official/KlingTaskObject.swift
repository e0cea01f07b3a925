import Foundation
import KlingAPI
import KlingCore
import Ledger

/// The official API's task object (the envelope's `data`), as a caller reads it: from the
/// provider's latest snapshot, or from the ledger where the provider was not asked. The
/// `external_task_id` shown is always the caller's own; the one the gateway sent the provider
/// (the submission id, by which a lost create is found again) stays inside.
enum KlingTaskObject {
    static func object(_ snapshot: TaskSnapshot, callerExternalID: String?) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "task_id": .string(snapshot.providerTaskID), "task_status": .string(status(snapshot.state)),
            "task_status_msg": .string(snapshot.failureMessage ?? ""),
            "task_info": callerExternalID.map { ["external_task_id": .string($0)] } ?? [:],
        ]
        if let created = snapshot.createdAt { data["created_at"] = milliseconds(created) }
        if let updated = snapshot.updatedAt ?? snapshot.createdAt { data["updated_at"] = milliseconds(updated) }
        switch snapshot.state {
        case .succeeded:
            data["final_unit_deduction"] = .string(snapshot.finalUnitDeduction ?? "0")
            data["task_result"] = [
                "videos": .array(snapshot.videos.map { video -> JSONValue in
                    var object: [String: JSONValue] = ["url": .string(video.url)]
                    if let id = video.id { object["id"] = .string(id) }
                    if let watermark = video.watermarkURL { object["watermark_url"] = .string(watermark) }
                    if let duration = video.duration { object["duration"] = .string(duration) }
                    return .object(object)
                })
            ]
        case .failed:
            data["final_unit_deduction"] = .string(snapshot.finalUnitDeduction ?? "0")
        case .submitted, .processing:
            break
        }
        return data
    }

    /// A task as the ledger last recorded it: for lists (the provider is not asked once per
    /// task), and for a task whose provider could not be reached.
    static func object(_ record: SubmissionRecord, callerExternalID: String?) -> [String: JSONValue] {
        object(TaskSnapshot(recorded: record), callerExternalID: callerExternalID)
    }

    /// What a relayed callback posts for one status change: the task object, as the official
    /// callback posts it, drawn as it stood at that status (a `processing` change relayed late
    /// does not carry the result that came after it).
    static func callback(_ record: SubmissionRecord, status: CallbackDelivery.Status, callerExternalID: String?) -> Data {
        var data = object(record, callerExternalID: callerExternalID)
        if status == .processing {
            data["task_status"] = "processing"
            data["task_status_msg"] = ""
            data["final_unit_deduction"] = nil
            data["task_result"] = nil
        }
        return Data(JSONValue.object(data).bytes)
    }

    static func status(_ state: TaskSnapshot.State) -> String {
        switch state {
        case .submitted: "submitted"
        case .processing: "processing"
        case .succeeded: "succeed"
        case .failed: "failed"
        }
    }

    static func milliseconds(_ date: Date) -> JSONValue { .integer(Int64((date.timeIntervalSince1970 * 1000).rounded(.down))) }
}
