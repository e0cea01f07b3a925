/// A value bound to an SQL parameter. There is deliberately no floating-point case: the
/// ledger stores money as integer micro-dollars and exact decimals as text.
public enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case null

    /// A text value, or `NULL` for `nil`.
    static func text(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    /// An integer value, or `NULL` for `nil`.
    static func integer(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
}
