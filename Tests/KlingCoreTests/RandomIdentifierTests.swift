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

    @Test("Ids longer than one draw take each byte from a new draw, and odd lengths are exact")
    func lengths() {
        for count in [1, 5, 8, 9, 12, 16, 33] {
            let ids = (0..<200).map { _ in RandomIdentifier.hex(bytes: count) }
            #expect(ids.allSatisfy { $0.count == 2 * count }, "\(count) bytes")
            #expect(Set(ids).count == ids.count || count == 1, "\(count) bytes")
        }
        // The two halves of a 16-byte id are two draws, never one repeated.
        let halves = (0..<200).map { _ in RandomIdentifier.hex(bytes: 16) }.map { ($0.prefix(16), $0.suffix(16)) }
        #expect(halves.allSatisfy { $0.0 != $0.1 })
    }
}
