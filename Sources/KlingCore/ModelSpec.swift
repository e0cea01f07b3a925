/// What one model accepts at one provider, as that provider documents it.
public struct ModelSpec: Hashable, Sendable {
    /// The model name sent on the wire; `nil` where the provider picks the model itself (Pixazo).
    public let name: String?
    /// The kinds of task the model is documented for.
    public let kinds: Set<VideoKind>
    /// The modes the caller may choose; empty where the provider has no mode parameter.
    public let modes: Set<Mode>
    /// The durations, in whole seconds, the model accepts.
    public let durations: [Int]
    /// Whether the model can generate sound with the video (`sound: on`).
    public let supportsSound: Bool

    public init(name: String?, kinds: Set<VideoKind>, modes: Set<Mode>, durations: [Int], supportsSound: Bool) {
        self.name = name
        self.kinds = kinds
        self.modes = modes
        self.durations = durations
        self.supportsSound = supportsSound
    }

    /// The same model offered for fewer kinds or without sound, as a reseller may offer it.
    func restricted(to kinds: Set<VideoKind>, sound: Bool? = nil) -> ModelSpec {
        ModelSpec(
            name: name, kinds: self.kinds.intersection(kinds), modes: modes, durations: durations,
            supportsSound: sound ?? supportsSound)
    }

    /// The model's name for messages: its wire name, or "the provider's default model".
    public var displayName: String { name ?? "the provider's own model" }
}
