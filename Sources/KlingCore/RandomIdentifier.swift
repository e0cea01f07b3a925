/// Random identifiers from the system's generator (`getrandom`), for ids made on every
/// request: `UUID()` on Linux opens and reads `/dev/urandom` each time.
public enum RandomIdentifier {
    /// `count` random bytes as lowercase hex (`2 × count` characters).
    public static func hex(bytes count: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var generator = SystemRandomNumberGenerator()
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for _ in 0..<count {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A random (version 4) UUID in lowercase: `8-4-4-4-12` hex digits.
    public static func uuid() -> String {
        var hex = Array(Self.hex(bytes: 16).utf8)
        hex[12] = UInt8(ascii: "4")  // version 4
        hex[16] = Array("89ab".utf8)[Int(hex[16] % 4)]  // the RFC 4122 variant
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(decoding: hex[$0], as: UTF8.self) }
        return groups.joined(separator: "-")
    }
}
