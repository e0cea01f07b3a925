import Foundation
import Ledger

/// A ledger of `rows` settled, failed and open submissions in November 2026, written by SQL in
/// one transaction (the ledger's own triggers still check every row).
public func generateLedger(rows: Int, at path: String) throws {
    let ledger = try Ledger(path: path)
    try ledger.write { connection throws(LedgerError) in
        try connection.execute("""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows - 1))
            INSERT INTO submissions (id, idempotency_key, provider, kind, model, mode, duration_seconds, sound, team, project, user_name,
                tags, quote_micros, price_table, price_version, price_rule, state, provider_task_id, prompt, created_at, updated_at)
            SELECT printf('bench-%07d', i), printf('key-%07d', i), 'kling', 'text2video', 'kling-v2-6', 'pro', 5 + 5 * (i % 2), i % 2,
                'team-' || (i % 7), 'project ' || (i % 13), 'user' || (i % 50), json_object('campaign', 'spring, "launch"', 'n', i % 3),
                140000 * (1 + i % 5), 'pricing/kling.json', '2026-01', 'rule ' || (i % 20), 'pending', NULL,
                'a fox running through fresh snow, shot ' || i,
                strftime('%Y-%m-%dT%H:%M:%fZ', '2026-11-01', '+' || (i * 2592 / \(rows)) || ' seconds', '+' || (i * 1000.0 / \(rows)) || ' seconds'),
                '2026-11-30T00:00:00.000Z'
            FROM n
            """)
        try connection.execute("""
            INSERT INTO entries (submission_id, kind, amount_micros, created_at)
            SELECT id, 'hold', quote_micros, created_at FROM submissions;
            INSERT INTO entries (submission_id, kind, amount_micros, created_at)
            SELECT id, 'release', quote_micros, created_at FROM submissions WHERE CAST(substr(id, 7) AS INTEGER) % 10 <> 9;
            INSERT INTO entries (submission_id, kind, amount_micros, created_at)
            SELECT id, 'charge', quote_micros, created_at FROM submissions WHERE CAST(substr(id, 7) AS INTEGER) % 10 < 8;
            UPDATE submissions SET state = 'succeeded', actual_cost_micros = quote_micros, final_unit_deduction = '5',
                provider_task_id = 'task-' || id WHERE CAST(substr(id, 7) AS INTEGER) % 10 < 8;
            UPDATE submissions SET state = 'failed', actual_cost_micros = 0 WHERE CAST(substr(id, 7) AS INTEGER) % 10 = 8;
            """)
    }
    // Fold the log in, so every run starts from the same files.
    try ledger.checkpoint()
}
