import KlingCore
import Testing

@Suite("Provider catalog")
struct CatalogTests {
    @Test("Defaults fill in the model and mode")
    func defaults() throws {
        let job = try BillableJob(provider: .kling).resolved()
        #expect(job.model == "kling-v1")
        #expect(job.mode == .std)
        let pixazo = try BillableJob(provider: .pixazo).resolved()
        #expect(pixazo.model == nil)
        #expect(pixazo.mode == nil)
    }

    @Test("Pixazo image2video can be priced but not sent")
    func pricedButNotSendable() throws {
        let job = try BillableJob(provider: .pixazo, kind: .image2video).resolved()
        #expect(throws: CatalogError.self) { try job.checkSendable() }
        #expect(throws: Never.self) { try BillableJob(provider: .pixazo).checkSendable() }
    }

    @Test(
        "Jobs a provider does not document are refused with the reason",
        arguments: [
            (BillableJob(provider: .kling, model: "kling-v9"), "model \"kling-v9\" is not offered by kling"),
            (BillableJob(provider: .pixazo, model: "kling-v1"), "pixazo has no model parameter"),
            (BillableJob(provider: .pixazo, mode: .pro), "pixazo has no mode parameter"),
            (BillableJob(provider: .pixazo, kind: .extend), "pixazo cannot run extend"),
            (BillableJob(provider: .kkiai, kind: .image2video), "kkiai cannot run image2video"),
            (BillableJob(provider: .kling, model: "kling-v1", durationSeconds: 7), "duration 7 s is not accepted"),
            (BillableJob(provider: .kling, model: "kling-v3", durationSeconds: 16), "accepted: 3–15 s"),
            (BillableJob(provider: .kling, model: "kling-v1", sound: true), "sound is not supported by kling-v1"),
            (BillableJob(provider: .kling, kind: .extend, model: "kling-v2-6"), "kling cannot run extend"),
        ])
    func refusals(job: BillableJob, message: String) {
        #expect {
            try job.resolved()
        } throws: { error in
            (error as? CatalogError)?.errorDescription?.contains(message) == true
        }
    }
}
