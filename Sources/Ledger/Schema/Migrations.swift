/// The ledger schema, in order. Append new migrations; never change a released one.
enum Migrations {
    static let all: [Migration] = [submissionsAndEntries]

    /// Every timestamp is UTC ISO 8601 with milliseconds, so text order is time order.
    private static func timestampCheck(_ column: String) -> String {
        "CHECK (\(column) GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z')"
    }

    static let submissionsAndEntries = Migration(
        version: 1, name: "submissions and append-only entries",
        sql: """
            -- One row per submission: what was asked, by whom, what it was quoted, where it stands.
            -- Its money is not here but in entries.
            CREATE TABLE submissions (
                id TEXT PRIMARY KEY NOT NULL,
                idempotency_key TEXT NOT NULL UNIQUE,
                provider TEXT NOT NULL CHECK (provider IN ('kling', 'pixazo', 'acedata', 'kkiai')),
                kind TEXT NOT NULL CHECK (kind IN ('text2video', 'image2video', 'extend')),
                model TEXT,
                mode TEXT CHECK (mode IN ('std', 'pro')),
                duration_seconds INTEGER NOT NULL CHECK (duration_seconds > 0),
                sound INTEGER NOT NULL CHECK (sound IN (0, 1)),
                aspect_ratio TEXT CHECK (aspect_ratio IN ('16:9', '9:16', '1:1')),
                team TEXT,
                project TEXT,
                user_name TEXT,
                tags TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tags) AND json_type(tags) = 'object'),
                quote_micros INTEGER CHECK (quote_micros >= 0),
                quote_units TEXT,
                unit_price_micros INTEGER CHECK (unit_price_micros > 0),
                price_table TEXT,
                price_version TEXT,
                price_rule TEXT,
                state TEXT NOT NULL CHECK (state IN (
                    'pending', 'submitted', 'processing', 'succeeded', 'failed',
                    'rejected', 'send_failed', 'unknown')),
                provider_task_id TEXT,
                external_task_id TEXT,
                final_unit_deduction TEXT,
                actual_cost_micros INTEGER CHECK (actual_cost_micros >= 0),
                video_urls TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(video_urls) AND json_type(video_urls) = 'array'),
                error_code TEXT,
                error_message TEXT,
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                updated_at TEXT NOT NULL \(timestampCheck("updated_at")),
                -- Only a refusal may lack a price: anything that can hold money was quoted.
                CHECK (state = 'rejected' OR (quote_micros IS NOT NULL AND price_table IS NOT NULL
                    AND price_version IS NOT NULL AND price_rule IS NOT NULL)),
                -- Units without the unit price they were converted at could not be audited.
                CHECK (quote_units IS NULL OR unit_price_micros IS NOT NULL),
                CHECK (state <> 'succeeded' OR actual_cost_micros IS NOT NULL)
            ) STRICT;

            CREATE INDEX submissions_open ON submissions (state)
                WHERE state IN ('pending', 'submitted', 'processing', 'unknown');
            CREATE INDEX submissions_by_created_at ON submissions (created_at);
            CREATE UNIQUE INDEX submissions_by_provider_task ON submissions (provider, provider_task_id)
                WHERE provider_task_id IS NOT NULL;

            -- What was asked and quoted is history: state moves on, the request never changes.
            CREATE TRIGGER submissions_request_is_immutable
            BEFORE UPDATE OF id, idempotency_key, provider, kind, model, mode, duration_seconds, sound,
                team, project, user_name, quote_micros, quote_units, unit_price_micros,
                price_table, price_version, price_rule, created_at ON submissions
            WHEN OLD.id IS NOT NEW.id OR OLD.idempotency_key IS NOT NEW.idempotency_key
                OR OLD.provider IS NOT NEW.provider OR OLD.kind IS NOT NEW.kind OR OLD.model IS NOT NEW.model
                OR OLD.mode IS NOT NEW.mode OR OLD.duration_seconds IS NOT NEW.duration_seconds
                OR OLD.sound IS NOT NEW.sound OR OLD.team IS NOT NEW.team OR OLD.project IS NOT NEW.project
                OR OLD.user_name IS NOT NEW.user_name OR OLD.quote_micros IS NOT NEW.quote_micros
                OR OLD.quote_units IS NOT NEW.quote_units OR OLD.unit_price_micros IS NOT NEW.unit_price_micros
                OR OLD.price_table IS NOT NEW.price_table OR OLD.price_version IS NOT NEW.price_version
                OR OLD.price_rule IS NOT NEW.price_rule OR OLD.created_at IS NOT NEW.created_at
            BEGIN
                SELECT RAISE(ABORT, 'a submission''s request and quote never change once recorded');
            END;

            CREATE TRIGGER submissions_are_never_deleted BEFORE DELETE ON submissions
            BEGIN
                SELECT RAISE(ABORT, 'submissions are never deleted: they are the audit trail of money');
            END;

            -- Money movements, append-only. Amounts are positive micro-dollars except adjustments,
            -- which are signed. Held = holds - releases; charged = charges + adjustments.
            CREATE TABLE entries (
                id INTEGER PRIMARY KEY,
                submission_id TEXT NOT NULL REFERENCES submissions (id),
                kind TEXT NOT NULL CHECK (kind IN ('hold', 'release', 'charge', 'adjust')),
                amount_micros INTEGER NOT NULL CHECK (kind = 'adjust' OR amount_micros >= 0),
                note TEXT,
                created_at TEXT NOT NULL \(timestampCheck("created_at"))
            ) STRICT;

            CREATE INDEX entries_by_submission ON entries (submission_id);

            CREATE TRIGGER entries_are_never_updated BEFORE UPDATE ON entries
            BEGIN
                SELECT RAISE(ABORT, 'entries are append-only: record a release or an adjustment instead of changing one');
            END;

            CREATE TRIGGER entries_are_never_deleted BEFORE DELETE ON entries
            BEGIN
                SELECT RAISE(ABORT, 'entries are append-only: record a release or an adjustment instead of deleting one');
            END;

            -- A refusal moves no money, and no release may free more than is held.
            CREATE TRIGGER entries_respect_holds BEFORE INSERT ON entries
            BEGIN
                SELECT RAISE(ABORT, 'a rejected submission moves no money')
                WHERE (SELECT state FROM submissions WHERE id = NEW.submission_id) = 'rejected';
                SELECT RAISE(ABORT, 'a release cannot free more than the submission holds')
                WHERE NEW.kind = 'release' AND NEW.amount_micros > (
                    SELECT coalesce(sum(CASE kind WHEN 'hold' THEN amount_micros WHEN 'release' THEN -amount_micros ELSE 0 END), 0)
                    FROM entries WHERE submission_id = NEW.submission_id);
            END;
            """)
}
