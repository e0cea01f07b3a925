import CSQLite
import Foundation
import KlingCore
import Testing

@testable import Ledger

@Suite("Upgrading a ledger")
struct UpgradeTests {
    @Test("A schema-4 ledger with alerts and deliveries upgrades: rows kept, alerts still append-only, overruns allowed, foreign keys whole")
    func fromVersionFour() throws {
        try withLedgerPath { path in
            do {
                let connection = try DatabaseConnection(path: path)
                try connection.configureForLedger()
                try Migrator.migrate(connection, upTo: 4)
                try connection.execute(
                    """
                    INSERT INTO budgets (id, scope, scope_value, period, limit_micros, thresholds, enforcement, created_at, updated_at)
                    VALUES (1, 'all', NULL, 'month', 1000000, '[50]', 'hard', '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z');
                    INSERT INTO submissions (id, idempotency_key, provider, kind, duration_seconds, sound, quote_micros, price_table,
                        price_version, price_rule, state, created_at, updated_at)
                    VALUES ('s1', 's1', 'pixazo', 'text2video', 5, 0, 600000, 't', 'v', 'r', 'pending', '2026-11-02T00:00:00.000Z', '2026-11-02T00:00:00.000Z');
                    INSERT INTO budget_submissions (budget_id, period_start, submission_id) VALUES (1, '2026-11-01T00:00:00.000Z', 's1');
                    INSERT INTO budget_usage (budget_id, period_start) VALUES (1, '2026-11-01T00:00:00.000Z');
                    INSERT INTO entries (submission_id, kind, amount_micros, created_at) VALUES ('s1', 'hold', 600000, '2026-11-02T00:00:00.000Z');
                    INSERT INTO alert_targets (id, url, format, created_at) VALUES (1, 'http://127.0.0.1:9/x', 'slack', '2026-11-01T00:00:00.000Z');
                    INSERT INTO alerts (id, budget_id, period_start, kind, percent, limit_micros, charged_micros, held_micros, entry_id, created_at)
                    VALUES (7, 1, '2026-11-01T00:00:00.000Z', 'threshold', 50, 1000000, 0, 600000, 1, '2026-11-02T00:00:00.000Z');
                    INSERT INTO alert_deliveries (alert_id, target_id, next_attempt_at) VALUES (7, 1, '2026-11-02T00:00:00.000Z');
                    """)
                #expect(try Migrator.currentVersion(connection) == 4)
            }
            let ledger = try Ledger(path: path)
            #expect(try ledger.read { db throws(LedgerError) in try Migrator.currentVersion(db as! DatabaseConnection) } == Ledger.schemaVersion)
            #expect(try ledger.alerts().map(\.id) == [7])
            #expect(try ledger.deliveries(ofAlerts: [7]).count == 1)
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run("UPDATE alerts SET percent = 60") } }
            #expect(throws: LedgerError.self) { try ledger.write { db throws(LedgerError) in try db.run("DELETE FROM alerts") } }
            #expect(try ledger.read { db throws(LedgerError) in try db.queryOne("PRAGMA foreign_key_check", [], { $0.text(0) }) } == nil)
            #expect(try ledger.read { db throws(LedgerError) in try db.queryOne("PRAGMA foreign_keys", [], { $0.int64(0) }) } == 1, "foreign keys back on")
            // The same threshold again is still refused by the unique key.
            #expect(
                try ledger.read { db throws(LedgerError) in try db.queryOne(
                    """
                    INSERT INTO alerts (budget_id, period_start, kind, percent, limit_micros, charged_micros, held_micros, entry_id, created_at)
                    VALUES (1, '2026-11-01T00:00:00.000Z', 'threshold', 50, 1, 0, 0, 1, '2026-11-03T00:00:00.000Z')
                    ON CONFLICT DO NOTHING RETURNING id
                    """, [], { $0.int64(0) }) } == nil)
            let settled = try ledger.settle("s1", .succeeded(cost: USD(micros: 900_000), finalUnitDeduction: nil, videos: [], note: "x"))
            #expect(settled.state == .succeeded)
            #expect(try ledger.alerts().contains { $0.kind == .overrun && $0.percent == 150 })
        }
    }
}
