/// What each provider documents it can do: the models, kinds, modes, durations and sound each
/// accepts. The facts come from `shared/PROVIDERS.md`; pricing and validation both read them here.
public struct ProviderProfile: Sendable {
    public let provider: Provider
    /// The models a caller may name. For a provider that picks the model itself (Pixazo) this
    /// holds one spec whose `name` is `nil`.
    public let models: [ModelSpec]
    /// The model used when a job names none.
    public let defaultModel: String?
    /// The mode used when a job names none.
    public let defaultMode: Mode?
    /// Kinds the provider prices but whose create endpoint it does not document, with the
    /// reason: such a job can be quoted, but is refused rather than sent to a guessed URL.
    public let createUndocumented: [VideoKind: String]

    /// Whether a caller chooses the model (everywhere but Pixazo).
    public var choosesModel: Bool { models.contains { $0.name != nil } }

    /// The spec of a model by name, or the provider's only model when it picks it itself.
    public func model(named name: String?) -> ModelSpec? {
        models.first { $0.name == (name ?? defaultModel) }
    }

    /// The model names a caller may use, for messages.
    public var modelNames: [String] { models.compactMap(\.name) }
}

/// The four providers' documented capabilities.
public enum ProviderCatalog {
    /// The profile of one provider.
    public static func profile(_ provider: Provider) -> ProviderProfile {
        switch provider {
        case .kling: kling
        case .pixazo: pixazo
        case .acedata: acedata
        case .kkiai: kkiai
        }
    }

    private static let all: Set<VideoKind> = [.text2video, .image2video, .extend]
    private static let clipDurations = [5, 10]

    /// Official models (seed 002; kling-v3 from seed 004; v1-5 and v2-1 from the price table).
    private enum Official {
        static let v1 = ModelSpec(
            name: "kling-v1", kinds: all, modes: [.std, .pro], durations: clipDurations, supportsSound: false)
        static let v1_5 = ModelSpec(
            name: "kling-v1-5", kinds: [.image2video, .extend], modes: [.std, .pro], durations: clipDurations,
            supportsSound: false)
        static let v1_6 = ModelSpec(
            name: "kling-v1-6", kinds: all, modes: [.std, .pro], durations: clipDurations, supportsSound: false)
        static let v2Master = ModelSpec(
            name: "kling-v2-master", kinds: [.text2video, .image2video], modes: [.std, .pro],
            durations: clipDurations, supportsSound: false)
        static let v2_1 = ModelSpec(
            name: "kling-v2-1", kinds: [.image2video], modes: [.std, .pro], durations: clipDurations,
            supportsSound: false)
        static let v2_1Master = ModelSpec(
            name: "kling-v2-1-master", kinds: [.text2video, .image2video], modes: [.std, .pro],
            durations: clipDurations, supportsSound: false)
        static let v2_5Turbo = ModelSpec(
            name: "kling-v2-5-turbo", kinds: [.text2video, .image2video], modes: [.std, .pro],
            durations: clipDurations, supportsSound: false)
        static let v2_6 = ModelSpec(
            name: "kling-v2-6", kinds: [.text2video, .image2video], modes: [.std, .pro],
            durations: clipDurations, supportsSound: true)
        static let v3 = ModelSpec(
            name: "kling-v3", kinds: [.text2video, .image2video], modes: [.std, .pro],
            durations: Array(3...15), supportsSound: true)
    }

    static let kling = ProviderProfile(
        provider: .kling,
        models: [
            Official.v1, Official.v1_5, Official.v1_6, Official.v2Master, Official.v2_1, Official.v2_1Master,
            Official.v2_5Turbo, Official.v2_6, Official.v3,
        ],
        defaultModel: "kling-v1", defaultMode: .std, createUndocumented: [:])

    /// Pixazo has no model, mode or duration field; its price table bills 5 s clips (seeds 000, 001).
    static let pixazo = ProviderProfile(
        provider: .pixazo,
        models: [
            ModelSpec(name: nil, kinds: [.text2video, .image2video], modes: [], durations: [5], supportsSound: false)
        ],
        defaultModel: nil, defaultMode: nil,
        createUndocumented: [
            .image2video: "Pixazo documents the image2video price and status endpoint but not how to create one"
        ])

    /// AceData has no `sound` field; `kling-video-o1` is accepted but has no published price (seed 003).
    static let acedata = ProviderProfile(
        provider: .acedata,
        models: [
            Official.v1, Official.v1_6, Official.v2Master, Official.v2_1Master,
            Official.v2_5Turbo,
            ModelSpec(
                name: "kling-video-o1", kinds: all, modes: [.std, .pro], durations: clipDurations,
                supportsSound: false),
        ],
        defaultModel: "kling-v1", defaultMode: .std, createUndocumented: [:])

    /// KKIAI documents text2video only (seed 004).
    static let kkiai = ProviderProfile(
        provider: .kkiai,
        models: [Official.v1, Official.v1_6, Official.v2Master, Official.v2_1Master, Official.v2_5Turbo, Official.v3]
            .map { $0.restricted(to: [.text2video]) },
        defaultModel: "kling-v1", defaultMode: .std, createUndocumented: [:])
}
