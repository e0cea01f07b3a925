import Foundation
import KlingCore
import Testing

@Suite("Random identifiers")
struct RandomIdentifierTests {
    @Test("UUIDs are version 4 of the RFC 4122 variant, lowercase, and Foundation reads them back")
    func uuid() throws {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let text = RandomIdentifier.uuid()
            #expect(text.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(text)")
            #expect(UUID(uuidString: text)?.uuidString.lowercased() == text)
            seen.insert(text)
        }
        #expect(seen.count == 1000)
    }

    @Test("Hex ids have two digits a byte and do not repeat")
    func hex() {
        let ids = (0..<1000).map { _ in RandomIdentifier.hex(bytes: 8) }
        #expect(ids.allSatisfy { $0.count == 16 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() })
        #expect(Set(ids).count == 1000)
    }
}
