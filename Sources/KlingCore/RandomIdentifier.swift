/// Random identifiers from the system's generator (`getrandom`), for ids made on every
/// request: `UUID()` on Linux opens and reads `/dev/urandom` each time.
public enum RandomIdentifier {
    /// `count` random bytes as lowercase hex (`2 × count` characters).
    public static func hex(bytes count: Int) -> String {
        lowercaseHex(randomBytes(count))
    }

    /// A random (version 4, RFC 4122 variant) UUID in lowercase: `8-4-4-4-12` hex digits.
    public static func uuid() -> String {
        var bytes = randomBytes(16)
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // variant 10xx
        let text = Array(lowercaseHex(bytes).utf8)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(decoding: text[$0], as: UTF8.self) }.joined(separator: "-")
    }

    /// Eight bytes per call to the generator: each call is a `getrandom` system call, so
    /// drawing byte by byte cost one per byte (24 per gateway create).
    private static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let word: UInt64 = generator.next()
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0.prefix(count - bytes.count)) }
        }
        return bytes
    }
}
