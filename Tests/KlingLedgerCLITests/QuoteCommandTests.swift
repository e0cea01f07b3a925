import Foundation
import Testing

@Suite("kling-ledger quote, compare and pricing list, run as a user would")
struct QuoteCommandTests {
    @Test("quote --provider pixazo --duration 5 --json prints the exact price and its basis")
    func pixazoJSON() async throws {
        let result = try await runCLI(["quote", "--provider", "pixazo", "--duration", "5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(result.json)
        #expect(json["amount_usd"] as? String == "0.35")
        #expect(json["provider"] as? String == "pixazo")
        #expect(json["duration_seconds"] as? Int == 5)
        #expect(json["table"] as? String == "pricing/pixazo.json")
        #expect(json["table_version"] as? String == "2026-01")
        #expect(json["units"] is NSNull)
        #expect((json["source"] as? String)?.contains("$0.35") == true)
    }

    @Test("An official quote carries its units and the unit price used, which KLING_UNIT_PRICE changes")
    func officialUnits() async throws {
        let list = try await runCLI(["quote", "--model", "kling-v2-5-turbo", "--mode", "pro", "--duration", "10", "--json"])
        #expect(list.json?["amount_usd"] as? String == "0.70")
        #expect(list.json?["units"] as? String == "5")
        #expect(list.json?["unit_price_usd"] as? String == "0.14")

        let pack = try await runCLI(
            ["quote", "--model", "kling-v2-5-turbo", "--mode", "pro", "--duration", "10", "--json"],
            environment: ["KLING_UNIT_PRICE": "0.098"])
        #expect(pack.json?["amount_usd"] as? String == "0.49")
        #expect(pack.json?["units"] as? String == "5")
        #expect(pack.json?["unit_price_source"] as? String == "from KLING_UNIT_PRICE")

        let flag = try await runCLI(["quote", "--model", "kling-v1", "--unit-price", "0.1", "--json"], environment: ["KLING_UNIT_PRICE": "0.098"])
        #expect(flag.json?["amount_usd"] as? String == "0.10")
    }

    @Test("compare lists providers cheapest first and says which cannot run the job and why")
    func compare() async throws {
        let result = try await runCLI(["compare", "--model", "kling-v2-5-turbo", "--mode", "pro", "--duration", "10"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "kling-v2-5-turbo pro 10 s text2video — cheapest first:")
        #expect(lines.dropFirst().prefix(3).map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
            == ["$0.70 kling", "$0.70 acedata", "$0.70 kkiai"])
        let unavailable = try #require(lines.firstIndex(of: "Cannot run it:"))
        #expect(lines[unavailable + 1].contains("pixazo") && lines[unavailable + 1].contains("no model parameter"))
    }

    @Test("compare puts the cheaper provider first")
    func compareOrder() async throws {
        let result = try await runCLI(["compare", "--duration", "5", "--json", "--unit-price", "0.5"])
        let json = try #require(result.json)
        let quotes = try #require(json["quotes"] as? [[String: Any]])
        let amounts = quotes.compactMap { $0["amount_usd"] as? String }
        #expect(quotes.first?["provider"] as? String == "acedata")
        #expect(quotes.last?["provider"] as? String == "kling")
        #expect(amounts.last == "0.50")
    }

    @Test("A job no rule prices is refused with exit 64 and a message naming what was asked")
    func unpriced() async throws {
        let result = try await runCLI(["quote", "--provider", "acedata", "--model", "kling-video-o1", "--mode", "pro", "--duration", "10"])
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        for word in ["acedata", "kling-video-o1", "pro", "10 s", "pricing/acedata.json", "rather than priced at $0"] {
            #expect(result.stderr.contains(word), "missing \(word): \(result.stderr)")
        }
    }

    @Test(
        "Invalid requests exit 64 with a message",
        arguments: [
            (["quote", "--provider", "pixazo", "--model", "kling-v1"], "no model parameter"),
            (["quote", "--model", "kling-v1", "--duration", "7"], "duration 7 s"),
            (["quote", "--unit-price", "cheap"], "not a positive decimal"),
            (["quote", "--provider", "openai"], "openai"),
            (["quote", "--duration", "0"], "--duration"),
            (["quote", "--at", "yesterday"], "ISO 8601"),
        ] as [([String], String)])
    func invalid(arguments: [String], message: String) async throws {
        let result = try await runCLI(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("A broken table in --pricing fails with its file and JSON path")
    func brokenTable() async throws {
        let table = #"{ "provider": "pixazo", "currency": "USD", "source": "x", "settlement": "table", "versions": [ { "id": "a", "effective_from": "2026-01-01", "rules": [ { "usd_per_clip": "-1" } ] } ] }"#
        try await withFolder(["pixazo.json": table]) { folder in
            let result = try await runCLI(["quote", "--provider", "pixazo", "--pricing", folder.path])
            #expect(result.status == 78, "a broken table is a configuration error")
            #expect(result.stderr.contains("\(folder.path)/pixazo.json at versions[0].rules[0].usd_per_clip"), "\(result.stderr)")
            #expect(result.stderr.contains("negative"))
        }
    }

    @Test("pricing list shows every table with its source and effective date")
    func pricingList() async throws {
        let result = try await runCLI(["pricing", "list"])
        #expect(result.status == 0)
        for provider in ["kling", "pixazo", "acedata", "kkiai"] {
            #expect(result.stdout.contains("file:       pricing/\(provider).json"))
        }
        #expect(result.stdout.contains("version 2026-01: from 2026-01-01T00:00:00Z, 26 rules, unit price $0.14  (in force)"))
        #expect(result.stdout.contains("acedata — AceData Cloud — ESTIMATED"))
    }

    @Test("--help is complete for every command", arguments: [["--help"], ["quote", "--help"], ["compare", "--help"], ["pricing", "list", "--help"]])
    func help(arguments: [String]) async throws {
        let result = try await runCLI(arguments)
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: kling-ledger"))
        if arguments.count > 1 {
            // Commands that only price take --pricing, and no --ledger they would never read.
            #expect(result.stdout.contains("--pricing <dir>"))
            #expect(!result.stdout.contains("--ledger <path>"))
        }
    }
}
