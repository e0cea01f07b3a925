import Foundation

/// The ledger's schema on PostgreSQL: the same tables, columns and meaning as the SQLite
/// schema (version 1 here is SQLite's 8; each later one names the SQLite version it matches),
/// and the same invariants, enforced by the database itself (triggers
/// and constraints), so that SQL typed by hand into `psql` cannot break them either.
///
/// Types are chosen so both engines read the same values: integers are `BIGINT` (micro-dollars,
/// flags, ids), timestamps are the ledger's UTC ISO 8601 text (ordered as text), JSON is text.
/// `seq` gives submissions the insertion order SQLite's `rowid` gives.
enum PostgresSchema {
    /// Versions of the PostgreSQL schema, applied in order, each once. Append; never edit.
    static let migrations: [Migration] = [ledgerVersion8, adminKeys, budgetsCountByRule]

    private static func timestampCheck(_ column: String, nullable: Bool = false) -> String {
        "CHECK (\(nullable ? "\(column) IS NULL OR " : "")\(column) ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9][.][0-9]{3}Z$')"
    }

    /// A trigger function that refuses the statement with `message`.
    private static func refusal(_ name: String, _ message: String) -> String {
        """
        CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '\(message.replacingOccurrences(of: "'", with: "''"))';
        END $$;
        """
    }

    static let ledgerVersion8 = Migration(
        version: 1, name: "the ledger schema (SQLite version 8)",
        sql: """
            CREATE TABLE ledger_settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            INSERT INTO ledger_settings (key, value) VALUES ('time_zone', 'UTC');

            -- One row per submission: what was asked, by whom, what it was quoted, where it stands.
            CREATE TABLE submissions (
                id TEXT PRIMARY KEY,
                seq BIGSERIAL NOT NULL UNIQUE,
                idempotency_key TEXT NOT NULL UNIQUE,
                provider TEXT NOT NULL CHECK (provider IN ('kling', 'pixazo', 'acedata', 'kkiai')),
                kind TEXT NOT NULL CHECK (kind IN ('text2video', 'image2video', 'extend')),
                model TEXT,
                mode TEXT CHECK (mode IN ('std', 'pro')),
                duration_seconds BIGINT NOT NULL CHECK (duration_seconds > 0),
                sound BIGINT NOT NULL CHECK (sound IN (0, 1)),
                aspect_ratio TEXT CHECK (aspect_ratio IN ('16:9', '9:16', '1:1')),
                team TEXT,
                project TEXT,
                user_name TEXT,
                tags TEXT NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tags::jsonb) = 'object'),
                quote_micros BIGINT CHECK (quote_micros > 0),
                quote_units TEXT,
                unit_price_micros BIGINT CHECK (unit_price_micros > 0),
                unit_price_source TEXT CHECK (unit_price_source IN ('table', 'environment', 'option')),
                price_table TEXT,
                price_version TEXT,
                price_rule TEXT,
                state TEXT NOT NULL CHECK (state IN (
                    'pending', 'submitted', 'processing', 'succeeded', 'failed', 'rejected', 'send_failed', 'unknown')),
                provider_task_id TEXT,
                external_task_id TEXT,
                final_unit_deduction TEXT,
                actual_cost_micros BIGINT CHECK (actual_cost_micros >= 0),
                video_urls TEXT NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(video_urls::jsonb) = 'array'),
                error_code TEXT,
                error_message TEXT,
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                updated_at TEXT NOT NULL \(timestampCheck("updated_at")),
                prompt TEXT,
                request_fingerprint TEXT,
                parent_id TEXT REFERENCES submissions (id),
                video_ids TEXT NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(video_ids::jsonb) = 'array'),
                sender_host TEXT,
                sender_pid BIGINT,
                sender_started TEXT,
                relayed_callback_url TEXT,
                CHECK (state = 'rejected' OR (quote_micros IS NOT NULL AND price_table IS NOT NULL
                    AND price_version IS NOT NULL AND price_rule IS NOT NULL)),
                CHECK (quote_units IS NULL OR unit_price_micros IS NOT NULL),
                CHECK ((unit_price_micros IS NULL) = (unit_price_source IS NULL)),
                CHECK (state <> 'succeeded' OR actual_cost_micros IS NOT NULL)
            );
            CREATE INDEX submissions_open ON submissions (state) WHERE state IN ('pending', 'submitted', 'processing', 'unknown');
            CREATE INDEX submissions_by_created_at ON submissions (created_at);
            CREATE UNIQUE INDEX submissions_by_provider_task ON submissions (provider, provider_task_id) WHERE provider_task_id IS NOT NULL;
            CREATE INDEX submissions_by_video_ids ON submissions (provider) WHERE video_ids <> '[]';
            CREATE INDEX submissions_by_scope ON submissions (team, project, user_name, created_at);

            -- What was asked and quoted is history; finished is final; a refusal never held money;
            -- a settled cost is never rewritten; nothing is deleted.
            CREATE FUNCTION submissions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'submissions are never deleted: they are the audit trail of money';
                END IF;
                IF (OLD.id, OLD.seq, OLD.idempotency_key, OLD.provider, OLD.kind, OLD.model, OLD.mode, OLD.duration_seconds, OLD.sound,
                    OLD.aspect_ratio, OLD.team, OLD.project, OLD.user_name, OLD.tags, OLD.quote_micros, OLD.quote_units,
                    OLD.unit_price_micros, OLD.unit_price_source, OLD.price_table, OLD.price_version, OLD.price_rule, OLD.created_at,
                    OLD.prompt, OLD.request_fingerprint, OLD.parent_id, OLD.sender_host, OLD.sender_pid, OLD.sender_started,
                    OLD.relayed_callback_url)
                    IS DISTINCT FROM
                   (NEW.id, NEW.seq, NEW.idempotency_key, NEW.provider, NEW.kind, NEW.model, NEW.mode, NEW.duration_seconds, NEW.sound,
                    NEW.aspect_ratio, NEW.team, NEW.project, NEW.user_name, NEW.tags, NEW.quote_micros, NEW.quote_units,
                    NEW.unit_price_micros, NEW.unit_price_source, NEW.price_table, NEW.price_version, NEW.price_rule, NEW.created_at,
                    NEW.prompt, NEW.request_fingerprint, NEW.parent_id, NEW.sender_host, NEW.sender_pid, NEW.sender_started,
                    NEW.relayed_callback_url) THEN
                    RAISE EXCEPTION 'a submission''s request and quote never change once recorded';
                END IF;
                IF NEW.state IS DISTINCT FROM OLD.state THEN
                    IF OLD.state IN ('succeeded', 'failed', 'rejected', 'send_failed') THEN
                        RAISE EXCEPTION 'a finished submission (succeeded, failed, rejected, send_failed) never changes state';
                    END IF;
                    IF NEW.state = 'rejected' THEN
                        RAISE EXCEPTION 'only a new submission can be rejected: one that was recorded to be sent may hold money';
                    END IF;
                END IF;
                IF (OLD.final_unit_deduction IS NOT NULL AND NEW.final_unit_deduction IS DISTINCT FROM OLD.final_unit_deduction)
                    OR (OLD.actual_cost_micros IS NOT NULL AND NEW.actual_cost_micros IS DISTINCT FROM OLD.actual_cost_micros) THEN
                    RAISE EXCEPTION 'a settled cost is never rewritten: record an adjustment instead';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER submissions_guard BEFORE UPDATE OR DELETE ON submissions FOR EACH ROW EXECUTE FUNCTION submissions_guard();
            CREATE FUNCTION submissions_are_never_replaced() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM submissions WHERE id = NEW.id OR idempotency_key = NEW.idempotency_key) THEN
                    RAISE EXCEPTION 'a submission with this id or idempotency key exists and is never replaced';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER submissions_are_never_replaced BEFORE INSERT ON submissions
                FOR EACH ROW EXECUTE FUNCTION submissions_are_never_replaced();
            \(refusal("no_truncate", "the ledger's history is never truncated"))
            CREATE TRIGGER submissions_never_truncated BEFORE TRUNCATE ON submissions EXECUTE FUNCTION no_truncate();

            -- Money movements, append-only. Held = holds - releases; charged = charges + adjustments.
            CREATE TABLE entries (
                id BIGSERIAL PRIMARY KEY,
                submission_id TEXT NOT NULL REFERENCES submissions (id),
                kind TEXT NOT NULL CHECK (kind IN ('hold', 'release', 'charge', 'adjust')),
                amount_micros BIGINT NOT NULL CHECK (kind = 'adjust' OR amount_micros >= 0),
                note TEXT,
                created_at TEXT NOT NULL \(timestampCheck("created_at"))
            );
            CREATE INDEX entries_by_submission ON entries (submission_id);
            CREATE UNIQUE INDEX entries_one_hold ON entries (submission_id) WHERE kind = 'hold';
            CREATE UNIQUE INDEX entries_one_charge ON entries (submission_id) WHERE kind = 'charge';
            \(refusal("entries_are_append_only", "entries are append-only: record a release or an adjustment instead of changing or deleting one"))
            CREATE TRIGGER entries_are_append_only BEFORE UPDATE OR DELETE ON entries FOR EACH ROW EXECUTE FUNCTION entries_are_append_only();
            CREATE TRIGGER entries_never_truncated BEFORE TRUNCATE ON entries EXECUTE FUNCTION no_truncate();

            -- A refusal moves no money, nothing is charged that was not first held, and no release
            -- frees more than is held.
            CREATE FUNCTION entries_respect_holds() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF (SELECT state FROM submissions WHERE id = NEW.submission_id) = 'rejected' THEN
                    RAISE EXCEPTION 'a rejected submission moves no money';
                END IF;
                IF NEW.kind IN ('charge', 'adjust') AND NOT EXISTS (
                    SELECT 1 FROM entries WHERE submission_id = NEW.submission_id AND kind = 'hold') THEN
                    RAISE EXCEPTION 'a charge needs the hold placed before sending';
                END IF;
                IF NEW.kind = 'release' AND NEW.amount_micros > (
                    SELECT coalesce(sum(CASE kind WHEN 'hold' THEN amount_micros WHEN 'release' THEN -amount_micros ELSE 0 END), 0)
                    FROM entries WHERE submission_id = NEW.submission_id) THEN
                    RAISE EXCEPTION 'a release cannot free more than the submission holds';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER entries_respect_holds BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION entries_respect_holds();

            CREATE TABLE budgets (
                id BIGSERIAL PRIMARY KEY,
                scope TEXT NOT NULL CHECK (scope IN ('all', 'team', 'project', 'user', 'provider')),
                scope_value TEXT CHECK ((scope = 'all') = (scope_value IS NULL)),
                period TEXT NOT NULL CHECK (period IN ('month', 'week', 'day', 'total')),
                limit_micros BIGINT NOT NULL CHECK (limit_micros > 0),
                thresholds TEXT NOT NULL CHECK (jsonb_typeof(thresholds::jsonb) = 'array'),
                enforcement TEXT NOT NULL CHECK (enforcement IN ('hard', 'soft')),
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                updated_at TEXT NOT NULL \(timestampCheck("updated_at")),
                removed_at TEXT
            );
            CREATE UNIQUE INDEX budgets_active ON budgets (scope, coalesce(scope_value, ''), period) WHERE removed_at IS NULL;

            CREATE TABLE budget_submissions (
                budget_id BIGINT NOT NULL REFERENCES budgets (id),
                period_start TEXT NOT NULL,
                submission_id TEXT NOT NULL REFERENCES submissions (id),
                PRIMARY KEY (budget_id, submission_id)
            );
            CREATE INDEX budget_submissions_by_submission ON budget_submissions (submission_id);
            \(refusal("budget_submissions_never_change", "which budgets a submission counts against never changes"))
            CREATE TRIGGER budget_submissions_never_change BEFORE UPDATE OR DELETE ON budget_submissions
                FOR EACH ROW EXECUTE FUNCTION budget_submissions_never_change();
            CREATE TRIGGER budget_submissions_never_truncated BEFORE TRUNCATE ON budget_submissions EXECUTE FUNCTION no_truncate();

            -- Running totals per budget and period, moved by every entry in the entry's own
            -- transaction.
            CREATE TABLE budget_usage (
                budget_id BIGINT NOT NULL REFERENCES budgets (id),
                period_start TEXT NOT NULL,
                held_micros BIGINT NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
                charged_micros BIGINT NOT NULL DEFAULT 0,
                peak_micros BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (budget_id, period_start)
            );
            CREATE FUNCTION entries_move_budget_usage() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE budget_usage SET
                    held_micros = held_micros
                        + (CASE NEW.kind WHEN 'hold' THEN NEW.amount_micros WHEN 'release' THEN -NEW.amount_micros ELSE 0 END),
                    charged_micros = charged_micros
                        + (CASE WHEN NEW.kind IN ('charge', 'adjust') THEN NEW.amount_micros ELSE 0 END),
                    peak_micros = greatest(peak_micros, held_micros + charged_micros
                        + (CASE NEW.kind WHEN 'release' THEN -NEW.amount_micros ELSE NEW.amount_micros END))
                WHERE (budget_id, period_start) IN (
                    SELECT budget_id, period_start FROM budget_submissions WHERE submission_id = NEW.submission_id);
                RETURN NULL;
            END $$;
            CREATE TRIGGER entries_move_budget_usage AFTER INSERT ON entries FOR EACH ROW EXECUTE FUNCTION entries_move_budget_usage();

            CREATE TABLE alerts (
                id BIGSERIAL PRIMARY KEY,
                budget_id BIGINT REFERENCES budgets (id),
                pack_id TEXT,
                period_start TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('threshold', 'forecast', 'overrun', 'pack_low', 'pack_expiring')),
                percent BIGINT NOT NULL CHECK (percent > 0),
                limit_micros BIGINT NOT NULL,
                charged_micros BIGINT NOT NULL,
                held_micros BIGINT NOT NULL,
                projected_at TEXT CHECK ((kind IN ('forecast', 'pack_expiring')) = (projected_at IS NOT NULL)),
                entry_id BIGINT REFERENCES entries (id),
                pack TEXT CHECK (pack IS NULL OR jsonb_typeof(pack::jsonb) IS NOT NULL),
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                CHECK ((kind IN ('pack_low', 'pack_expiring')) = (pack_id IS NOT NULL)),
                CHECK ((budget_id IS NULL) = (pack_id IS NOT NULL)),
                CHECK ((budget_id IS NULL) = (entry_id IS NULL)),
                CHECK ((pack_id IS NULL) = (pack IS NULL))
            );
            CREATE UNIQUE INDEX alerts_once_per_period ON alerts (budget_id, period_start, kind, percent) WHERE kind IN ('threshold', 'forecast');
            CREATE UNIQUE INDEX alerts_once_per_charge ON alerts (budget_id, entry_id) WHERE kind = 'overrun';
            CREATE UNIQUE INDEX alerts_once_per_pack ON alerts (pack_id, kind, percent) WHERE pack_id IS NOT NULL;
            \(refusal("alerts_are_history", "an alert is a record of what happened and never changes"))
            CREATE TRIGGER alerts_are_history BEFORE UPDATE OR DELETE ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_are_history();
            CREATE TRIGGER alerts_never_truncated BEFORE TRUNCATE ON alerts EXECUTE FUNCTION no_truncate();

            CREATE TABLE alert_targets (
                id BIGSERIAL PRIMARY KEY,
                url TEXT,
                url_variable TEXT,
                team TEXT,
                format TEXT NOT NULL CHECK (format IN ('slack', 'json')),
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                removed_at TEXT,
                CHECK ((url IS NULL) <> (url_variable IS NULL))
            );

            CREATE TABLE alert_deliveries (
                alert_id BIGINT NOT NULL REFERENCES alerts (id),
                target_id BIGINT NOT NULL REFERENCES alert_targets (id),
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                leased_until TEXT,
                last_error TEXT,
                delivered_at TEXT,
                PRIMARY KEY (alert_id, target_id)
            );
            CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
            CREATE FUNCTION alert_deliveries_stay_delivered() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.delivered_at IS NOT NULL THEN
                    RAISE EXCEPTION 'a delivered alert is never sent again';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER alert_deliveries_stay_delivered BEFORE UPDATE ON alert_deliveries
                FOR EACH ROW EXECUTE FUNCTION alert_deliveries_stay_delivered();

            CREATE VIEW submission_balances AS
            SELECT submission_id, \(Ledger.heldSum("entries")) AS held_micros, \(Ledger.chargedSum("entries")) AS charged_micros
            FROM entries GROUP BY submission_id;

            CREATE TABLE reconciliations (
                id BIGSERIAL PRIMARY KEY,
                provider TEXT NOT NULL CHECK (provider IN ('kling', 'pixazo', 'acedata', 'kkiai')),
                source TEXT NOT NULL CHECK (source IN ('billing', 'csv')),
                period_start TEXT NOT NULL \(timestampCheck("period_start")),
                period_end TEXT NOT NULL \(timestampCheck("period_end")),
                created_at TEXT NOT NULL \(timestampCheck("created_at"))
            );
            CREATE TABLE reconciliation_lines (
                reconciliation_id BIGINT NOT NULL REFERENCES reconciliations (id),
                line BIGINT NOT NULL,
                class TEXT NOT NULL CHECK (class IN ('agrees', 'differs', 'billed_not_in_ledger', 'in_ledger_not_billed', 'billed_still_open')),
                provider_task_id TEXT,
                submission_id TEXT REFERENCES submissions (id),
                ledger_micros BIGINT,
                billed_micros BIGINT,
                billed_units TEXT,
                billed_at TEXT,
                note TEXT NOT NULL,
                PRIMARY KEY (reconciliation_id, line)
            );
            \(refusal("reconciliations_are_history", "a reconciliation is a record of what was found and never changes"))
            CREATE TRIGGER reconciliations_are_history BEFORE UPDATE OR DELETE ON reconciliations
                FOR EACH ROW EXECUTE FUNCTION reconciliations_are_history();
            CREATE TRIGGER reconciliation_lines_are_history BEFORE UPDATE OR DELETE ON reconciliation_lines
                FOR EACH ROW EXECUTE FUNCTION reconciliations_are_history();
            CREATE TRIGGER reconciliations_never_truncated BEFORE TRUNCATE ON reconciliations EXECUTE FUNCTION no_truncate();
            CREATE TRIGGER reconciliation_lines_never_truncated BEFORE TRUNCATE ON reconciliation_lines EXECUTE FUNCTION no_truncate();

            CREATE TABLE gateway_keys (
                id TEXT PRIMARY KEY,
                access_key TEXT NOT NULL UNIQUE,
                api_key_sha256 TEXT NOT NULL UNIQUE CHECK (length(api_key_sha256) = 64),
                team TEXT NOT NULL CHECK (team <> ''),
                project TEXT,
                user_name TEXT,
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                expires_at TEXT \(timestampCheck("expires_at", nullable: true)),
                revoked_at TEXT \(timestampCheck("revoked_at", nullable: true))
            );
            CREATE FUNCTION gateway_keys_change_only_by_revoking() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'a gateway key is revoked, never deleted: its submissions name it';
                END IF;
                IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
                    OR (OLD.id, OLD.access_key, OLD.api_key_sha256, OLD.team, OLD.project, OLD.user_name, OLD.created_at, OLD.expires_at)
                       IS DISTINCT FROM
                       (NEW.id, NEW.access_key, NEW.api_key_sha256, NEW.team, NEW.project, NEW.user_name, NEW.created_at, NEW.expires_at) THEN
                    RAISE EXCEPTION 'a gateway key can only be revoked, once';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER gateway_keys_change_only_by_revoking BEFORE UPDATE OR DELETE ON gateway_keys
                FOR EACH ROW EXECUTE FUNCTION gateway_keys_change_only_by_revoking();
            CREATE TRIGGER gateway_keys_never_truncated BEFORE TRUNCATE ON gateway_keys EXECUTE FUNCTION no_truncate();

            CREATE TABLE callback_deliveries (
                submission_id TEXT NOT NULL REFERENCES submissions (id),
                status TEXT NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
                queued_at TEXT NOT NULL \(timestampCheck("queued_at")),
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at TEXT,
                leased_until TEXT,
                last_error TEXT,
                delivered_at TEXT,
                PRIMARY KEY (submission_id, status)
            );
            CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at)
                WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL;
            CREATE FUNCTION callback_deliveries_stay_delivered() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.delivered_at IS NOT NULL THEN
                    RAISE EXCEPTION 'a delivered callback is never sent again';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER callback_deliveries_stay_delivered BEFORE UPDATE ON callback_deliveries
                FOR EACH ROW EXECUTE FUNCTION callback_deliveries_stay_delivered();
            CREATE FUNCTION submissions_queue_relayed_callbacks() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.relayed_callback_url IS NOT NULL AND NEW.state IS DISTINCT FROM OLD.state
                    AND NEW.state IN ('processing', 'succeeded', 'failed') THEN
                    INSERT INTO callback_deliveries (submission_id, status, queued_at, next_attempt_at)
                    VALUES (NEW.id, NEW.state, NEW.updated_at, NEW.updated_at) ON CONFLICT DO NOTHING;
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER submissions_queue_relayed_callbacks AFTER UPDATE OF state ON submissions
                FOR EACH ROW EXECUTE FUNCTION submissions_queue_relayed_callbacks();

            -- The money functions report definitions use: exact decimal text, never floating point.
            CREATE FUNCTION usd(micros BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT AS $$
                SELECT CASE WHEN micros < 0 THEN '-' ELSE '' END || (abs(micros) / 1000000)::text || '.'
                    || CASE WHEN length(fraction) < 2 THEN rpad(fraction, 2, '0') ELSE fraction END
                FROM (SELECT rtrim(lpad((abs(micros) % 1000000)::text, 6, '0'), '0') AS fraction) AS parts
            $$;
            CREATE FUNCTION usd(micros NUMERIC) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT usd(micros::bigint) $$;
            CREATE FUNCTION unit_millionths(units TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE STRICT AS $$
                SELECT CASE WHEN units ~ '^[0-9]+([.][0-9]{1,6})?$'
                    THEN split_part(units, '.', 1)::bigint * 1000000 + rpad(split_part(units, '.', 2), 6, '0')::bigint
                    ELSE NULL END
            $$;
            CREATE FUNCTION units(millionths BIGINT) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT AS $$
                SELECT (millionths / 1000000)::text
                    || CASE WHEN millionths % 1000000 = 0 THEN ''
                        ELSE '.' || rtrim(lpad((millionths % 1000000)::text, 6, '0'), '0') END
            $$;
            CREATE FUNCTION units(millionths NUMERIC) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT units(millionths::bigint) $$;

            -- The few SQLite functions report definitions use, so one definition runs on both.
            -- strftime: the %Y %m %d %H %M %S of a UTC timestamp, with an optional modifier ('+1 hour').
            CREATE FUNCTION strftime(format TEXT, instant TEXT, modifier TEXT DEFAULT NULL) RETURNS TEXT LANGUAGE sql STABLE AS $$
                SELECT replace(replace(replace(replace(replace(replace(format,
                    '%Y', to_char(t, 'YYYY')), '%m', to_char(t, 'MM')), '%d', to_char(t, 'DD')),
                    '%H', to_char(t, 'HH24')), '%M', to_char(t, 'MI')), '%S', to_char(t, 'SS'))
                FROM (SELECT (instant::timestamptz AT TIME ZONE 'UTC') + coalesce(modifier::interval, interval '0') AS t) AS moment
            $$;
            CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE STRICT AS $$
                SELECT strpos(haystack, needle)::bigint
            $$;
            CREATE FUNCTION json_each(document TEXT) RETURNS TABLE (key TEXT, value TEXT) LANGUAGE sql IMMUTABLE STRICT AS $$
                SELECT key, value FROM jsonb_each_text(document::jsonb)
            $$;
            -- FOCUS's Tags: the tags with the project and user added (a NULL one removed), as SQLite's
            -- json_patch(tags, json_object('project', …, 'user', …)) gives them.
            CREATE FUNCTION ledger_tags(tags TEXT, project TEXT, user_name TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
                SELECT ((tags::jsonb - CASE WHEN project IS NULL THEN ARRAY['project'] ELSE ARRAY[]::text[] END
                                     - CASE WHEN user_name IS NULL THEN ARRAY['user'] ELSE ARRAY[]::text[] END)
                    || jsonb_strip_nulls(jsonb_build_object('project', project, 'user', user_name)))::text
            $$;
            """)

    /// SQLite's version 9: admin keys.
    static let adminKeys = Migration(
        version: 2, name: "admin keys (SQLite version 9)",
        sql: """
            ALTER TABLE gateway_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'caller' CHECK (role IN ('caller', 'admin'));
            CREATE OR REPLACE FUNCTION gateway_keys_change_only_by_revoking() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'a gateway key is revoked, never deleted: its submissions name it';
                END IF;
                IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
                    OR (OLD.id, OLD.access_key, OLD.api_key_sha256, OLD.team, OLD.project, OLD.user_name, OLD.created_at, OLD.expires_at, OLD.role)
                       IS DISTINCT FROM
                       (NEW.id, NEW.access_key, NEW.api_key_sha256, NEW.team, NEW.project, NEW.user_name, NEW.created_at, NEW.expires_at, NEW.role) THEN
                    RAISE EXCEPTION 'a gateway key can only be revoked, once';
                END IF;
                RETURN NEW;
            END $$;
            """)

    /// SQLite's version 10: budgets count their scope by rule (the same `budget_submissions`
    /// view), and each submission carries its balance, moved only by its entries.
    static let budgetsCountByRule = Migration(
        version: 3, name: "budgets count their scope by rule; each submission carries its balance (SQLite version 10)",
        sql: """
            DROP TABLE budget_submissions;
            DROP FUNCTION budget_submissions_never_change();
            \(Migrations.budgetSubmissionsView)

            ALTER TABLE submissions ADD COLUMN balance_held_micros BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE submissions ADD COLUMN balance_charged_micros BIGINT NOT NULL DEFAULT 0;
            -- Only the entries' trigger moves a balance: a statement typed by hand runs its
            -- triggers at depth 1, the entries' trigger runs this one at depth 2. (SQLite, which
            -- has no such depth, compares with the sum of the entries instead; here row triggers
            -- of a multi-row insert run after the whole statement, so that sum would be ahead.)
            CREATE FUNCTION submissions_balance_moves_only_by_entries() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF pg_trigger_depth() < 2 AND (NEW.balance_held_micros, NEW.balance_charged_micros)
                    IS DISTINCT FROM (OLD.balance_held_micros, OLD.balance_charged_micros) THEN
                    RAISE EXCEPTION 'a submission''s balance is the sum of its entries, moved only by them';
                END IF;
                RETURN NEW;
            END $$;
            UPDATE submissions SET
                balance_held_micros = (SELECT \(Ledger.heldSum("entries")) FROM entries WHERE entries.submission_id = submissions.id),
                balance_charged_micros = (SELECT \(Ledger.chargedSum("entries")) FROM entries WHERE entries.submission_id = submissions.id);
            CREATE TRIGGER submissions_balance_moves_only_by_entries BEFORE UPDATE OF balance_held_micros, balance_charged_micros ON submissions
                FOR EACH ROW EXECUTE FUNCTION submissions_balance_moves_only_by_entries();
            CREATE FUNCTION entries_move_submission_balance() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE submissions SET
                    balance_held_micros = balance_held_micros
                        + (CASE NEW.kind WHEN 'hold' THEN NEW.amount_micros WHEN 'release' THEN -NEW.amount_micros ELSE 0 END),
                    balance_charged_micros = balance_charged_micros
                        + (CASE WHEN NEW.kind IN ('charge', 'adjust') THEN NEW.amount_micros ELSE 0 END)
                WHERE id = NEW.submission_id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER entries_move_submission_balance AFTER INSERT ON entries FOR EACH ROW EXECUTE FUNCTION entries_move_submission_balance();
            """)
}
