import Foundation
import Gate
import HTTPTypes
import Hummingbird
import KlingAPI
import KlingCore
import Ledger
import Logging
import Pricing

/// The official API's video endpoints as a caller sees them, answered through the gate: the
/// official API itself, and KKIAI's copy of it under `/kling` (text2video only, as KKIAI offers).
struct OfficialSurface: Sendable {
    let provider: Provider
    let gateway: Gateway

    var prefix: String { provider == .kkiai ? "/kling" : "" }
    var kinds: [String: VideoKind] {
        provider == .kkiai ? ["text2video": .text2video] : ["text2video": .text2video, "image2video": .image2video, "video-extend": .extend]
    }
    private var gate: Gate { gateway.gate }

    func register(on router: Router<GatewayContext>) {
        router.post("\(prefix)/v1/videos/:kind") { request, context in try await create(request, context) }
        router.get("\(prefix)/v1/videos/:kind/:id") { request, context in try await query(request, context) }
        if provider == .kling {
            router.get("/v1/videos/:kind") { request, context in try await list(request, context) }
            router.get("/account/costs") { request, context in try await costs(request, context) }
        }
    }

    private func kind(_ request: Request, _ context: GatewayContext) throws(KlingRefusal) -> VideoKind {
        guard let kind = context.parameters.get("kind").flatMap({ kinds[$0] }) else { throw .notServed(request.method, request.uri.path) }
        return kind
    }

    // MARK: Create

    /// A create, answered as the provider answers it.
    private func create(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            let kind = try kind(request, context)
            let body = try await request.body.collect(upTo: gateway.configuration.maxBodyBytes)
            let (job, external) = try KlingCreateBody.job(from: body.readableBytesView, provider: provider, kind: kind)
            let (record, _) = try await gateway.submit(job, externalTaskID: external, caller: caller, context: context)
            return KlingAnswer.success(
                .object(KlingTaskObject.object(record, callerExternalID: external)), requestID: context.requestID,
                headers: [.klingLedgerSubmission: record.id])
        }
    }

    // MARK: Query and list

    /// One of the caller's tasks, by the provider's task id or the caller's external id.
    private func query(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            let kind = try kind(request, context)
            let record = try await gateway.callerTask(context.parameters.get("id") ?? "", provider: provider, kind: kind, caller: caller, context: context)
            let view = try await gateway.read(record)
            return KlingAnswer.success(
                .object(KlingTaskObject.object(view.snapshot, callerExternalID: caller.scope.externalTaskID(of: record))), requestID: context.requestID)
        }
    }

    /// `GET /v1/videos/{kind}?pageNum=&pageSize=`: the caller's own tasks, newest first, as the
    /// ledger last recorded them.
    private func list(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            let kind = try kind(request, context)
            let page = request.uri.queryParameters.get("pageNum", as: Int.self) ?? 1
            let size = request.uri.queryParameters.get("pageSize", as: Int.self) ?? 30
            guard (1...1000).contains(page), (1...500).contains(size) else {
                throw KlingRefusal(1201, "pageNum must be 1–1000 and pageSize 1–500")
            }
            let records = try await gate.withLedger(.write) { ledger in
                try ledger.submissions(scope: caller.scope, kind: kind, provider: provider, page: page, pageSize: size)
            }
            let tasks = records.map { JSONValue.object(KlingTaskObject.object($0, callerExternalID: caller.scope.externalTaskID(of: $0))) }
            return KlingAnswer.success(.array(tasks), requestID: context.requestID)
        }
    }

    // MARK: Account

    /// `GET /account/costs`: the budgets that apply to the caller, shown as the resource packs
    /// an official client reads — quantities in USD, as the budgets are kept, and the pack's
    /// name says so.
    private func costs(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            guard request.uri.queryParameters.get("start_time", as: Int64.self) != nil,
                request.uri.queryParameters.get("end_time", as: Int64.self) != nil
            else { throw KlingRefusal(1200, "start_time and end_time (ms) are required") }
            let budgets = try await gate.withLedger(.write) { ledger in
                try ledger.budgets(applyingTo: provider, team: caller.scope.team, project: caller.scope.project, user: caller.scope.user)
            }
            let packs = budgets.map { budget -> JSONValue in
                let remaining = USD(micros: max(0, budget.remaining.micros))
                var pack: [String: JSONValue] = [
                    "resource_pack_name": "budget \(budget.name) (USD)", "resource_pack_id": "budget-\(budget.id)",
                    "resource_pack_type": "decreasing_total", "total_quantity": .decimal(budget.spec.limit.decimalString),
                    "remaining_quantity": .decimal(remaining.decimalString),
                    "status": .string(remaining.micros > 0 ? "online" : "runOut"),
                ]
                if let start = budget.periodStart {
                    pack["purchase_time"] = KlingTaskObject.milliseconds(start)
                    pack["effective_time"] = KlingTaskObject.milliseconds(start)
                }
                if let end = budget.periodEnd { pack["invalid_time"] = KlingTaskObject.milliseconds(end) }
                return .object(pack)
            }
            return KlingAnswer.success(["code": 0, "msg": "success", "resource_pack_subscribe_infos": .array(packs)], requestID: context.requestID)
        }
    }
}

extension HTTPField.Name {
    /// The ledger's id of the submission a create made: for the caller's own records.
    static let klingLedgerSubmission = Self("X-Kling-Ledger-Submission")!
}
