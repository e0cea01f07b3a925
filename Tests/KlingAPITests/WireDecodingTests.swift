import Foundation
import KlingAPI
import KlingCore
import Testing

/// A fixture's bytes, from `Fixtures/` beside this file.
func fixture(_ name: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)"))
}

@Suite("The seeds' sample answers decode to the right snapshots")
struct WireDecodingTests {
    @Test("Pixazo create answer")
    func pixazoCreate() throws {
        let snapshot = try PixazoWire().decodeCreate(WireResponse(status: 200, body: fixture("pixazo-create.json")))
        #expect(snapshot.providerTaskID == "CjNQtmctxFMAAAAAAO_VAg")
        #expect(snapshot.state == .submitted)
        #expect(snapshot.videos.isEmpty)
    }

    @Test("Pixazo text2video status: processing, then a single video_url")
    func pixazoTextStatus() throws {
        let wire = PixazoWire()
        let processing = try wire.decodeQuery(WireResponse(status: 200, body: fixture("pixazo-t2v-processing.json")), kind: .text2video)
        #expect(processing.state == .processing)
        #expect(processing.providerTaskID == "54ff1f7b-8a32-4b14-bff7-ad5ad8752885")
        let done = try wire.decodeQuery(WireResponse(status: 200, body: fixture("pixazo-t2v-succeed.json")), kind: .text2video)
        #expect(done.state == .succeeded)
        #expect(done.videos == [DeliveredVideo(url: "https://example.com/video.mp4")])
        #expect(done.failureMessage == nil)
        #expect(done.updatedAt == Date(timeIntervalSince1970: 1_756_380_973.496))
    }

    @Test("Pixazo image2video status: a videos array with id and duration")
    func pixazoImageStatus() throws {
        let wire = PixazoWire()
        let done = try wire.decodeQuery(WireResponse(status: 200, body: fixture("pixazo-i2v-succeed.json")), kind: .image2video)
        #expect(done.state == .succeeded)
        #expect(done.providerTaskID == "CjNQtmctxFMAAAAxxxxxx")
        #expect(done.videos == [
            DeliveredVideo(
                id: "6eefbb94-a633-4fe7-bf37-3a24fc2de32b",
                url: "https://cdn.klingai.com/bs2/upload-kling-api/7128237050/text2video/CjNQtmctxFMAAAAAAPXXXXXXX_raw_video_1.mp4",
                duration: "5.1")
        ])
        let processing = try wire.decodeQuery(WireResponse(status: 200, body: fixture("pixazo-i2v-processing.json")), kind: .image2video)
        #expect(processing.state == .processing)
    }

    @Test("Pixazo errors: {\"error\": …} with the HTTP status deciding the category", arguments: [(400, FailureCategory.notCreated), (401, .notCreated), (403, .notCreated), (404, .notCreated), (429, .retryLater), (500, .outcomeUnknown)])
    func pixazoErrors(status: Int, category: FailureCategory) {
        let body = Data(#"{ "error": "Rate limit exceeded, please retry later" }"#.utf8)
        #expect(throws: ProviderFailure(provider: .pixazo, category: category, httpStatus: status, message: "Rate limit exceeded, please retry later")) {
            try PixazoWire().decodeCreate(WireResponse(status: status, body: body))
        }
    }

    @Test(
        "AceData blocking answers: the finished task",
        arguments: [
            ("acedata-t2v-succeed.json", "e3a575aa-a4bd-49c8-9b12-cde38d5462e0", "af9a1af0-9aa0-4638-81c1-d41d6143c508", "5.1"),
            ("acedata-extend-succeed.json", nil, "bbc3b105-ac72-4de2-8390-0cb37dc7d41e", nil),
            ("acedata-i2v-succeed.json", nil, "030bb06d-98d4-4044-9042-0aa0822e8c8c", nil),
        ] as [(String, String?, String, String?)])
    func aceDataSucceeded(file: String, taskID: String?, videoID: String, duration: String?) throws {
        let snapshot = try AceDataWire().decodeCreate(WireResponse(status: 200, body: fixture(file)))
        #expect(snapshot.state == .succeeded)
        if let taskID { #expect(snapshot.providerTaskID == taskID) }
        #expect(snapshot.videos.count == 1)
        #expect(snapshot.videos.first?.id == videoID)
        #expect(snapshot.videos.first?.url.hasPrefix("https://cdn.klingai.com/") == true)
        if let duration { #expect(snapshot.videos.first?.duration == duration) }
    }

    @Test("AceData callback mode answers {task_id} alone: submitted")
    func aceDataCallbackMode() throws {
        let snapshot = try AceDataWire().decodeCreate(WireResponse(status: 200, body: Data(#"{"task_id": "t-42"}"#.utf8)))
        #expect(snapshot == TaskSnapshot(providerTaskID: "t-42", state: .submitted))
    }

    @Test("AceData's error shape: api_error on a create keeps the money held")
    func aceDataError() throws {
        #expect(throws: ProviderFailure(provider: .acedata, category: .outcomeUnknown, httpStatus: 500, code: "api_error", message: "fetch failed")) {
            try AceDataWire().decodeCreate(WireResponse(status: 500, body: fixture("acedata-error.json")))
        }
        let body = Data(#"{"success": false, "error": {"code": "invalid_token", "message": "bad token"}}"#.utf8)
        #expect(throws: ProviderFailure(provider: .acedata, category: .notCreated, httpStatus: 401, code: "invalid_token", message: "bad token")) {
            try AceDataWire().decodeCreate(WireResponse(status: 401, body: body))
        }
        let busy = Data(#"{"success": false, "error": {"code": "too_many_requests", "message": "slow down"}}"#.utf8)
        #expect(throws: ProviderFailure(provider: .acedata, category: .retryLater, httpStatus: 429, code: "too_many_requests", message: "slow down")) {
            try AceDataWire().decodeCreate(WireResponse(status: 429, body: busy))
        }
    }

    @Test("KKIAI create answer: the official envelope with a numeric-string task id")
    func kkiaiCreate() throws {
        let snapshot = try KKIAIWire().decodeCreate(WireResponse(status: 200, body: fixture("kkiai-create.json")))
        #expect(snapshot.providerTaskID == "831922345719271433")
        #expect(snapshot.state == .submitted)
        #expect(snapshot.createdAt == Date(timeIntervalSince1970: 1_766_374_262.370))
    }

    @Test("Official create and query: external id, exact final_unit_deduction, videos")
    func official() throws {
        let wire = OfficialWire()
        let created = try wire.decodeCreate(WireResponse(status: 200, body: fixture("official-create.json")))
        #expect(created == TaskSnapshot(
            providerTaskID: "CjikY2dnSxAAAAAAAPAzzg", state: .submitted, externalTaskID: "kl-01",
            createdAt: Date(timeIntervalSince1970: 1_722_769_557.708), updatedAt: Date(timeIntervalSince1970: 1_722_769_557.708)))
        let done = try wire.decodeQuery(WireResponse(status: 200, body: fixture("official-query-succeed.json")), kind: .text2video)
        #expect(done.state == .succeeded)
        #expect(done.finalUnitDeduction == "2.5")
        #expect(done.externalTaskID == "kl-01")
        #expect(done.videos.first?.duration == "5.1")
        #expect(done.videos.first?.watermarkURL?.hasSuffix("watermarked_video_1.mp4") == true)
        let failed = try wire.decodeQuery(WireResponse(status: 200, body: fixture("official-query-failed.json")), kind: .text2video)
        #expect(failed.state == .failed)
        #expect(failed.failureMessage == "Failure to pass the risk control system")
    }

    @Test("final_unit_deduction sent as a JSON number keeps its exact digits")
    func numericDeduction() throws {
        let body = Data(#"{"code":0,"data":{"task_id":"t","task_status":"succeed","final_unit_deduction":0.3}}"#.utf8)
        #expect(try OfficialWire().decodeQuery(WireResponse(status: 200, body: body), kind: .text2video).finalUnitDeduction == "0.3")
    }

    @Test("A malformed answer to a create is 'outcome unknown', never 'failed'", arguments: ["", "{", "<html>502</html>", #"{"code":0}"#, #"{"code":0,"data":{"task_id":"t","task_status":"exploded"}}"#])
    func malformed(body: String) {
        for wire in [OfficialWire() as any ProviderWire, KKIAIWire(), PixazoWire(), AceDataWire()] {
            #expect {
                try wire.decodeCreate(WireResponse(status: 200, body: Data(body.utf8)))
            } throws: { error in
                (error as? ProviderFailure)?.category == .outcomeUnknown
            }
        }
    }
}

@Suite("Official error codes")
struct OfficialErrorCodeTests {
    static let expected: [(Int, FailureCategory)] = [
        (1000, .notCreated), (1001, .notCreated), (1002, .notCreated), (1003, .resignAndRetry), (1004, .resignAndRetry),
        (1100, .notCreated), (1101, .notCreated), (1102, .notCreated), (1103, .notCreated),
        (1200, .notCreated), (1201, .notCreated), (1202, .notCreated), (1203, .notCreated),
        (1300, .notCreated), (1301, .notCreated), (1302, .retryLater), (1303, .retryLater), (1304, .notCreated),
        (5000, .outcomeUnknown), (5001, .retryLater), (5002, .outcomeUnknown),
    ]

    @Test("Every documented code maps to its category on a create", arguments: expected)
    func category(code: Int, category: FailureCategory) throws {
        let status = try #require(OfficialErrorCode.table.first { $0.code == code }?.httpStatus)
        let body = Data(#"{"code": \#(code), "message": "m", "request_id": "r"}"#.utf8)
        #expect(throws: ProviderFailure(provider: .kling, category: category, httpStatus: status, code: String(code), message: "m")) {
            try OfficialWire().decodeCreate(WireResponse(status: status, body: body))
        }
    }

    @Test("The table covers exactly the documented codes")
    func complete() {
        #expect(OfficialErrorCode.table.map(\.code) == Self.expected.map(\.0))
    }

    @Test("An undocumented code keeps the hold on a create; a read is just retried")
    func undocumented() {
        #expect(OfficialErrorCode.category(for: 1999, creating: true) == .outcomeUnknown)
        #expect(OfficialErrorCode.category(for: 1999, creating: false) == .retryLater)
        #expect(OfficialErrorCode.category(for: 5000, creating: false) == .retryLater)
    }

    @Test("The seed-shaped 1303 answer is a retry")
    func fixture1303() throws {
        #expect {
            try OfficialWire().decodeCreate(WireResponse(status: 429, body: fixture("official-error-1303.json")))
        } throws: { error in
            let failure = error as? ProviderFailure
            return failure?.category == .retryLater && failure?.code == "1303"
                && failure?.errorDescription?.contains("try again later") == true
        }
    }
}

@Suite("AceData retrieve answers")
struct AceDataRetrieveTests {
    @Test("The task is read under `response` when the top level has none")
    func nested() throws {
        let body = Data(#"{"success": true, "response": {"task_id": "t-7", "state": "succeed", "video_url": "https://x.test/v.mp4", "duration": "10.1"}}"#.utf8)
        let snapshot = try AceDataWire().decodeQuery(WireResponse(status: 200, body: body), kind: .text2video)
        #expect(snapshot == TaskSnapshot(providerTaskID: "t-7", state: .succeeded, videos: [DeliveredVideo(url: "https://x.test/v.mp4", duration: "10.1")]))
    }
}
