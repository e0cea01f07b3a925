import Foundation
import KlingCore

/// KKIAI (`www.kkiai.com`), seed 004: the official body and envelope under `/kling`.
public struct KKIAIWire: ProviderWire {
    public let provider = Provider.kkiai

    public init() {}

    /// Where a task is read. Not in the seed: KKIAI says its parameters follow the official API,
    /// so this is the official path under `/kling`. Kept here, in one place, to be corrected.
    static func queryPath(taskID: String) -> String { "/kling/v1/videos/text2video/\(taskID)" }

    public func createRequest(for job: VideoJob, resolved: BillableJob) throws -> WireRequest {
        // KKIAI requires `multi_shot` even when false.
        try .post("/kling/v1/videos/text2video", json: OfficialCreateBody(job: job, resolved: resolved, alwaysSendMultiShot: true))
    }

    public func queryRequest(taskID: String, kind: VideoKind) throws -> WireRequest {
        WireRequest(method: .get, path: Self.queryPath(taskID: try pathComponent(taskID, provider: provider)))
    }

    public func decodeCreate(_ response: WireResponse) throws(ProviderFailure) -> TaskSnapshot {
        try decodeEnvelope(response, creating: true)
    }

    public func decodeQuery(_ response: WireResponse, kind: VideoKind) throws(ProviderFailure) -> TaskSnapshot {
        try decodeEnvelope(response, creating: false)
    }
}
