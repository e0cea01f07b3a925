import Foundation

/// Writes RFC 4180 CSV: UTF-8, CRLF after every record, a field quoted when it holds a comma,
/// a quote, a line break, or starts or ends with a space or tab, and its quotes doubled.
///
/// Records are assembled as bytes in one fixed buffer that is flushed whenever it passes
/// 64 KiB, so memory stays flat however many rows pass through. The buffer is raw memory the
/// writer owns, not an array: appending a field is a copy, with no growth checks or exclusivity
/// checks on the way (a report writes tens of millions of fields).
public final class CSVWriter {
    private let output: FileHandle
    private let capacity = 1 << 17
    private let flushThreshold = 1 << 16
    private let buffer: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var fieldsInRecord = 0

    /// - Parameter output: where the bytes go; it is not closed by the writer.
    public init(output: FileHandle) {
        self.output = output
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
    }

    /// Appends one field to the current record; `nil` is an empty field.
    public func field(_ bytes: UnsafeBufferPointer<UInt8>?) throws {
        // Worst case: a separator, every byte doubled, two quotes, and the record's end.
        let needed = 1 + 2 * (bytes?.count ?? 0) + 4
        if count + needed > capacity {
            try flush()
            if needed > capacity { return try writeLong(bytes) }
        }
        if fieldsInRecord > 0 { append(UInt8(ascii: ",")) }
        fieldsInRecord += 1
        guard let bytes, let base = bytes.baseAddress, !bytes.isEmpty else { return }
        if Self.needsQuotes(bytes) {
            append(UInt8(ascii: "\""))
            for byte in bytes {
                if byte == UInt8(ascii: "\"") { append(byte) }
                append(byte)
            }
            append(UInt8(ascii: "\""))
        } else {
            (buffer + count).update(from: base, count: bytes.count)
            count += bytes.count
        }
    }

    /// Appends one text field.
    public func field(_ text: String?) throws {
        guard var text else { return try field(nil as UnsafeBufferPointer<UInt8>?) }
        try text.withUTF8 { try field($0) }
    }

    /// Ends the current record.
    public func endRecord() throws {
        if count + 2 > capacity { try flush() }
        append(UInt8(ascii: "\r"))
        append(UInt8(ascii: "\n"))
        fieldsInRecord = 0
        if count >= flushThreshold { try flush() }
    }

    /// Writes out whatever is buffered.
    public func flush() throws {
        guard count > 0 else { return }
        try output.write(contentsOf: UnsafeBufferPointer(start: buffer, count: count))
        count = 0
    }

    @inline(__always)
    private func append(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    /// A field too long for the buffer (a huge prompt): quoted as usual, written in pieces.
    private func writeLong(_ bytes: UnsafeBufferPointer<UInt8>?) throws {
        var text: [UInt8] = fieldsInRecord > 0 ? [UInt8(ascii: ",")] : []
        fieldsInRecord += 1
        if let bytes {
            if Self.needsQuotes(bytes) {
                text.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") { text.append(byte) }
                    text.append(byte)
                }
                text.append(UInt8(ascii: "\""))
            } else {
                text.append(contentsOf: bytes)
            }
        }
        try output.write(contentsOf: text)
    }

    private static func needsQuotes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let first = bytes.first, first == 0x20 || first == 0x09 { return true }
        if let last = bytes.last, last == 0x20 || last == 0x09 { return true }
        for byte in bytes where byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 0x0A || byte == 0x0D {
            return true
        }
        return false
    }
}
