import Foundation
import Hummingbird
import KlingAuth
import KlingCore

/// The official API (`kling`) and KKIAI, which copies its body and envelope under `/kling`.
struct OfficialRoutes: Sendable {
    let provider: Provider
    let book: SandboxBook
    let auth: @Sendable (Request) -> (code: Int, message: String)?
    let callbacks: CallbackPoster
    /// Signs callbacks, as the official API does when a secret is configured.
    var signer: WebhookSignature? = nil

    /// Path prefix and the kinds offered, with their path segments.
    var prefix: String { provider == .kkiai ? "/kling" : "" }
    var segments: [String: VideoKind] {
        provider == .kkiai ? ["text2video": .text2video] : ["text2video": .text2video, "image2video": .image2video, "video-extend": .extend]
    }

    func register(on router: Router<SandboxContext>) {
        router.post("\(prefix)/v1/videos/:segment") { request, context in try await create(request, context) }
        router.get("\(prefix)/v1/videos/:segment/:id") { request, context in try await query(request, context) }
        if provider == .kling {
            router.get("/v1/videos/:segment") { request, context in try await list(request, context) }
            router.post("/account/billing/package") { request, context in try await billing(request, context) }
            router.get("/account/costs") { request, context in try await costs(request, context) }
        }
    }

    // MARK: Endpoints

    private func create(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = auth(request) { return Self.error(refused.code, refused.message) }
        guard let kind = segments[context.parameters.get("segment") ?? ""] else { return Self.error(1202, "Method not found") }
        return try await book.answering(provider, .create, context: context, refusal: refusal) {
            guard let body = await Answer.body(of: request) else { return Self.error(1200, "request body is not a JSON object") }
            let order: SandboxBook.Order
            switch readOrder(body, kind: kind) {
            case .success(let read): order = read
            case .failure(let problem): return Self.error(1201, problem.message)
            }
            do throws(SandboxBook.CreateRefusal) {
                let task = try book.create(order)
                callbacks.schedule(task, signer: signer, render: { task, instant in Self.taskObject(task, at: instant) })
                return Self.success(Self.taskObject(task, at: task.createdAt))
            } catch .duplicateExternalID(let external) {
                return Self.error(1201, "external_task_id \(external) already exists")
            } catch .notSaved {
                return Self.error(5000, "server error: the sandbox could not save its state")
            }
        }
    }

    private func query(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = auth(request) { return Self.error(refused.code, refused.message) }
        guard let kind = segments[context.parameters.get("segment") ?? ""], let id = context.parameters.get("id") else {
            return Self.error(1202, "Method not found")
        }
        return try await book.answering(provider, .query, context: context, refusal: refusal) {
            guard let task = book.task(provider, id: id, kind: kind, byExternalID: provider == .kling) else {
                return Self.error(1203, "task \(id) not found")
            }
            return Self.success(Self.taskObject(task, at: Date()))
        }
    }

    /// `GET /v1/videos/{kind}?pageNum=&pageSize=`: the newest tasks first.
    private func list(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = auth(request) { return Self.error(refused.code, refused.message) }
        guard let kind = segments[context.parameters.get("segment") ?? ""] else { return Self.error(1202, "Method not found") }
        let page = request.uri.queryParameters.get("pageNum", as: Int.self) ?? 1
        let size = request.uri.queryParameters.get("pageSize", as: Int.self) ?? 30
        guard (1...1000).contains(page), (1...500).contains(size) else {
            return Self.error(1201, "pageNum must be 1–1000 and pageSize 1–500")
        }
        let now = Date()
        let tasks = book.tasks.filter { $0.provider == provider && $0.kind == kind }.reversed()
        let pageTasks = tasks.dropFirst((page - 1) * size).prefix(size).map { Self.taskObject($0, at: now) }
        return Answer.json(.ok, ["code": 0, "message": "SUCCEED", "request_id": UUID().uuidString, "data": Array(pageTasks)])
    }

    /// `POST /account/billing/package`: one row per deduction in `[start_time, end_time)` (ms;
    /// from the first page, carried in the cursor), at most `limit` (≤ 500) a page, with
    /// `next_cursor` and `has_more` under `data.result`, as the secondary copy of the official
    /// page shows them.
    private func billing(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = auth(request) { return Self.error(refused.code, refused.message) }
        let body = await Answer.body(of: request) ?? [:]
        let limit = body["limit"] as? Int ?? 500
        guard (1...500).contains(limit) else { return Self.error(1201, "limit must be 1–500") }
        // The cursor carries the window and the offset: "start:end:offset".
        let cursor = (body["cursor"] as? String).map { $0.split(separator: ":").compactMap { Int64($0) } }
        if let cursor, cursor.count != 3 { return Self.error(1201, "cursor is not one this account issued") }
        guard let start = cursor?[0] ?? (body["start_time"] as? NSNumber)?.int64Value,
            let end = cursor?[1] ?? (body["end_time"] as? NSNumber)?.int64Value
        else { return Self.error(1200, "start_time and end_time (ms) are required on the first page") }
        let offset = Int(cursor?[2] ?? 0)
        let rows = book.deductions(at: Date()).filter {
            let at = Answer.milliseconds($0.at)
            return at >= start && at < end
        }
        let page = rows.dropFirst(offset).prefix(limit).map { deduction -> [String: Any] in
            let task = deduction.task
            return [
                "package_id": deduction.packID ?? "", "product_type": "video", "task_id": task.taskID, "api_key_name": "sandbox",
                "product_function": task.kind.rawValue, "model_name": task.model ?? "", "resolution": task.mode == .pro ? "1080p" : "720p",
                "duration": String(task.durationSeconds), "refer_video_input": task.kind == .extend, "video_sound": task.sound ? "native" : "off",
                "voice_control": false, "deduction_time": Answer.milliseconds(deduction.at),
                "unit_before_deduction": deduction.unitsBefore.decimalString, "deduction_amount": deduction.units.decimalString,
                "unit_after_deduction": deduction.unitsAfter.decimalString,
            ]
        }
        let next = offset + page.count
        let more = next < rows.count
        return Self.success([
            "result": [
                "detail": Array(page), "count": rows.count, "has_more": more,
                "next_cursor": more ? "\(start):\(end):\(next)" as Any : NSNull(),
            ] as [String: Any]
        ])
    }

    /// `GET /account/costs?start_time=&end_time=[&resource_pack_name=]`: the account's packs with
    /// their remaining units (the official API says they may be up to 12 h stale; here they are
    /// current).
    private func costs(_ request: Request, _ context: SandboxContext) async throws -> Response {
        if let refused = auth(request) { return Self.error(refused.code, refused.message) }
        guard let start = request.uri.queryParameters.get("start_time", as: Int64.self),
            let end = request.uri.queryParameters.get("end_time", as: Int64.self)
        else { return Self.error(1200, "start_time and end_time (ms) are required") }
        let name = request.uri.queryParameters.get("resource_pack_name").map { String($0) }
        let now = Date()
        let packs = book.packsRemaining(at: now).filter { pack, _ in
            Answer.milliseconds(pack.expiresAt) > start && Answer.milliseconds(pack.effectiveAt) < end && (name == nil || pack.name == name)
        }
        let infos = packs.map { pack, remaining -> [String: Any] in
            let status =
                now < pack.effectiveAt ? "toBeOnline" : now >= pack.expiresAt ? "expired" : remaining <= .zero ? "runOut" : "online"
            return [
                "resource_pack_name": pack.name, "resource_pack_id": pack.id, "resource_pack_type": "decreasing_total",
                "total_quantity": NSDecimalNumber(string: pack.total.decimalString), "remaining_quantity": NSDecimalNumber(string: remaining.decimalString),
                "purchase_time": Answer.milliseconds(pack.effectiveAt), "effective_time": Answer.milliseconds(pack.effectiveAt),
                "invalid_time": Answer.milliseconds(pack.expiresAt), "status": status,
            ]
        }
        return Self.success(["code": 0, "msg": "success", "resource_pack_subscribe_infos": infos])
    }

    // MARK: Reading a create

    struct Problem: Error { let message: String }

    /// The order a create body describes, checked against what the provider documents.
    private func readOrder(_ body: [String: Any], kind: VideoKind) -> Result<SandboxBook.Order, Problem> {
        let profile = ProviderCatalog.profile(provider)
        let model = body["model_name"] as? String ?? (kind == .extend ? nil : profile.defaultModel)
        if provider == .kkiai {
            for required in ["model_name", "mode", "duration", "multi_shot"] where body[required] == nil {
                return .failure(Problem(message: "\(required) is required"))
            }
        }
        let modeText = body["mode"] as? String
        guard modeText == nil || Mode(rawValue: modeText!) != nil else { return .failure(Problem(message: "mode must be std or pro")) }
        let mode = modeText.flatMap(Mode.init(rawValue:)) ?? (kind == .extend ? nil : profile.defaultMode)
        let durationText = body["duration"] as? String
        if body["duration"] != nil, durationText == nil { return .failure(Problem(message: "duration must be a string")) }
        let duration = durationText.flatMap { Int($0) } ?? 5
        let multiShot = body["multi_shot"] as? Bool ?? false
        switch kind {
        case .text2video where !multiShot && (body["prompt"] as? String ?? "").isEmpty:
            return .failure(Problem(message: "prompt is required"))
        case .image2video where body["image"] == nil && body["image_tail"] == nil:
            return .failure(Problem(message: "image or image_tail is required"))
        case .extend where (body["video_id"] as? String ?? "").isEmpty:
            return .failure(Problem(message: "video_id is required"))
        default: break
        }
        if let scale = body["cfg_scale"] as? Double, !(0...1).contains(scale) {
            return .failure(Problem(message: "cfg_scale must be between 0 and 1"))
        }
        // An extension is billed as its original: same model and mode.
        if kind == .extend {
            let videoID = body["video_id"] as? String
            guard let original = book.tasks.first(where: { $0.provider == provider && $0.videoID == videoID }) else {
                return .failure(Problem(message: "video_id \(videoID ?? "") is not a video of this account"))
            }
            return .success(
                SandboxBook.Order(
                    provider: provider, kind: .extend, model: original.model, mode: original.mode, durationSeconds: 5, sound: false,
                    externalTaskID: body["external_task_id"] as? String, callbackURL: body["callback_url"] as? String))
        }
        do {
            guard let spec = profile.model(named: model), spec.kinds.contains(kind) else {
                return .failure(Problem(message: "model_name \(model ?? "") is not available for \(kind.rawValue)"))
            }
            guard mode.map(spec.modes.contains) ?? true, spec.durations.contains(duration) else {
                return .failure(Problem(message: "mode or duration not supported by \(model ?? "")"))
            }
        }
        let sound = body["sound"] as? String == "on"
        return .success(
            SandboxBook.Order(
                provider: provider, kind: kind, model: model, mode: mode,
                durationSeconds: duration, sound: sound, externalTaskID: body["external_task_id"] as? String,
                callbackURL: body["callback_url"] as? String))
    }

    // MARK: Answers

    /// The task object: the envelope's `data`, and what callbacks post.
    static func taskObject(_ task: SandboxTask, at instant: Date) -> [String: Any] {
        let state = task.state(at: instant)
        let changed = state == .submitted ? task.createdAt : state == .processing ? task.processingAt : task.finishesAt
        var data: [String: Any] = [
            "task_id": task.taskID, "task_status": state.rawValue, "task_status_msg": "",
            "task_info": task.externalTaskID.map { ["external_task_id": $0] } ?? [:],
            "created_at": Answer.milliseconds(task.createdAt), "updated_at": Answer.milliseconds(changed),
        ]
        switch state {
        case .succeed:
            data["final_unit_deduction"] = task.deductedUnits(at: instant)?.decimalString ?? "0"
            data["task_result"] = [
                "videos": [
                    ["id": task.videoID, "url": task.videoURL, "watermark_url": task.videoURL + "?watermark=1", "duration": task.deliveredDuration]
                ]
            ]
        case .failed:
            data["final_unit_deduction"] = "0"
            data["task_status_msg"] = task.failureMessage ?? "failed"
        case .submitted, .processing:
            break
        }
        return data
    }

    static func success(_ data: [String: Any]) -> Response {
        Answer.json(.ok, ["code": 0, "message": "SUCCEED", "request_id": UUID().uuidString, "data": data])
    }

    static func error(_ code: Int, _ message: String) -> Response {
        Answer.json(httpStatus(code), ["code": code, "message": message, "request_id": UUID().uuidString])
    }

    private func refusal(_ fault: SandboxFault) -> Response {
        switch fault {
        case .refuse(let code): Self.error(code, "refused by the sandbox (code \(code))")
        case .serverError(let status): Self.error(status == 503 ? 5001 : status == 504 ? 5002 : 5000, "server error")
        default: Self.error(5000, "server error")
        }
    }

    /// The HTTP status the official API pairs with each business code.
    static func httpStatus(_ code: Int) -> HTTPResponse.Status {
        switch code {
        case 1000...1004: .unauthorized
        case 1100...1102, 1302...1304: .tooManyRequests
        case 1103: .forbidden
        case 1202, 1203: .notFound
        case 5001: .serviceUnavailable
        case 5002: .gatewayTimeout
        case 5000...5999: .internalServerError
        default: .badRequest
        }
    }
}
