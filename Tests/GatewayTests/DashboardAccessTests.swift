import Foundation
import Gateway
import KlingCore
import Ledger
import NIOHTTP1
import Testing

/// serve's dashboard under /ui: a key opens it, and a team's key shows that team only.
@Suite("Gateway dashboard access")
struct DashboardAccessTests {
    static func basic(_ apiKey: String) -> String {
        "Basic " + Data("anyone:\(apiKey)".utf8).base64EncodedString()
    }

    @Test("A team's key sees its team only (pages, submissions, CSV); an admin key sees every team and spends nothing; no key is asked for one")
    func isolation() async throws {
        try await GatewayFixture.with { fixture in
            let video = try fixture.issue(team: "video")
            let films = try fixture.issue(team: "films")
            let admin = try GatewaySecret(fixture.secretText).issue(
                to: CallerScope(team: "*"), role: .admin, expiresAt: nil, ledger: try fixture.ledger())
            var body = cheapCreate
            body["prompt"] = "video's clip"
            let mine = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(video.apiKey)")
            body["prompt"] = "films' clip"
            let theirs = try await fixture.send(.POST, "/v1/videos/text2video", json: body, authorization: "Bearer \(films.apiKey)")
            #expect(mine.status == 200 && theirs.status == 200)
            let records = try fixture.ledger().submissions()
            let filmsID = try #require(records.first { $0.team == "films" }?.id)
            let videoID = try #require(records.first { $0.team == "video" }?.id)

            let missing = try await fixture.send(.GET, "/ui", authorization: nil)
            #expect(missing.status == 401)
            let forged = try await fixture.send(.GET, "/ui", authorization: Self.basic("kl_not-issued"))
            #expect(forged.status == 401)

            let page = try await fixture.send(.GET, "/ui", authorization: Self.basic(video.apiKey))
            #expect(page.status == 200)
            #expect(page.text.contains("Showing team video"))
            #expect(page.text.contains(">video<") && !page.text.contains(">films<"), "the by-team table holds video only")
            #expect(page.text.contains("id=\"held\">$0.14<"), "video's own hold, not films'")

            let list = try await fixture.send(.GET, "/ui/submissions", authorization: Self.basic(video.apiKey))
            #expect(list.text.contains(videoID) && !list.text.contains(filmsID))
            let peek = try await fixture.send(.GET, "/ui/submissions/\(filmsID)", authorization: Self.basic(video.apiKey))
            #expect(peek.status == 404)
            let filtered = try await fixture.send(.GET, "/ui/submissions?team=films", authorization: Self.basic(video.apiKey))
            #expect(!filtered.text.contains(filmsID), "a team filter cannot widen a team's key")
            let csv = try await fixture.send(.GET, "/ui/reports/items.csv", authorization: Self.basic(video.apiKey))
            #expect(csv.status == 200 && csv.text.contains(videoID) && !csv.text.contains(filmsID) && !csv.text.contains("films"))
            let budgets = try await fixture.send(.GET, "/ui/reports/budgets.csv", authorization: Self.basic(video.apiKey))
            #expect(budgets.status == 200)

            let organisation = try await fixture.send(.GET, "/ui/reconciliation", authorization: Self.basic(video.apiKey))
            #expect(organisation.status == 200 && organisation.text.contains("an admin key"), "not a team's numbers")
            let everyone = try await fixture.send(.GET, "/ui/submissions", authorization: Self.basic(admin.apiKey))
            #expect(everyone.text.contains("Showing all teams") && everyone.text.contains(videoID) && everyone.text.contains(filmsID))
            let spend = try await fixture.send(.POST, "/v1/videos/text2video", json: cheapCreate, authorization: "Bearer \(admin.apiKey)")
            #expect(spend.status == 401 && spend.code == 1000, "an admin key spends nothing")
            #expect(fixture.creates == 2)
        }
    }
}
