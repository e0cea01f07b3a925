import KlingCore
import Pricing
import Testing

@Suite("Price table sources")
struct SourceTests {
    @Test("Every shipped table cites public documentation, not a file outside this repository", arguments: Provider.allCases)
    func citesPublicDocs(_ provider: Provider) throws {
        let table = try PriceBook.load(environment: [:]).table(for: provider)
        #expect(!table.source.contains("shared/"), "\(table.source)")
        #expect(!table.source.contains("seeds"))
        #expect(table.source.contains("https://"), "names where to read the figures")
    }
}
