import Foundation

extension BillableJob {
    /// The job with the provider's defaults filled in, checked against what the provider
    /// documents (model, kind, mode, duration, sound). Enough to price the job; whether it can
    /// also be sent is `checkSendable()`.
    ///
    /// - Throws: `CatalogError` naming the field, the value, what is accepted and what to do.
    public func resolved() throws(CatalogError) -> BillableJob {
        let profile = ProviderCatalog.profile(provider)
        if model != nil, !profile.choosesModel {
            throw .modelNotSelectable(provider)
        }
        guard let spec = profile.model(named: model) else {
            throw .unknownModel(provider, model ?? "", known: profile.modelNames)
        }
        guard spec.kinds.contains(kind) else {
            throw .kindNotOffered(
                provider, kind,
                reason: "\(spec.displayName) is documented for \(spec.kinds.map(\.rawValue).sorted().joined(separator: ", ")) only")
        }
        var job = self
        job.model = spec.name
        if spec.modes.isEmpty {
            if mode != nil { throw .modeNotSelectable(provider) }
        } else {
            let chosen = mode ?? profile.defaultMode ?? .std
            guard spec.modes.contains(chosen) else { throw .unsupportedMode(provider, spec.displayName, chosen) }
            job.mode = chosen
        }
        guard spec.durations.contains(durationSeconds) else {
            throw .unsupportedDuration(provider, spec.displayName, durationSeconds, accepted: spec.durations)
        }
        if sound, !spec.supportsSound {
            throw .soundNotSupported(provider, spec.displayName)
        }
        return job
    }

    /// Checks the provider documents how to create this kind of task (Pixazo prices image2video
    /// but documents no create endpoint for it).
    /// - Throws: `CatalogError.kindNotOffered` with the reason.
    public func checkSendable() throws(CatalogError) {
        if let reason = ProviderCatalog.profile(provider).createUndocumented[kind] {
            throw .kindNotOffered(provider, kind, reason: reason)
        }
    }
}

/// A job asks a provider for something it does not document.
public enum CatalogError: Error, Sendable, Equatable {
    case unknownModel(Provider, String, known: [String])
    case modelNotSelectable(Provider)
    case modeNotSelectable(Provider)
    case kindNotOffered(Provider, VideoKind, reason: String)
    case unsupportedMode(Provider, String, Mode)
    case unsupportedDuration(Provider, String, Int, accepted: [Int])
    case soundNotSupported(Provider, String)
}

extension CatalogError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .unknownModel(let provider, let model, let known):
            "model \"\(model)\" is not offered by \(provider.rawValue); use one of: \(known.joined(separator: ", "))"
        case .modelNotSelectable(let provider):
            "\(provider.rawValue) has no model parameter (it picks the model itself); leave out the model"
        case .modeNotSelectable(let provider):
            "\(provider.rawValue) has no mode parameter; leave out the mode"
        case .kindNotOffered(let provider, let kind, let reason):
            "\(provider.rawValue) cannot run \(kind.rawValue): \(reason); choose another provider or kind"
        case .unsupportedMode(let provider, let model, let mode):
            "mode \"\(mode.rawValue)\" is not offered for \(model) at \(provider.rawValue)"
        case .unsupportedDuration(let provider, let model, let seconds, let accepted):
            "duration \(seconds) s is not accepted by \(model) at \(provider.rawValue); accepted: \(Self.describe(accepted))"
        case .soundNotSupported(let provider, let model):
            "sound is not supported by \(model) at \(provider.rawValue) (only kling-v2-6 and later); turn sound off"
        }
    }

    private static func describe(_ durations: [Int]) -> String {
        if durations.count > 2, let first = durations.first, let last = durations.last,
            durations == Array(first...last)
        {
            return "\(first)–\(last) s"
        }
        return durations.map { "\($0) s" }.joined(separator: ", ")
    }
}
