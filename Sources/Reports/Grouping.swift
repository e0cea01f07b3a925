import Foundation

/// The dimensions `--by` groups a report by: `team,provider,tag:cost_center`.
public struct Grouping: Sendable, Equatable {
    /// Dimension names in the order given; a tag is `tag`.
    public let dimensions: [String]
    /// The tag key of `tag:KEY`, if one was given.
    public let tagKey: String?

    /// The dimensions any report may declare.
    public static let known = ["team", "project", "user", "provider", "model", "mode", "tag"]

    /// Parses a comma-separated list.
    public init(parsing text: String) throws(ReportError) {
        var dimensions: [String] = []
        var tagKey: String?
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            if part.hasPrefix("tag:") {
                let key = String(part.dropFirst(4))
                guard !key.isEmpty else { throw .badDimension(part, allowed: Self.known.filter { $0 != "tag" }) }
                guard tagKey == nil else { throw .oneTagOnly }
                tagKey = key
                dimensions.append("tag")
            } else {
                guard Self.known.contains(part), part != "tag" else { throw .badDimension(part, allowed: Self.known.filter { $0 != "tag" }) }
                if !dimensions.contains(part) { dimensions.append(part) }
            }
        }
        guard !dimensions.isEmpty else { throw .badDimension(text, allowed: Self.known.filter { $0 != "tag" }) }
        self.dimensions = dimensions
        self.tagKey = tagKey
    }

    init(dimensions: [String]) {
        self.dimensions = dimensions
        self.tagKey = nil
    }
}
