import Foundation
import KlingAPI
import KlingCore
import KlingSandbox
import Testing

@Suite("Secrets")
struct SecretTests {
    @Test("Nothing the client logged, threw or described during a run holds a secret or a signed token")
    func noSecretsAnywhere() async throws {
        let credentials = SandboxCredentials.random()
        let wrongKey = "wrong-\(UUID().uuidString)"
        let logs = LogCapture()
        var texts: [String] = []
        func keep(_ value: Any) {
            texts.append(String(describing: value))
            texts.append(String(reflecting: value))
            var dumped = ""
            dump(value, to: &dumped)
            texts.append(dumped)
            if let error = value as? any Error { texts.append(error.localizedDescription) }
        }

        try await withSandbox(delay: .milliseconds(300), credentials: credentials) { sandbox in
            // A run across every provider, with a retry and a token refused for clock skew.
            sandbox.inject(.refuse(code: 1303), provider: .kling)
            let jobs = [
                VideoJob(provider: .kling, prompt: "a fox", externalTaskID: "s-1"), VideoJob(provider: .pixazo, prompt: "a fox"),
                VideoJob(provider: .acedata, prompt: "a fox"), VideoJob(provider: .kkiai, model: "kling-v1", mode: .std, prompt: "a fox"),
            ]
            for job in jobs {
                let client = try client(job.provider, of: sandbox, logs: logs, now: { Date().addingTimeInterval(-4000) })
                keep(client)
                keep(client.account)
                let created = try await client.create(job)
                keep(created)
                keep(try await client.waitUntilFinished(taskID: created.providerTaskID, kind: job.kind))
            }
            // Failures: a wrong key everywhere, a refused create, an invalid job.
            for provider in Provider.allCases {
                var environment = sandbox.environment
                for name in ["KLING_ACCESS_KEY", "KLING_SECRET_KEY"] { environment[name] = nil }
                for name in ["KLING_API_KEY", "PIXAZO_SUBSCRIPTION_KEY", "ACEDATA_API_TOKEN", "KKIAI_API_KEY"] { environment[name] = wrongKey }
                let client = KlingClient(account: try ProviderAccount.fromEnvironment(provider, environment: environment), logger: logs.logger)
                do { _ = try await client.create(VideoJob(provider: provider, prompt: "x")) } catch { keep(error) }
            }
            sandbox.inject(.refuse(code: 1201), provider: .kling)
            do { _ = try await client(.kling, of: sandbox, logs: logs).create(VideoJob(provider: .kling, prompt: "x")) } catch { keep(error) }
            do { _ = try await client(.kling, of: sandbox, logs: logs).create(VideoJob(provider: .kling, model: "nope")) } catch { keep(error) }
            keep(sandbox.requests)
        }

        let everything = texts.joined(separator: "\n") + "\n" + logs.text
        #expect(logs.text.contains("→ 200"), "the run was logged")
        #expect(logs.text.contains("→ 401"), "the refusals were logged")
        for secret in credentials.all + [wrongKey] {
            #expect(!everything.contains(secret), "a secret leaked")
        }
        // A signed token starts with the base64 of `{"`: none may appear either.
        #expect(!everything.contains("eyJ"), "a signed token leaked")
    }
}
