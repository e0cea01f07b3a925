import Foundation
import KlingCore

/// One deduction in the official account's record (`POST /account/billing/package`): what the
/// provider charged a task, in units, exactly as it wrote them.
public struct DeductionRecord: Sendable, Equatable {
    public let taskID: String
    public let packageID: String?
    public let model: String?
    /// `720p`, `1080p`, `4k`, as the provider names the mode's resolution.
    public let resolution: String?
    public let duration: String?
    public let videoSound: String?
    public let deductedAt: Date
    public let units: Units
    public let unitsBefore: Units?
    public let unitsAfter: Units?

    public init(
        taskID: String, packageID: String? = nil, model: String? = nil, resolution: String? = nil, duration: String? = nil,
        videoSound: String? = nil, deductedAt: Date, units: Units, unitsBefore: Units? = nil, unitsAfter: Units? = nil
    ) {
        self.taskID = taskID
        self.packageID = packageID
        self.model = model
        self.resolution = resolution
        self.duration = duration
        self.videoSound = videoSound
        self.deductedAt = deductedAt
        self.units = units
        self.unitsBefore = unitsBefore
        self.unitsAfter = unitsAfter
    }
}

/// A resource pack of the official account (`GET /account/costs`).
public struct ResourcePack: Sendable, Equatable {
    public enum Status: String, Sendable {
        case toBeOnline, online, expired, runOut
    }

    public let id: String
    public let name: String
    public let type: String?
    public let total: Units
    /// Up to 12 hours stale, the official API says.
    public let remaining: Units
    public let effectiveAt: Date
    public let expiresAt: Date
    /// `nil` for a status the documentation does not list.
    public let status: Status?
    public let statusText: String
}

/// The official account endpoints: requests and the decoding of their answers. Numbers whose
/// format is not documented are read as exact decimals, and a row that does not parse is
/// refused rather than guessed.
enum OfficialAccountWire {
    struct BillingBody: Encodable {
        let start_time: Int64?
        let end_time: Int64?
        let limit: Int
        let cursor: String?
    }

    static func billingRequest(from start: Date, to end: Date, limit: Int, cursor: String?) throws -> WireRequest {
        try .post(
            "/account/billing/package",
            json: BillingBody(
                start_time: cursor == nil ? milliseconds(start) : nil, end_time: cursor == nil ? milliseconds(end) : nil,
                limit: limit, cursor: cursor))
    }

    static func costsRequest(from start: Date, to end: Date) -> WireRequest {
        WireRequest(method: .get, path: "/account/costs?start_time=\(milliseconds(start))&end_time=\(milliseconds(end))")
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    struct Envelope<Payload: Decodable>: Decodable {
        let code: Int
        let message: String?
        let data: Payload?
    }

    /// `data.result` in the copy of the documentation we have; the official page may put the
    /// paging fields one level up, so both are read.
    struct BillingData: Decodable {
        struct Page: Decodable {
            let detail: [Row]?
            let next_cursor: String?
            let has_more: Bool?
        }
        let result: Page?
        let detail: [Row]?
        let next_cursor: String?
        let has_more: Bool?
    }

    struct Row: Decodable {
        let task_id: String
        let package_id: ExactText?
        let model_name: String?
        let resolution: String?
        let duration: ExactText?
        let video_sound: String?
        let deduction_time: ExactText
        let deduction_amount: ExactText
        let unit_before_deduction: ExactText?
        let unit_after_deduction: ExactText?
    }

    struct CostsData: Decodable {
        let resource_pack_subscribe_infos: [Pack]?
    }

    struct Pack: Decodable {
        let resource_pack_id: ExactText?
        let resource_pack_name: String
        let resource_pack_type: String?
        let total_quantity: ExactText
        let remaining_quantity: ExactText
        let effective_time: ExactText
        let invalid_time: ExactText
        let status: String
    }

    /// One page of deductions and the cursor of the next, if any.
    static func decodeBilling(_ response: WireResponse) throws(ProviderFailure) -> (rows: [DeductionRecord], next: String?) {
        let data = try envelope(BillingData.self, response)
        let rows = data.result?.detail ?? data.detail ?? []
        let next = data.result?.next_cursor ?? data.next_cursor
        let more = data.result?.has_more ?? data.has_more ?? (next != nil)
        var records: [DeductionRecord] = []
        for row in rows {
            guard let units = Units(row.deduction_amount.text), let at = Int64(row.deduction_time.text) else {
                throw unreadable("deduction of task \(row.task_id): amount \"\(row.deduction_amount.text)\", time \"\(row.deduction_time.text)\"")
            }
            records.append(
                DeductionRecord(
                    taskID: row.task_id, packageID: row.package_id?.text, model: row.model_name, resolution: row.resolution,
                    duration: row.duration?.text, videoSound: row.video_sound, deductedAt: Date(timeIntervalSince1970: Double(at) / 1000),
                    units: units, unitsBefore: row.unit_before_deduction.flatMap { Units($0.text) },
                    unitsAfter: row.unit_after_deduction.flatMap { Units($0.text) }))
        }
        return (records, more ? next : nil)
    }

    static func decodeCosts(_ response: WireResponse) throws(ProviderFailure) -> [ResourcePack] {
        let data = try envelope(CostsData.self, response)
        var packs: [ResourcePack] = []
        for pack in data.resource_pack_subscribe_infos ?? [] {
            guard let total = Units(pack.total_quantity.text), let remaining = Units(pack.remaining_quantity.text),
                let effective = Int64(pack.effective_time.text), let invalid = Int64(pack.invalid_time.text)
            else { throw unreadable("resource pack \(pack.resource_pack_name)") }
            packs.append(
                ResourcePack(
                    id: pack.resource_pack_id?.text ?? pack.resource_pack_name, name: pack.resource_pack_name, type: pack.resource_pack_type,
                    total: total, remaining: remaining, effectiveAt: Date(timeIntervalSince1970: Double(effective) / 1000),
                    expiresAt: Date(timeIntervalSince1970: Double(invalid) / 1000), status: ResourcePack.Status(rawValue: pack.status),
                    statusText: pack.status))
        }
        return packs
    }

    private static func envelope<Payload: Decodable>(_ type: Payload.Type, _ response: WireResponse) throws(ProviderFailure) -> Payload {
        guard let envelope = try? JSONDecoder().decode(Envelope<Payload>.self, from: response.body) else {
            throw OfficialWire().failure(forHTTP: response, creating: false)
        }
        guard envelope.code == 0, let data = envelope.data else {
            throw ProviderFailure(
                provider: .kling, category: OfficialErrorCode.category(for: envelope.code, creating: false), httpStatus: response.status,
                code: String(envelope.code), message: envelope.message ?? OfficialErrorCode.meaning(of: envelope.code))
        }
        return data
    }

    private static func unreadable(_ what: String) -> ProviderFailure {
        ProviderFailure(provider: .kling, category: .notCreated, message: "the account record has a figure that is not an exact decimal: \(what)")
    }
}
