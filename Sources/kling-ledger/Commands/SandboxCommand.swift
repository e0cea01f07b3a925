import ArgumentParser
import Foundation
import KlingSandbox

/// `kling-ledger sandbox`: the providers' test double, standalone.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a local server that speaks all four providers' APIs, until interrupted.",
        discussion: """
            The sandbox listens on 127.0.0.1 and answers the official Kling API, Pixazo, AceData \
            and KKIAI endpoints with their documented shapes. Tasks finish after --delay seconds \
            and deduct the official unit table. It prints the environment variables that point \
            every provider at it, with the sandbox's own fake credentials. No money is involved.

            Example:
              kling-ledger sandbox --port 8787 --delay 3
            """)

    @Option(help: "The port to listen on (0: any free port).")
    var port: Int = 0

    @Option(help: ArgumentHelp("Seconds a task takes from create to finish.", valueName: "seconds"))
    var delay: Double = 5

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
        guard delay >= 0, delay <= 3600 else { throw ValidationError("--delay must be between 0 and 3600 seconds, not \(delay)") }
    }

    func run() async throws {
        try await reportingFailures {
            let sandbox = try await Sandbox.start(port: port, delay: .milliseconds(Int((delay * 1000).rounded())))
            var text = "KlingLedger sandbox listening on \(sandbox.baseURL); tasks finish after \(delay.formatted()) s.\n"
            text += "Point the providers at it (fake credentials):\n\n"
            for (name, value) in sandbox.environment.sorted(by: { $0.key < $1.key }) {
                text += "export \(name)=\(value)\n"
            }
            text += "\nPress Ctrl-C to stop.\n"
            // Written at once, unbuffered, so a script reading the pipe sees it immediately.
            FileHandle.standardOutput.write(Data(text.utf8))
            while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
