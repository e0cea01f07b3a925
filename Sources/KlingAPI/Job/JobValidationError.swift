import Foundation

/// A job that breaks a documented limit. Raised before anything is reserved or sent, so a bad
/// request costs nothing.
public struct JobValidationError: Error, Sendable, Equatable {
    /// One broken rule.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The field, by its wire name: `negative_prompt`, `multi_prompt[2].duration`.
        public let field: String
        /// The offending value, shortened for display.
        public let value: String
        /// The documented rule it breaks.
        public let rule: String
        /// What to do instead.
        public let fix: String

        public init(field: String, value: String, rule: String, fix: String) {
            self.field = field
            self.value = value
            self.rule = rule
            self.fix = fix
        }

        public var description: String { "\(field) = \(value): \(rule); \(fix)" }
    }

    /// Every problem found, so one correction round fixes them all.
    public let problems: [Problem]
}

extension JobValidationError: LocalizedError {
    public var errorDescription: String? {
        if problems.count == 1, let problem = problems.first { return "invalid job: \(problem)" }
        return "invalid job (\(problems.count) problems):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

extension JobValidationError.Problem {
    /// A value as shown in a message: quoted, long text cut to 40 characters with its length.
    static func show(_ text: String) -> String {
        text.count <= 40 ? "\"\(text)\"" : "\"\(text.prefix(37))…\" (\(text.count) characters)"
    }
}
