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

            Faults: each --fault PROVIDER:OPERATION:FAULT[:ARG] makes one request or task \
            misbehave, in the order given; repeat it for more. PROVIDER is kling, pixazo, acedata \
            or kkiai; OPERATION is create or query. FAULT is one of:
              busy             refused as too busy (code 1303, HTTP 429)
              refuse:CODE      refused with an official business code
              error:STATUS     answered HTTP STATUS (400-599), nothing done
              slow:SECONDS     done, then answered SECONDS late
              hang:SECONDS     held SECONDS, then answered 503, nothing done
              drop             done, then the connection closed unanswered
              malformed        done, then answered 200 with a body that is not JSON
              fail[:MESSAGE]   (create) the next task created fails
              callbacks:COUNT  (create) the next task posts its final callback COUNT times
              units:DECIMAL    (create) the next task deducts these units
              forget           (query) the next task queried is not found from then on

            State: with --state FILE, the tasks are loaded from FILE at start and FILE is \
            rewritten after every task created, so a client can still query its tasks after the \
            sandbox restarts. Faults are not kept in it.

            Examples:
              kling-ledger sandbox --port 8787 --delay 3
              kling-ledger sandbox --fault kling:create:busy --fault kling:create:busy
              kling-ledger sandbox --fault kkiai:query:forget
              kling-ledger sandbox --fault 'pixazo:create:fail:content blocked'
              kling-ledger sandbox --state sandbox-state.json
            """)

    @Option(help: "The port to listen on (0: any free port).")
    var port: Int = 0

    @Option(help: ArgumentHelp("Seconds a task takes from create to finish.", valueName: "seconds"))
    var delay: Double = 5

    @Option(
        name: .customLong("fault"),
        help: ArgumentHelp("A fault to inject, as PROVIDER:OPERATION:FAULT[:ARG] (repeatable; faults listed above).", valueName: "fault"))
    var faults: [String] = []

    @Option(help: ArgumentHelp("A file that keeps the sandbox's tasks across restarts.", valueName: "file"))
    var state: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
        guard delay >= 0, delay <= 3600 else { throw ValidationError("--delay must be between 0 and 3600 seconds, not \(delay)") }
        _ = try injections()
    }

    /// The `--fault` values, read; a usage error (exit 64) for the first one that is wrong.
    private func injections() throws -> [SandboxInjection] {
        try faults.map { text throws(ValidationError) -> SandboxInjection in
            do throws(SandboxError) {
                return try SandboxInjection(parsing: text)
            } catch {
                throw ValidationError(error.errorDescription ?? "--fault \(text) is not valid")
            }
        }
    }

    func run() async throws {
        try await reportingFailures {
            let injections = try injections()
            let stateFile = state.map { URL(fileURLWithPath: $0).standardizedFileURL }
            let sandbox = try await Sandbox.start(
                port: port, delay: .milliseconds(Int((delay * 1000).rounded())), stateFile: stateFile)
            for injection in injections { sandbox.inject(injection) }
            var text = "KlingLedger sandbox listening on \(sandbox.baseURL); tasks finish after \(delay.formatted()) s.\n"
            if let stateFile {
                text += "Tasks are kept in \(stateFile.path) (\(sandbox.tasks.count) loaded).\n"
            }
            if !injections.isEmpty {
                text += "Faults waiting, each used once, in this order:\n"
                for injection in injections {
                    text += "  \(injection): \(injection.explanation)\n"
                }
            }
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
