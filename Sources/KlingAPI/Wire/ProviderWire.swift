import Foundation
import KlingCore

/// One provider's wire format: how a job becomes a request, and how answers become snapshots
/// or failures. Pure: no network, no credentials.
public protocol ProviderWire: Sendable {
    var provider: Provider { get }

    /// The create request for a validated job.
    /// - Parameter resolved: the job's billable part with the provider's defaults filled in.
    func createRequest(for job: VideoJob, resolved: BillableJob) throws -> WireRequest

    /// The request that reads one task.
    func queryRequest(taskID: String, kind: VideoKind) throws -> WireRequest

    /// Reads the answer to a create request.
    /// - Throws: `ProviderFailure` saying whether the task may exist.
    func decodeCreate(_ response: WireResponse) throws(ProviderFailure) -> TaskSnapshot

    /// Reads the answer to a query.
    func decodeQuery(_ response: WireResponse, kind: VideoKind) throws(ProviderFailure) -> TaskSnapshot
}

extension Provider {
    /// This provider's wire format.
    public var wire: any ProviderWire {
        switch self {
        case .kling: OfficialWire()
        case .pixazo: PixazoWire()
        case .acedata: AceDataWire()
        case .kkiai: KKIAIWire()
        }
    }
}
