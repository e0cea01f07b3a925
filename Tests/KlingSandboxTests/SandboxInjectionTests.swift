import KlingCore
import KlingSandbox
import Testing

/// `PROVIDER:OPERATION:FAULT[:ARG]`, as `kling-ledger sandbox --fault` reads it.
@Suite("Sandbox fault text")
struct SandboxInjectionTests {
    @Test(
        "Each fault name reads as its fault, and its canonical text reads back the same",
        arguments: [
            ("kling:create:busy", Provider.kling, SandboxOperation.create, SandboxFault.refuse(code: 1303)),
            ("kling:query:refuse:5001", .kling, .query, .refuse(code: 5001)),
            ("kkiai:create:error:502", .kkiai, .create, .serverError(status: 502)),
            ("pixazo:query:slow:2.5", .pixazo, .query, .slowAnswer(.milliseconds(2500))),
            ("acedata:create:hang:10", .acedata, .create, .hang(.seconds(10))),
            ("kling:create:drop", .kling, .create, .dropAfterCreate),
            ("kling:query:malformed", .kling, .query, .malformedBody),
            ("kling:create:fail:blocked: by policy", .kling, .create, .failTask(message: "blocked: by policy")),
            ("kling:create:fail", .kling, .create, .failTask(message: "failed by the sandbox")),
            ("kling:create:callbacks:3", .kling, .create, .repeatCallbacks(3)),
            ("kling:create:units:2.5", .kling, .create, .deductUnits(Units("2.5")!)),
            ("kkiai:query:forget", .kkiai, .query, .forgetTask),
        ] as [(String, Provider, SandboxOperation, SandboxFault)])
    func reads(_ text: String, _ provider: Provider, _ operation: SandboxOperation, _ fault: SandboxFault) throws {
        let injection = try SandboxInjection(parsing: text)
        #expect(injection == SandboxInjection(provider: provider, operation: operation, fault: fault))
        #expect(try SandboxInjection(parsing: injection.description) == injection)
        #expect(!injection.explanation.isEmpty)
    }

    @Test("busy explains itself in the startup text's words")
    func explanation() throws {
        let busy = try SandboxInjection(parsing: "kling:create:busy")
        #expect(busy.description == "kling:create:busy")
        #expect(busy.explanation == "the next kling create is refused with code 1303")
    }

    @Test(
        "A wrong text says which part is wrong and shows the syntax with an example",
        arguments: [
            ("nonsense", "1 part separated by colons"),
            ("kling:create", "2 parts"),
            ("openai:create:busy", #"unknown provider "openai""#),
            ("kling:delete:busy", #"unknown operation "delete""#),
            ("kling:create:explode", #"unknown fault "explode""#),
            ("kling:create:slow", "slow needs SECONDS"),
            ("kling:create:slow:soon", "from 0 to 3600"),
            ("kling:create:hang:-1", "from 0 to 3600"),
            ("kling:create:error:200", "from 400 to 599"),
            ("kling:create:busy:3", "busy takes no argument"),
            ("kling:query:fail", "its operation is create"),
            ("kling:create:forget", "its operation is query"),
            ("kling:create:units:2.5.1", "exact decimal"),
        ])
    func refuses(_ text: String, _ problem: String) {
        let error = #expect(throws: SandboxError.self) { try SandboxInjection(parsing: text) }
        let description = error?.errorDescription ?? ""
        #expect(description.contains(problem), "\(description)")
        #expect(description.contains("PROVIDER:OPERATION:FAULT[:ARG]"))
        #expect(description.contains("kling:create:busy"))
        #expect(description.contains(text))
    }
}
