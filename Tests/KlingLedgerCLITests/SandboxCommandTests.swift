import Foundation
import Testing

@Suite("kling-ledger sandbox")
struct SandboxCommandTests {
    @Test("Prints the variables that point every provider at it, on the port it chose, and keeps running")
    func printsEnvironment() throws {
        try withRunningCLI(["sandbox", "--delay", "1"], until: "Press Ctrl-C") { output in
            let exports = output.split(separator: "\n").filter { $0.hasPrefix("export ") }
            let names = exports.compactMap { $0.dropFirst("export ".count).split(separator: "=").first.map(String.init) }
            #expect(names.sorted() == [
                "ACEDATA_API_TOKEN", "ACEDATA_BASE_URL", "KKIAI_API_KEY", "KKIAI_BASE_URL", "KLING_ACCESS_KEY", "KLING_BASE_URL",
                "KLING_SECRET_KEY", "PIXAZO_BASE_URL", "PIXAZO_SUBSCRIPTION_KEY",
            ])
            let base = try #require(exports.first { $0.hasPrefix("export KLING_BASE_URL=") }?.split(separator: "=").last)
            #expect(base.hasPrefix("http://127.0.0.1:"))
            #expect(Int(base.split(separator: ":").last ?? "") ?? 0 > 0, "an OS-chosen port")
            #expect(output.contains("tasks finish after 1 s"))
        }
    }

    @Test("An impossible port is a usage error")
    func badPort() throws {
        let result = try runCLI(["sandbox", "--port", "70000"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--port must be between 0 and 65535"))
    }
}
