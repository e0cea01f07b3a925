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

    /// Validate → quote → hold → send → record, as `submit` does; answered as the provider
    /// answers a create. The caller's `external_task_id` makes a retried create idempotent
    /// within its scope; the provider is sent the submission id instead, so a create whose
    /// answer was lost can always be found again.
    private func create(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            let kind = try kind(request, context)
            let body = try await request.body.collect(upTo: gateway.configuration.maxBodyBytes)
            let (job, external) = try KlingCreateBody.job(from: Data(body.readableBytesView), provider: provider, kind: kind)
            let submission = SubmissionRequest(
                job: job, team: caller.scope.team, project: caller.scope.project, user: caller.scope.user, tags: ["gateway_key": caller.id],
                idempotencyKey: external.map(caller.scope.idempotencyKey(externalTaskID:)), unitPriceOverride: gateway.unitPrice,
                extending: try original(of: job, for: caller), relayingCallbacks: gateway.providerCallbackAddress(provider))
            let result: GateResult
            do {
                result = try await gate.submit(submission)
            } catch {
                gateway.metrics.create(outcome: "invalid")
                throw Self.refusal(for: error)
            }
            context.log.submission(result.submission.id)
            let record = result.submission
            switch (result.decision, record.state) {
            case (.refusedByBudget(let refusal), _):
                gateway.metrics.create(outcome: "refused_by_budget")
                throw KlingRefusal(
                    1103, "\(refusal.description). Nothing was sent and nothing is held: ask the budget's owner to raise it, or wait for its next period")
            case (_, .sendFailed):
                gateway.metrics.create(outcome: "not_created")
                throw Self.providerRefusal(record)
            case (_, .unknown):
                gateway.metrics.create(outcome: "outcome_unknown", held: record.balance.held.micros)
                throw KlingRefusal(
                    5002,
                    "the provider's answer was lost: the task may exist, and its cost stays held until the gateway finds out. "
                        + (external.map { "Query it as \($0), or retry with the same external_task_id: that cannot create it twice" }
                            ?? "Send an external_task_id with creates, so that a retry cannot create a task twice"))
            case (.replayed, _):
                gateway.metrics.create(outcome: "replayed")
            default:
                gateway.metrics.create(outcome: "accepted", held: record.balance.held.micros)
            }
            return KlingAnswer.success(
                KlingTaskObject.object(record, callerExternalID: external), requestID: context.requestID,
                headers: [.klingLedgerSubmission: record.id])
        }
    }

    /// The submission whose video an extension extends: one of the caller's own, since its
    /// model and mode price the extension (and another team's videos are not the caller's).
    private func original(of job: VideoJob, for caller: GatewayKey) throws -> String? {
        guard job.kind == .extend, let videoID = job.videoID else { return nil }
        let original = try gate.withLedger(.write) { try $0.submission(deliveringVideo: videoID, provider: provider) }
        guard let original, caller.scope.owns(original) else {
            throw KlingRefusal(
                1201,
                "video_id \(videoID): not a video of a task this key's scope made through this gateway. Its model and mode price the "
                    + "extension, so only those videos can be extended here")
        }
        return original.id
    }

    /// A refusal before anything was held or sent, as the official API words its codes.
    static func refusal(for error: any Error) -> any Error {
        switch error {
        case let invalid as JobValidationError:
            let problems = invalid.problems.map { "\($0.field) = \($0.value): \($0.rule)" }
            return KlingRefusal(1201, problems.joined(separator: "; "))
        case let refusal as KlingRefusal:
            return refusal
        case let error as GateError:
            if case .idempotencyKeyReused(_, _, let differences) = error {
                return KlingRefusal(
                    1201, "external_task_id was already used for a different request (it differs in \(differences.joined(separator: ", "))); use a new one")
            }
            return KlingRefusal(1201, error.localizedDescription)
        case let error as CatalogError:
            return KlingRefusal(1201, error.localizedDescription)
        case let error as PricingError:
            return KlingRefusal(1201, "the gateway cannot price this job: \(error.localizedDescription)")
        case let error as AccountError:
            return KlingRefusal(5000, "the gateway is not configured for this provider (\(error.localizedDescription)); tell its operator")
        default:
            return error
        }
    }

    /// The provider refused the create: nothing was created and the hold is released. Its own
    /// code is passed on when it gave one.
    static func providerRefusal(_ record: SubmissionRecord) -> KlingRefusal {
        let message = record.errorMessage ?? "the provider refused the task"
        if let code = record.errorCode.flatMap({ Int($0) }), OfficialErrorCode.table.contains(where: { $0.code == code }) {
            return KlingRefusal(code, message)
        }
        return KlingRefusal(5001, "\(message). Nothing was created and nothing is held: try again later")
    }

    // MARK: Query and list

    /// One of the caller's tasks, by the provider's task id or the caller's external id. The
    /// provider is asked (a finished task is settled on the spot); when it cannot answer, the
    /// ledger's record is shown. Another scope's task is "not found", as if it did not exist.
    private func query(_ request: Request, _ context: GatewayContext) async throws -> Response {
        try await gateway.serving(request, context) { caller in
            let kind = try kind(request, context)
            let id = context.parameters.get("id") ?? ""
            let found = try gate.withLedger(.write) { ledger -> SubmissionRecord? in
                if let record = try ledger.submission(providerTaskID: id, provider: provider), caller.scope.owns(record) { return record }
                return try ledger.submission(idempotencyKey: caller.scope.idempotencyKey(externalTaskID: id))
            }
            guard let record = found, record.job.kind == kind, record.job.provider == provider else {
                throw KlingRefusal(1203, "task \(id) not found among this key's \(kind.rawValue) tasks")
            }
            context.log.submission(record.id)
            let external = caller.scope.externalTaskID(of: record)
            guard record.providerTaskID != nil else {
                return KlingAnswer.success(KlingTaskObject.object(record, callerExternalID: external), requestID: context.requestID)
            }
            do {
                let (_, snapshot) = try await gate.refresh(record)
                return KlingAnswer.success(KlingTaskObject.object(snapshot, callerExternalID: external), requestID: context.requestID)
            } catch {
                gateway.logger.warning(
                    "provider not read; answering from the ledger", metadata: ["submission": "\(record.id)", "error": "\(error.localizedDescription)"])
                let current = try gate.withLedger(.write) { try $0.submission(id: record.id) } ?? record
                return KlingAnswer.success(KlingTaskObject.object(current, callerExternalID: external), requestID: context.requestID)
            }
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
            let records = try gate.withLedger(.write) { ledger in
                try ledger.submissions(scope: caller.scope, kind: kind, provider: provider, page: page, pageSize: size)
            }
            let tasks = records.map { KlingTaskObject.object($0, callerExternalID: caller.scope.externalTaskID(of: $0)) }
            return KlingAnswer.success(tasks, requestID: context.requestID)
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
            let budgets = try gate.withLedger(.write) { ledger in
                try ledger.budgets(applyingTo: provider, team: caller.scope.team, project: caller.scope.project, user: caller.scope.user)
            }
            let packs = budgets.map { budget -> [String: Any] in
                let remaining = USD(micros: max(0, budget.remaining.micros))
                var pack: [String: Any] = [
                    "resource_pack_name": "budget \(budget.name) (USD)", "resource_pack_id": "budget-\(budget.id)",
                    "resource_pack_type": "decreasing_total", "total_quantity": NSDecimalNumber(string: budget.spec.limit.decimalString),
                    "remaining_quantity": NSDecimalNumber(string: remaining.decimalString),
                    "status": remaining.micros > 0 ? "online" : "runOut",
                ]
                if let start = budget.periodStart {
                    pack["purchase_time"] = KlingTaskObject.milliseconds(start)
                    pack["effective_time"] = KlingTaskObject.milliseconds(start)
                }
                if let end = budget.periodEnd { pack["invalid_time"] = KlingTaskObject.milliseconds(end) }
                return pack
            }
            return KlingAnswer.success(["code": 0, "msg": "success", "resource_pack_subscribe_infos": packs], requestID: context.requestID)
        }
    }
}

extension HTTPField.Name {
    /// The ledger's id of the submission a create made: for the caller's own records.
    static let klingLedgerSubmission = Self("X-Kling-Ledger-Submission")!
}
