import Foundation
import KlingAPI
import Synchronization

/// The official API answering at once, in process: a create is accepted, and the first read of
/// a task finds it finished, one unit deducted. What is left to measure is the gate's own work.
final class InstantProvider: HTTPTransport {
    private let serial = Atomic<Int>(0)
    /// Task ids unique across processes sharing a ledger.
    private let prefix = UUID().uuidString.prefix(8)

    func send(_ request: TransportRequest) async throws(TransportError) -> WireResponse {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let body: String
        if request.method == .post {
            let id = "bench-\(prefix)-\(serial.add(1, ordering: .relaxed).newValue)"
            body = #"{"code":0,"message":"SUCCEED","request_id":"r","data":{"task_id":"\#(id)","task_status":"submitted","created_at":\#(now),"updated_at":\#(now)}}"#
        } else {
            let id = request.url.split(separator: "/").last.map(String.init) ?? "?"
            body = #"""
                {"code":0,"message":"SUCCEED","request_id":"r","data":{"task_id":"\#(id)","task_status":"succeed","task_status_msg":"","final_unit_deduction":"1","task_result":{"videos":[{"id":"v-\#(id)","url":"https://cdn.invalid/\#(id).mp4","duration":"5.1"}]},"created_at":\#(now),"updated_at":\#(now)}}
                """#
        }
        return WireResponse(status: 200, body: Data(body.utf8))
    }
}
