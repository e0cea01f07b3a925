import KlingAPI
import KlingCore
import Ledger

extension Gate {
    /// Prices an extension as the provider bills it: as the model and mode of the video it
    /// extends. Taken from the original submission when it is in the ledger (`--extend ID`, or
    /// the `--video-id` of a video it delivered); otherwise the caller must name both, and a
    /// job that names neither is refused rather than quoted with a default that may be cheaper.
    ///
    /// - Returns: the job to send, and the original submission's id when known.
    func resolveExtension(_ request: SubmissionRequest, ledger: Ledger?) throws -> (VideoJob, parentID: String?) {
        var job = request.job
        if let extending = request.extending {
            guard job.kind == .extend else {
                throw GateError.cannotExtend(submission: extending, reason: "--extend makes an extension: leave --kind out or give --kind extend")
            }
            guard let original = try ledger?.submission(id: extending) else {
                throw LedgerError.notFound("there is no submission \(extending) to extend; `kling-ledger list` shows them")
            }
            guard original.job.provider == job.provider else {
                throw GateError.cannotExtend(
                    submission: extending, reason: "its video is at \(original.job.provider.displayName); give --provider \(original.job.provider.rawValue)")
            }
            guard let videoID = original.videoIDs.first else {
                throw GateError.cannotExtend(
                    submission: extending, reason: "it has no video id (it is \(original.state.rawValue)); extend a submission that succeeded")
            }
            if let given = job.videoID, !original.videoIDs.contains(given) {
                throw GateError.cannotExtend(submission: extending, reason: "video \(given) is not one of its videos (\(original.videoIDs.joined(separator: ", ")))")
            }
            job.videoID = job.videoID ?? videoID
            return (try adopt(original, into: job), original.id)
        }
        guard job.kind == .extend, let videoID = job.videoID else { return (job, nil) }
        if let original = try ledger?.submission(deliveringVideo: videoID, provider: job.provider) {
            return (try adopt(original, into: job), original.id)
        }
        guard job.model != nil, job.mode != nil else { throw GateError.extensionNeedsOriginal(videoID: videoID, provider: job.provider) }
        return (job, nil)
    }

    /// The extension with the original's model and mode; one that names others is refused.
    private func adopt(_ original: SubmissionRecord, into job: VideoJob) throws -> VideoJob {
        var job = job
        let model = original.job.model
        let mode = original.job.mode
        let givenModel = job.model.map { $0 != model } ?? false
        let givenMode = job.mode.map { $0 != mode } ?? false
        if givenModel || givenMode {
            throw GateError.extensionDiffersFromOriginal(
                original: original.id, model: model ?? "the provider's model", mode: mode?.rawValue,
                given: [job.model, job.mode?.rawValue].compactMap { $0 }.joined(separator: " "))
        }
        job.model = model
        job.mode = mode
        return job
    }
}
