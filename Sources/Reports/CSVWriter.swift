import Foundation

/// Writes RFC 4180 CSV: UTF-8, CRLF after every record, a field quoted when it holds a comma,
/// a quote, a line break, or starts or ends with a space or tab, and its quotes doubled.
///
/// Records are assembled as bytes in one buffer that is flushed whenever it passes 64 KiB, so
/// memory stays flat however many rows pass through.
public final class CSVWriter {
    private let output: FileHandle
    private var buffer: [UInt8] = []
    private let flushThreshold = 1 << 16
    private var fieldsInRecord = 0

    /// - Parameter output: where the bytes go; it is not closed by the writer.
    public init(output: FileHandle) {
        self.output = output
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    /// Appends one field to the current record; `nil` is an empty field.
    public func field(_ bytes: UnsafeBufferPointer<UInt8>?) throws {
        if fieldsInRecord > 0 { buffer.append(UInt8(ascii: ",")) }
        fieldsInRecord += 1
        guard let bytes, !bytes.isEmpty else { return }
        if Self.needsQuotes(bytes) {
            buffer.append(UInt8(ascii: "\""))
            for byte in bytes {
                if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                buffer.append(byte)
            }
            buffer.append(UInt8(ascii: "\""))
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Appends one text field.
    public func field(_ text: String?) throws {
        guard var text else { return try field(nil as UnsafeBufferPointer<UInt8>?) }
        try text.withUTF8 { try field($0) }
    }

    /// Ends the current record.
    public func endRecord() throws {
        buffer.append(UInt8(ascii: "\r"))
        buffer.append(UInt8(ascii: "\n"))
        fieldsInRecord = 0
        if buffer.count >= flushThreshold { try flush() }
    }

    /// Writes out whatever is buffered.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try output.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private static func needsQuotes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let first = bytes.first, first == 0x20 || first == 0x09 { return true }
        if let last = bytes.last, last == 0x20 || last == 0x09 { return true }
        return bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
    }
}
