import Foundation
import KlingCore
@testable import Ledger
import Reports
import LedgerTestSupport
import Testing

/// The `focus` report against FOCUS 1.0: its mandatory columns and value formats checked here,
/// and the whole file by the FinOps Foundation's focus-validator when `.ci/run` installed it.
@Suite("FOCUS export")
struct FocusTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".ci/focus-validator.sh")
    static let validatorInstalled = FileManager.default.isExecutableFile(
        atPath: script.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build-focus-validator/venv/bin/focus-validator").path)

    static let requiredValues = [
        "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
        "ChargePeriodStart", "ChargePeriodEnd", "BillingAccountId", "ChargeCategory", "InvoiceIssuer", "Provider", "Publisher",
        "ServiceName", "ServiceCategory",
    ]
    static let requiredColumns = requiredValues + [
        "BillingAccountName", "ChargeClass", "ChargeDescription", "CommitmentDiscountCategory", "CommitmentDiscountId",
        "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType", "ConsumedQuantity", "ConsumedUnit",
        "ContractedUnitPrice", "ListUnitPrice", "PricingCategory", "PricingQuantity", "PricingUnit", "RegionId", "RegionName",
        "ResourceId", "ResourceName", "ResourceType", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
    ]

    @Test("every mandatory FOCUS 1.0 column is there, filled and formatted as the specification says; costs add up", arguments: LedgerBackend.all)
    func mandatoryColumns(_ backend: LedgerBackend) async throws {
        try await withLedger(backend) { ledger, folder in
            let generated = try ledger.generateMonth(count: 600)
            let focus = try runReport("focus", on: ledger, in: folder)
            for name in Self.requiredColumns { #expect(focus.header.contains(name), "missing \(name)") }
            for name in Self.requiredValues {
                #expect(try column(name, of: focus).allSatisfy { !$0.isEmpty }, "\(name) has empty values")
            }
            for name in ["BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity", "PricingQuantity", "ListUnitPrice"] {
                #expect(try column(name, of: focus).allSatisfy { $0.isEmpty || ($0.contains(".") && USD($0) != nil) }, "\(name) is not decimal")
            }
            for name in ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"] {
                #expect(try column(name, of: focus).allSatisfy { $0.hasSuffix("Z") && (try? Date.ISO8601FormatStyle().parse($0)) != nil }, "\(name) is not UTC ISO 8601")
            }
            #expect(try column("BillingCurrency", of: focus).allSatisfy { $0 == "USD" })
            #expect(try column("ChargeCategory", of: focus).allSatisfy { $0 == "Usage" })
            #expect(try column("ServiceCategory", of: focus).allSatisfy { $0 == "AI and Machine Learning" })
            #expect(try column("Tags", of: focus).allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: Any] })
            #expect(try column("BillingPeriodStart", of: focus).allSatisfy { $0 == "2026-11-01T00:00:00Z" })
            // A charge period lies within the billing period.
            let starts = try column("ChargePeriodStart", of: focus)
            let ends = try column("ChargePeriodEnd", of: focus)
            #expect(zip(starts, ends).allSatisfy { $0 >= "2026-11-01T00:00:00Z" && $0 < $1 && $1 <= "2026-12-01T00:00:00Z" })
            // Every charged dollar of the month, and nothing held, is billed.
            #expect(try sumUSD(try column("BilledCost", of: focus)) == generated.chargedInMonth)
        }
    }

    @Test(
        "the FinOps Foundation's focus-validator accepts the export",
        .enabled(if: validatorInstalled, "focus-validator is not installed here (`.ci/focus-validator.sh install` installs it); the mandatory-columns test checks the columns instead"), arguments: LedgerBackend.all)
    func validator(_ backend: LedgerBackend) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("focus-validator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("focus.csv"), broken = folder.appendingPathComponent("broken.csv")
        try await withLedger(backend) { ledger, scratch in
            _ = try ledger.generateMonth(count: 300)
            let focus = try runReport("focus", on: ledger, in: scratch)
            try focus.bytes.write(to: file)
            // And it is a real check: the same file without BillingCurrency is refused.
            let index = try #require(focus.header.firstIndex(of: "BillingCurrency"))
            try CSVWriterForTests.write(header: focus.header, rows: focus.rows, dropping: index, to: broken)
        }
        let (status, output) = try await Self.validate(file)
        #expect(status == 0, "focus-validator said:\n\(output)")
        #expect(output.contains("Validation succeeded."))
        let (brokenStatus, brokenOutput) = try await Self.validate(broken)
        #expect(brokenStatus == 1)
        #expect(brokenOutput.contains("BillingCurrency"))
    }

    /// Runs the validator on a thread of its own: it takes seconds, and a test blocking Swift
    /// concurrency's few pool threads that long starves every other test's servers.
    private static func validate(_ file: URL) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try validateBlocking(file) }) }.start()
        }
    }

    private static func validateBlocking(_ file: URL) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, "check", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}

/// Rewrites parsed rows as CSV without one column, through the real writer.
enum CSVWriterForTests {
    static func write(header: [String], rows: [[String]], dropping index: Int, to file: URL) throws {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        let writer = CSVWriter(output: handle)
        for record in [header] + rows {
            for (position, field) in record.enumerated() where position != index { try writer.field(field) }
            try writer.endRecord()
        }
        try writer.flush()
        try handle.close()
    }
}
