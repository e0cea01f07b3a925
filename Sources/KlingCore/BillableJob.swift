/// The fields of a video job that decide what it costs: the part of a job that pricing, budgets
/// and the ledger all look at.
public struct BillableJob: Hashable, Sendable {
    public var provider: Provider
    public var kind: VideoKind
    /// The model name; `nil` means the provider's default (or, for Pixazo, the provider's own).
    public var model: String?
    /// The mode; `nil` means the provider's default (Pixazo has none).
    public var mode: Mode?
    /// The requested length in whole seconds.
    public var durationSeconds: Int
    /// Whether sound is generated with the video.
    public var sound: Bool

    public init(
        provider: Provider, kind: VideoKind = .text2video, model: String? = nil, mode: Mode? = nil,
        durationSeconds: Int = 5, sound: Bool = false
    ) {
        self.provider = provider
        self.kind = kind
        self.model = model
        self.mode = mode
        self.durationSeconds = durationSeconds
        self.sound = sound
    }

    /// A short description for messages: `kling kling-v2-5-turbo pro 10 s text2video`.
    public var summary: String { "\(provider.rawValue) \(requestSummary)" }

    /// The same without the provider, for a job priced at several: `kling-v2-5-turbo pro 10 s text2video`.
    public var requestSummary: String {
        var parts: [String] = []
        if let model { parts.append(model) }
        if let mode { parts.append(mode.rawValue) }
        parts.append("\(durationSeconds) s")
        parts.append(kind.rawValue)
        if sound { parts.append("with sound") }
        return parts.joined(separator: " ")
    }
}
