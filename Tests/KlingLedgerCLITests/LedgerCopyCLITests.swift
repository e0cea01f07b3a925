import Foundation
import KlingCore
import Ledger
import LedgerTestSupport
import Testing

@Suite("kling-ledger ledger copy", .serialized)
struct LedgerCopyCLITests {
    @Test(
        "A team's SQLite history copied into a new ledger: every row, the same totals and byte-identical reports; a non-empty target is refused and left as it was",
        arguments: LedgerBackend.all)
    func copy(_ target: LedgerBackend) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cli-copy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("demo.sqlite").path
        let demo = try await offThePool { try runCLIBlocking(["demo", "--ledger", source]) }
        #expect(demo.status == 0, "\(demo.stderr)")

        try await target.withScratchLocation { destination in
            let copied = try await offThePool { try runCLIBlocking(["ledger", "copy", "--from", source, "--to", destination, "--json"]) }
            #expect(copied.status == 0, "\(copied.stderr)")
            let tables = try #require(copied.json?["tables"] as? [String: Int])
            let original = try Ledger(path: source, access: .read)
            let copy = try Ledger(path: destination, access: .read)
            #expect(tables["submissions"] == (try original.submissions().count))
            #expect((try copy.submissions()) == (try original.submissions()))
            #expect((try copy.budgets()) == (try original.budgets()))
            #expect((try copy.alerts().map(\.message)) == (try original.alerts().map(\.message)))
            #expect(copied.json?["charged_usd"] as? String == USD(micros: (try original.submissions()).map(\.balance.charged.micros).reduce(0, +)).decimalString)
            // The password of a URL is never printed.
            if let password = URLComponents(string: destination)?.password { #expect(!copied.stdout.contains(password) && !copied.stderr.contains(password)) }

            let month = Timestamp.string(Date()).prefix(7)
            for report in ["monthly", "items", "budgets"] {
                let fromFile = try await offThePool { try runCLIBlocking(["report", report, "--month", String(month), "--ledger", source]) }
                let fromCopy = try await offThePool { try runCLIBlocking(["report", report, "--month", String(month), "--ledger", destination]) }
                #expect(fromFile.status == 0 && fromCopy.status == 0, "\(fromCopy.stderr)")
                #expect(fromCopy.stdout == fromFile.stdout, "the \(report) report is the same from the copy")
            }

            let again = try await offThePool { try runCLIBlocking(["ledger", "copy", "--from", source, "--to", destination]) }
            #expect(again.status == 65)
            #expect(again.stderr.contains("is not empty") && again.stderr.contains("new, empty ledger"), "\(again.stderr)")
            #expect((try Ledger(path: destination, access: .read).submissions().count) == (try original.submissions().count), "nothing was added")
        }
    }
}
