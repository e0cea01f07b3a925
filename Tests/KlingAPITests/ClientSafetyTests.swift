import Foundation
@testable import KlingAPI
import KlingCore
import KlingSandbox
import Testing

@Suite("Nothing sent for an invalid job")
struct NothingSentTests {
    @Test("Every invalid job of the validation table is refused by the client, naming its field; the sandbox saw zero requests")
    func invalidJobsSendNothing() async throws {
        #expect(ValidationTests.invalidJobs.count >= 40)
        try await withSandbox { sandbox in
            for invalid in ValidationTests.invalidJobs {
                let client = try client(invalid.job.provider, of: sandbox)
                do {
                    _ = try await client.create(invalid.job)
                    Issue.record("\(invalid.name): accepted")
                } catch let error as JobValidationError {
                    #expect(error.problems.contains { $0.field == invalid.field }, "\(invalid.name): \(error.localizedDescription)")
                    #expect(error.localizedDescription.contains(invalid.field))
                } catch {
                    Issue.record("\(invalid.name): \(error)")
                }
            }
            #expect(sandbox.requests.isEmpty, "requests made: \(sandbox.requests.map(\.path))")
        }
    }
}

@Suite("Official tokens")
struct TokenTests {
    @Test("An expired and a not-yet-valid token are refused (1004, 1003); the client re-signs on the server's time and succeeds",
          arguments: [(-7200.0, "1004"), (7200.0, "1003")])
    func recoversFromClockSkew(skew: Double, code: String) async throws {
        try await withSandbox { sandbox in
            let logs = LogCapture()
            let client = try client(.kling, of: sandbox, logs: logs, now: { Date().addingTimeInterval(skew) })
            let created = try await client.create(VideoJob(provider: .kling, prompt: "a fox"))
            #expect(sandbox.tasks.map(\.taskID) == [created.providerTaskID])
            #expect(sandbox.requests.count == 2, "refused once, then accepted")
            #expect(logs.text.contains("token refused; signing a new one"))
            #expect(logs.text.contains("\"code\": \(code)"))
            // Later requests use the learned offset: no second refusal.
            _ = try await client.task(id: created.providerTaskID, kind: .text2video)
            #expect(sandbox.requests.count == 3)
        }
    }

    @Test("A token is HS256 with iss, nbf = now − 5 and exp = now + 1800, and is re-signed five minutes before it expires")
    func signing() throws {
        let signer = AccessTokenSigner(accessKey: "ak", secretKey: "sk")
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let token = signer.sign(now: start).token
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        func json(_ part: String) throws -> [String: Any] {
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            let data = try #require(Data(base64Encoded: base64))
            return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        #expect(try json(parts[0])["alg"] as? String == "HS256")
        let claims = try json(parts[1])
        #expect(claims["iss"] as? String == "ak")
        #expect(claims["nbf"] as? Int == 1_800_000_000 - 5)
        #expect(claims["exp"] as? Int == 1_800_000_000 + 1800)

        let cache = AccessTokenCache(signer: signer)
        let first = cache.token(now: start)
        #expect(cache.token(now: start.addingTimeInterval(1000)) == first, "still far from expiry")
        #expect(cache.token(now: start.addingTimeInterval(1550)) != first, "under five minutes left: signed again")
    }
}

@Suite("Accounts from the environment")
struct AccountTests {
    @Test("A missing credential names the variable to set", arguments: [
        (Provider.kling, [:], "KLING_ACCESS_KEY and KLING_SECRET_KEY"),
        (.kling, ["KLING_ACCESS_KEY": "a"], "KLING_SECRET_KEY"),
        (.kling, ["KLING_SECRET_KEY": "s"], "KLING_ACCESS_KEY"),
        (.pixazo, ["PIXAZO_SUBSCRIPTION_KEY": "  "], "PIXAZO_SUBSCRIPTION_KEY"),
        (.acedata, [:], "ACEDATA_API_TOKEN"),
        (.kkiai, [:], "KKIAI_API_KEY"),
    ] as [(Provider, [String: String], String)])
    func missingCredential(provider: Provider, environment: [String: String], variable: String) {
        #expect {
            _ = try ProviderAccount.fromEnvironment(provider, environment: environment)
        } throws: { error in
            (error as? AccountError)?.localizedDescription.contains("set \(variable)") == true
        }
    }

    @Test("Keys, the static API key and base URLs are read; defaults are the documented hosts")
    func reading() throws {
        let jwt = try ProviderAccount.fromEnvironment(.kling, environment: ["KLING_ACCESS_KEY": "a", "KLING_SECRET_KEY": "s", "KLING_API_KEY": "k"])
        #expect(jwt.credential.kindDescription.contains("JWT"))
        #expect(jwt.baseURL == "https://api-singapore.klingai.com")
        let key = try ProviderAccount.fromEnvironment(.kling, environment: ["KLING_API_KEY": "k", "KLING_BASE_URL": "https://api-beijing.klingai.com/"])
        #expect(key.credential.secrets == ["k"])
        #expect(key.baseURL == "https://api-beijing.klingai.com")
        #expect(try ProviderAccount.fromEnvironment(.pixazo, environment: ["PIXAZO_SUBSCRIPTION_KEY": "p"]).baseURL == "https://gateway.pixazo.ai")
    }

    @Test("A base URL that cannot be used is refused, naming the variable; one with a password is not echoed", arguments: [
        ("ftp://host", "KLING_BASE_URL \"ftp://host\""), ("https://", "has no host"), ("https://h/?x=1", "query"),
        ("https://user:hunter2@h", "user or password"),
    ])
    func badBaseURL(url: String, expected: String) {
        #expect {
            _ = try ProviderAccount.fromEnvironment(.kling, environment: ["KLING_API_KEY": "k", "KLING_BASE_URL": url])
        } throws: { error in
            let text = (error as? AccountError)?.localizedDescription ?? ""
            return text.contains(expected) && text.contains("KLING_BASE_URL") && !text.contains("hunter2")
        }
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("Delays double up to the ceiling; a retry never starts under one second")
    func delays() {
        let backoff = Backoff(first: .seconds(1), maximum: .seconds(16))
        #expect((0..<7).map(backoff.delay(attempt:)) == [1, 2, 4, 8, 16, 16, 16].map { Duration.seconds($0) })
        let policy = ClientPolicy(retry: Backoff(first: .milliseconds(10), maximum: .seconds(5)))
        #expect(policy.retry.first == .seconds(1))
        let polling = ClientPolicy.standard.polling
        #expect(polling.delay(attempt: 0) == .seconds(2))
        #expect(polling.delay(attempt: 20) == .seconds(30), "polling grows to tens of seconds")
    }
}
