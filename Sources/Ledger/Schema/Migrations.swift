/// The ledger schema, in order. Append new migrations; never change a released one.
enum Migrations {
    static let all: [Migration] = [
        submissionsAndEntries, budgets, alerts, balances, sendersAndOverruns, reconciliations, gatewayKeys, callbackRelay, adminKeys,
        budgetsCountByRule,
    ]

    /// Alerts are records of what happened: never changed, never deleted. Created with the
    /// table, and again when migration 5 rebuilds it.
    private static let alertsAreHistory = """
        CREATE TRIGGER alerts_are_never_changed BEFORE UPDATE ON alerts
        BEGIN
            SELECT RAISE(ABORT, 'an alert is a record of what happened and never changes');
        END;
        CREATE TRIGGER alerts_are_never_deleted BEFORE DELETE ON alerts
        BEGIN
            SELECT RAISE(ABORT, 'an alert is a record of what happened and is never deleted');
        END;
        """

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
                quote_micros INTEGER CHECK (quote_micros > 0),
                quote_units TEXT,
                unit_price_micros INTEGER CHECK (unit_price_micros > 0),
                unit_price_source TEXT CHECK (unit_price_source IN ('table', 'environment', 'option')),
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
                -- Units without the unit price they were converted at, and where that price came
                -- from, could not be audited.
                CHECK (quote_units IS NULL OR unit_price_micros IS NOT NULL),
                CHECK ((unit_price_micros IS NULL) = (unit_price_source IS NULL)),
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
                aspect_ratio, team, project, user_name, tags, quote_micros, quote_units, unit_price_micros,
                unit_price_source, price_table, price_version, price_rule, created_at ON submissions
            WHEN OLD.id IS NOT NEW.id OR OLD.idempotency_key IS NOT NEW.idempotency_key
                OR OLD.provider IS NOT NEW.provider OR OLD.kind IS NOT NEW.kind OR OLD.model IS NOT NEW.model
                OR OLD.mode IS NOT NEW.mode OR OLD.duration_seconds IS NOT NEW.duration_seconds
                OR OLD.sound IS NOT NEW.sound OR OLD.aspect_ratio IS NOT NEW.aspect_ratio
                OR OLD.team IS NOT NEW.team OR OLD.project IS NOT NEW.project
                OR OLD.user_name IS NOT NEW.user_name OR OLD.tags IS NOT NEW.tags
                OR OLD.quote_micros IS NOT NEW.quote_micros OR OLD.quote_units IS NOT NEW.quote_units
                OR OLD.unit_price_micros IS NOT NEW.unit_price_micros
                OR OLD.unit_price_source IS NOT NEW.unit_price_source
                OR OLD.price_table IS NOT NEW.price_table OR OLD.price_version IS NOT NEW.price_version
                OR OLD.price_rule IS NOT NEW.price_rule OR OLD.created_at IS NOT NEW.created_at
            BEGIN
                SELECT RAISE(ABORT, 'a submission''s request and quote never change once recorded');
            END;

            -- Finished is final, a refusal never held money, and a settled cost is never rewritten.
            CREATE TRIGGER submissions_state_moves_forward BEFORE UPDATE OF state ON submissions
            WHEN NEW.state IS NOT OLD.state
            BEGIN
                SELECT RAISE(ABORT, 'a finished submission (succeeded, failed, rejected, send_failed) never changes state')
                WHERE OLD.state IN ('succeeded', 'failed', 'rejected', 'send_failed');
                SELECT RAISE(ABORT, 'only a new submission can be rejected: one that was recorded to be sent may hold money')
                WHERE NEW.state = 'rejected';
            END;

            CREATE TRIGGER submissions_settlement_is_immutable
            BEFORE UPDATE OF final_unit_deduction, actual_cost_micros ON submissions
            WHEN (OLD.final_unit_deduction IS NOT NULL AND NEW.final_unit_deduction IS NOT OLD.final_unit_deduction)
                OR (OLD.actual_cost_micros IS NOT NULL AND NEW.actual_cost_micros IS NOT OLD.actual_cost_micros)
            BEGIN
                SELECT RAISE(ABORT, 'a settled cost is never rewritten: record an adjustment instead');
            END;

            -- INSERT OR REPLACE would delete the old row without firing the delete trigger (unless
            -- recursive_triggers is on, which a hand-run sqlite3 shell does not set): refuse it here.
            CREATE TRIGGER submissions_are_never_replaced BEFORE INSERT ON submissions
            WHEN EXISTS (SELECT 1 FROM submissions WHERE id = NEW.id OR idempotency_key = NEW.idempotency_key)
            BEGIN
                SELECT RAISE(ABORT, 'a submission with this id or idempotency key exists and is never replaced');
            END;

            CREATE TRIGGER submissions_task_ids_are_unique BEFORE UPDATE OF provider_task_id ON submissions
            WHEN NEW.provider_task_id IS NOT NULL AND EXISTS (
                SELECT 1 FROM submissions
                WHERE provider = NEW.provider AND provider_task_id = NEW.provider_task_id AND id <> NEW.id)
            BEGIN
                SELECT RAISE(ABORT, 'another submission already has this provider task id');
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
            -- One hold and at most one charge per submission: nothing is reserved or charged twice.
            -- Corrections are adjustments.
            CREATE UNIQUE INDEX entries_one_hold ON entries (submission_id) WHERE kind = 'hold';
            CREATE UNIQUE INDEX entries_one_charge ON entries (submission_id) WHERE kind = 'charge';

            CREATE TRIGGER entries_are_never_updated BEFORE UPDATE ON entries
            BEGIN
                SELECT RAISE(ABORT, 'entries are append-only: record a release or an adjustment instead of changing one');
            END;

            CREATE TRIGGER entries_are_never_deleted BEFORE DELETE ON entries
            BEGIN
                SELECT RAISE(ABORT, 'entries are append-only: record a release or an adjustment instead of deleting one');
            END;

            -- A refusal moves no money, nothing is charged that was not first held, no release
            -- frees more than is held, and no entry replaces another.
            CREATE TRIGGER entries_respect_holds BEFORE INSERT ON entries
            BEGIN
                SELECT RAISE(ABORT, 'entries are append-only: an entry with this id exists and is never replaced')
                WHERE EXISTS (SELECT 1 FROM entries WHERE id = NEW.id);
                SELECT RAISE(ABORT, 'a rejected submission moves no money')
                WHERE (SELECT state FROM submissions WHERE id = NEW.submission_id) = 'rejected';
                SELECT RAISE(ABORT, 'a charge needs the hold placed before sending')
                WHERE NEW.kind IN ('charge', 'adjust') AND NOT EXISTS (
                    SELECT 1 FROM entries WHERE submission_id = NEW.submission_id AND kind = 'hold');
                SELECT RAISE(ABORT, 'a release cannot free more than the submission holds')
                WHERE NEW.kind = 'release' AND NEW.amount_micros > (
                    SELECT coalesce(sum(CASE kind WHEN 'hold' THEN amount_micros WHEN 'release' THEN -amount_micros ELSE 0 END), 0)
                    FROM entries WHERE submission_id = NEW.submission_id);
            END;
            """)

    static let budgets = Migration(
        version: 2, name: "budgets and their running totals",
        sql: """
            -- Ledger-wide settings; the time zone decides where calendar periods start.
            CREATE TABLE ledger_settings (
                key TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            INSERT INTO ledger_settings (key, value) VALUES ('time_zone', 'UTC');

            CREATE TABLE budgets (
                id INTEGER PRIMARY KEY,
                scope TEXT NOT NULL CHECK (scope IN ('all', 'team', 'project', 'user', 'provider')),
                scope_value TEXT CHECK ((scope = 'all') = (scope_value IS NULL)),
                period TEXT NOT NULL CHECK (period IN ('month', 'week', 'day', 'total')),
                limit_micros INTEGER NOT NULL CHECK (limit_micros > 0),
                thresholds TEXT NOT NULL CHECK (json_valid(thresholds) AND json_type(thresholds) = 'array'),
                enforcement TEXT NOT NULL CHECK (enforcement IN ('hard', 'soft')),
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                updated_at TEXT NOT NULL \(timestampCheck("updated_at")),
                removed_at TEXT
            ) STRICT;
            CREATE UNIQUE INDEX budgets_active ON budgets (scope, coalesce(scope_value, ''), period) WHERE removed_at IS NULL;

            -- Which budgets a submission counts against, and in which period: fixed when its hold
            -- is placed (or when a new budget adopts the submissions already in its scope).
            CREATE TABLE budget_submissions (
                budget_id INTEGER NOT NULL REFERENCES budgets (id),
                period_start TEXT NOT NULL,
                submission_id TEXT NOT NULL REFERENCES submissions (id),
                PRIMARY KEY (budget_id, submission_id)
            ) STRICT;
            CREATE INDEX budget_submissions_by_submission ON budget_submissions (submission_id);

            -- Running totals per budget and period, moved by every entry in the entry's own
            -- transaction, so checking a budget costs the same however large the ledger grows.
            CREATE TABLE budget_usage (
                budget_id INTEGER NOT NULL REFERENCES budgets (id),
                period_start TEXT NOT NULL,
                held_micros INTEGER NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
                charged_micros INTEGER NOT NULL DEFAULT 0,
                -- The highest charged + held reached in the period.
                peak_micros INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (budget_id, period_start)
            ) STRICT;

            CREATE TRIGGER entries_move_budget_usage AFTER INSERT ON entries
            BEGIN
                UPDATE budget_usage SET
                    held_micros = held_micros
                        + (CASE NEW.kind WHEN 'hold' THEN NEW.amount_micros WHEN 'release' THEN -NEW.amount_micros ELSE 0 END),
                    charged_micros = charged_micros
                        + (CASE WHEN NEW.kind IN ('charge', 'adjust') THEN NEW.amount_micros ELSE 0 END),
                    peak_micros = max(peak_micros, held_micros + charged_micros
                        + (CASE NEW.kind WHEN 'release' THEN -NEW.amount_micros ELSE NEW.amount_micros END))
                WHERE (budget_id, period_start) IN (
                    SELECT budget_id, period_start FROM budget_submissions WHERE submission_id = NEW.submission_id);
            END;

            CREATE TRIGGER budget_submissions_are_never_changed BEFORE UPDATE ON budget_submissions
            BEGIN
                SELECT RAISE(ABORT, 'which budgets a submission counts against never changes');
            END;

            CREATE TRIGGER budget_submissions_are_never_deleted BEFORE DELETE ON budget_submissions
            BEGIN
                SELECT RAISE(ABORT, 'which budgets a submission counts against never changes');
            END;
            """)

    static let alerts = Migration(
        version: 3, name: "prompts, alerts and their delivery outbox",
        sql: """
            -- The prompt, so finance can tell line items apart. Part of the request: it never changes.
            ALTER TABLE submissions ADD COLUMN prompt TEXT;
            CREATE TRIGGER submissions_prompt_is_immutable BEFORE UPDATE OF prompt ON submissions
            WHEN OLD.prompt IS NOT NEW.prompt
            BEGIN
                SELECT RAISE(ABORT, 'a submission''s request and quote never change once recorded');
            END;

            -- One row per (budget, period, kind, percent), inserted in the transaction that moved
            -- the money across it: the unique key makes it exactly once, however many processes
            -- submit at the same time. Amounts are a snapshot of the budget at that moment.
            CREATE TABLE alerts (
                id INTEGER PRIMARY KEY,
                budget_id INTEGER NOT NULL REFERENCES budgets (id),
                period_start TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('threshold', 'forecast')),
                percent INTEGER NOT NULL CHECK (percent > 0),
                limit_micros INTEGER NOT NULL,
                charged_micros INTEGER NOT NULL,
                held_micros INTEGER NOT NULL,
                -- A forecast's projected date of reaching the limit.
                projected_at TEXT CHECK ((kind = 'forecast') = (projected_at IS NOT NULL)),
                -- The money movement that raised it.
                entry_id INTEGER NOT NULL REFERENCES entries (id),
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                UNIQUE (budget_id, period_start, kind, percent)
            ) STRICT;

            \(alertsAreHistory)

            -- Where alerts go. The URL is either stored, or read at delivery time from the named
            -- environment variable, for webhook URLs that are themselves secrets.
            CREATE TABLE alert_targets (
                id INTEGER PRIMARY KEY,
                url TEXT,
                url_variable TEXT,
                -- NULL: every budget's alerts; else only the budgets of this team.
                team TEXT,
                format TEXT NOT NULL CHECK (format IN ('slack', 'json')),
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                removed_at TEXT,
                CHECK ((url IS NULL) <> (url_variable IS NULL))
            ) STRICT;

            -- The outbox: one row per alert and target, written with the alert. A delivery is
            -- leased before it is attempted, so two processes never send it at once, and once
            -- delivered it never changes again.
            CREATE TABLE alert_deliveries (
                alert_id INTEGER NOT NULL REFERENCES alerts (id),
                target_id INTEGER NOT NULL REFERENCES alert_targets (id),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                leased_until TEXT,
                last_error TEXT,
                delivered_at TEXT,
                PRIMARY KEY (alert_id, target_id)
            ) STRICT;
            CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE delivered_at IS NULL;

            CREATE TRIGGER alert_deliveries_stay_delivered BEFORE UPDATE ON alert_deliveries
            WHEN OLD.delivered_at IS NOT NULL
            BEGIN
                SELECT RAISE(ABORT, 'a delivered alert is never sent again');
            END;
            """)

    /// Built from `Ledger.heldSum` and `Ledger.chargedSum`, so report definitions read a
    /// submission's money from the same definition as every balance in the code.
    static let balances = Migration(
        version: 4, name: "each submission's held and charged money, as a view for reports",
        sql: """
            CREATE VIEW submission_balances AS
            SELECT submission_id, \(Ledger.heldSum("entries")) AS held_micros, \(Ledger.chargedSum("entries")) AS charged_micros
            FROM entries GROUP BY submission_id;
            """)

    /// What the hardening needed: who is sending a pending submission (so a dead sender can be
    /// told from a live one), a fingerprint of each request (so an idempotency key reused for
    /// another request is refused), the parent of an extension and the provider's video ids
    /// (so an extension is priced as its parent's model), and alerts for settlements above
    /// their hold.
    static let sendersAndOverruns = Migration(
        version: 5, name: "senders, request fingerprints, video ids, overrun and resource-pack alerts",
        sql: """
            ALTER TABLE submissions ADD COLUMN request_fingerprint TEXT;
            ALTER TABLE submissions ADD COLUMN parent_id TEXT REFERENCES submissions (id);
            ALTER TABLE submissions ADD COLUMN video_ids TEXT NOT NULL DEFAULT '[]'
                CHECK (json_valid(video_ids) AND json_type(video_ids) = 'array');
            -- The process that placed the hold: host name, process id and its start time (a
            -- reused process id has another start time).
            ALTER TABLE submissions ADD COLUMN sender_host TEXT;
            ALTER TABLE submissions ADD COLUMN sender_pid INTEGER;
            ALTER TABLE submissions ADD COLUMN sender_started TEXT;

            CREATE TRIGGER submissions_request_details_are_immutable
            BEFORE UPDATE OF request_fingerprint, parent_id, sender_host, sender_pid, sender_started ON submissions
            WHEN OLD.request_fingerprint IS NOT NEW.request_fingerprint OR OLD.parent_id IS NOT NEW.parent_id
                OR OLD.sender_host IS NOT NEW.sender_host OR OLD.sender_pid IS NOT NEW.sender_pid
                OR OLD.sender_started IS NOT NEW.sender_started
            BEGIN
                SELECT RAISE(ABORT, 'a submission''s request and quote never change once recorded');
            END;
            CREATE INDEX submissions_by_video_ids ON submissions (provider) WHERE video_ids <> '[]';

            -- Alerts gain kinds: 'overrun', a settlement above its hold against a hard budget, once
            -- per budget and charge (percent: the charge as a percentage of the hold); and a
            -- resource pack's 'pack_low' (remaining below `percent` of it) and 'pack_expiring' (it
            -- expires with units unused at the current burn rate), once per pack. A pack's alert has
            -- no budget and no entry: its figures are in `pack` (JSON, exact decimal units).
            -- SQLite cannot change a CHECK in place: the table is rebuilt as it documents.
            CREATE TABLE alerts_v5 (
                id INTEGER PRIMARY KEY,
                budget_id INTEGER REFERENCES budgets (id),
                pack_id TEXT,
                period_start TEXT NOT NULL,
                kind TEXT NOT NULL CHECK (kind IN ('threshold', 'forecast', 'overrun', 'pack_low', 'pack_expiring')),
                percent INTEGER NOT NULL CHECK (percent > 0),
                limit_micros INTEGER NOT NULL,
                charged_micros INTEGER NOT NULL,
                held_micros INTEGER NOT NULL,
                projected_at TEXT CHECK ((kind IN ('forecast', 'pack_expiring')) = (projected_at IS NOT NULL)),
                entry_id INTEGER REFERENCES entries (id),
                pack TEXT CHECK (pack IS NULL OR json_valid(pack)),
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                CHECK ((kind IN ('pack_low', 'pack_expiring')) = (pack_id IS NOT NULL)),
                CHECK ((budget_id IS NULL) = (pack_id IS NOT NULL)),
                CHECK ((budget_id IS NULL) = (entry_id IS NULL)),
                CHECK ((pack_id IS NULL) = (pack IS NULL))
            ) STRICT;
            INSERT INTO alerts_v5 (id, budget_id, period_start, kind, percent, limit_micros, charged_micros, held_micros,
                projected_at, entry_id, created_at)
            SELECT id, budget_id, period_start, kind, percent, limit_micros, charged_micros, held_micros, projected_at,
                entry_id, created_at FROM alerts;
            DROP TABLE alerts;
            ALTER TABLE alerts_v5 RENAME TO alerts;
            CREATE UNIQUE INDEX alerts_once_per_period ON alerts (budget_id, period_start, kind, percent)
                WHERE kind IN ('threshold', 'forecast');
            CREATE UNIQUE INDEX alerts_once_per_charge ON alerts (budget_id, entry_id) WHERE kind = 'overrun';
            CREATE UNIQUE INDEX alerts_once_per_pack ON alerts (pack_id, kind, percent) WHERE pack_id IS NOT NULL;
            \(alertsAreHistory)
            """,
        rebuildsTables: true)

    /// The results of reconciling the ledger with a provider's bill, kept when applied so the
    /// `reconciliation` report can show finance what differed and how it was settled.
    static let reconciliations = Migration(
        version: 6, name: "reconciliations with the providers' bills",
        sql: """
            CREATE TABLE reconciliations (
                id INTEGER PRIMARY KEY,
                provider TEXT NOT NULL CHECK (provider IN ('kling', 'pixazo', 'acedata', 'kkiai')),
                -- 'billing': the provider's deduction record; 'csv': a usage export.
                source TEXT NOT NULL CHECK (source IN ('billing', 'csv')),
                period_start TEXT NOT NULL \(timestampCheck("period_start")),
                period_end TEXT NOT NULL \(timestampCheck("period_end")),
                created_at TEXT NOT NULL \(timestampCheck("created_at"))
            ) STRICT;

            -- One line per task, in the class it was found in before it was applied.
            CREATE TABLE reconciliation_lines (
                reconciliation_id INTEGER NOT NULL REFERENCES reconciliations (id),
                line INTEGER NOT NULL,
                class TEXT NOT NULL CHECK (class IN (
                    'agrees', 'differs', 'billed_not_in_ledger', 'in_ledger_not_billed', 'billed_still_open')),
                provider_task_id TEXT,
                submission_id TEXT REFERENCES submissions (id),
                ledger_micros INTEGER,
                billed_micros INTEGER,
                billed_units TEXT,
                billed_at TEXT,
                note TEXT NOT NULL,
                PRIMARY KEY (reconciliation_id, line)
            ) STRICT;

            CREATE TRIGGER reconciliations_are_history BEFORE UPDATE ON reconciliations
            BEGIN
                SELECT RAISE(ABORT, 'a reconciliation is a record of what was found and never changes');
            END;
            CREATE TRIGGER reconciliations_are_kept BEFORE DELETE ON reconciliations
            BEGIN
                SELECT RAISE(ABORT, 'a reconciliation is a record of what was found and is never deleted');
            END;
            CREATE TRIGGER reconciliation_lines_are_history BEFORE UPDATE ON reconciliation_lines
            BEGIN
                SELECT RAISE(ABORT, 'a reconciliation is a record of what was found and never changes');
            END;
            CREATE TRIGGER reconciliation_lines_are_kept BEFORE DELETE ON reconciliation_lines
            BEGIN
                SELECT RAISE(ABORT, 'a reconciliation is a record of what was found and is never deleted');
            END;
            """)

    /// The credentials `kling-ledger serve` issues to its callers. Nothing here lets anyone
    /// call the gateway: a static key is kept as its SHA-256 only, and a JWT pair's secret is
    /// derived from the server secret in the gateway's environment, never stored.
    static let gatewayKeys = Migration(
        version: 7, name: "gateway keys",
        sql: """
            CREATE TABLE gateway_keys (
                id TEXT PRIMARY KEY,
                -- The public half of the JWT pair: the token's `iss`.
                access_key TEXT NOT NULL UNIQUE,
                -- Hex SHA-256 of the static API key, which is shown once and never kept.
                api_key_sha256 TEXT NOT NULL UNIQUE CHECK (length(api_key_sha256) = 64),
                team TEXT NOT NULL CHECK (team <> ''),
                project TEXT,
                user_name TEXT,
                created_at TEXT NOT NULL \(timestampCheck("created_at")),
                expires_at TEXT \(timestampCheck("expires_at")),
                revoked_at TEXT \(timestampCheck("revoked_at"))
            ) STRICT;

            -- A key is revoked once and stays revoked; nothing else about it ever changes.
            CREATE TRIGGER gateway_keys_change_only_by_revoking BEFORE UPDATE ON gateway_keys
            WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL OR NEW.id IS NOT OLD.id OR NEW.access_key IS NOT OLD.access_key
                OR NEW.api_key_sha256 IS NOT OLD.api_key_sha256 OR NEW.team IS NOT OLD.team OR NEW.project IS NOT OLD.project
                OR NEW.user_name IS NOT OLD.user_name OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at
            BEGIN
                SELECT RAISE(ABORT, 'a gateway key can only be revoked, once');
            END;
            CREATE TRIGGER gateway_keys_are_kept BEFORE DELETE ON gateway_keys
            BEGIN
                SELECT RAISE(ABORT, 'a gateway key is revoked, never deleted: its submissions name it');
            END;

            -- The gateway lists a caller's own tasks, newest first.
            CREATE INDEX submissions_by_scope ON submissions (team, project, user_name, created_at);
            """)

    /// The gateway's callback relay. A caller's `callback_url` is kept on its submission, and
    /// the provider calls the gateway instead; each status change the ledger records (after
    /// its settlement, in the same transaction) queues one delivery to the caller, whichever
    /// process recorded it: the gateway's settler, a caller's query, or `kling-ledger sync`.
    static let callbackRelay = Migration(
        version: 8, name: "callback relay",
        sql: """
            ALTER TABLE submissions ADD COLUMN relayed_callback_url TEXT;
            CREATE TRIGGER submissions_relayed_callback_is_immutable BEFORE UPDATE OF relayed_callback_url ON submissions
            WHEN OLD.relayed_callback_url IS NOT NEW.relayed_callback_url
            BEGIN
                SELECT RAISE(ABORT, 'a submission''s request and quote never change once recorded');
            END;

            -- The outbox: one row per submission and status, so a caller hears of each change once
            -- however often the provider repeats it. Leased before it is attempted; given up
            -- (next_attempt_at NULL) after its last attempt; once delivered it never changes.
            CREATE TABLE callback_deliveries (
                submission_id TEXT NOT NULL REFERENCES submissions (id),
                status TEXT NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed')),
                queued_at TEXT NOT NULL \(timestampCheck("queued_at")),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT,
                leased_until TEXT,
                last_error TEXT,
                delivered_at TEXT,
                PRIMARY KEY (submission_id, status)
            ) STRICT;
            CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at)
                WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL;
            CREATE TRIGGER callback_deliveries_stay_delivered BEFORE UPDATE ON callback_deliveries
            WHEN OLD.delivered_at IS NOT NULL
            BEGIN
                SELECT RAISE(ABORT, 'a delivered callback is never sent again');
            END;

            CREATE TRIGGER submissions_queue_relayed_callbacks AFTER UPDATE OF state ON submissions
            WHEN NEW.relayed_callback_url IS NOT NULL AND NEW.state IS NOT OLD.state
                AND NEW.state IN ('processing', 'succeeded', 'failed')
            BEGIN
                INSERT OR IGNORE INTO callback_deliveries (submission_id, status, queued_at, next_attempt_at)
                VALUES (NEW.id, NEW.state, NEW.updated_at, NEW.updated_at);
            END;
            """)

    /// Admin keys: they open every team's numbers on the dashboard, and spend nothing. A key's
    /// role is part of it and never changes, like the rest.
    static let adminKeys = Migration(
        version: 9, name: "admin keys",
        sql: """
            ALTER TABLE gateway_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'caller' CHECK (role IN ('caller', 'admin'));
            DROP TRIGGER gateway_keys_change_only_by_revoking;
            CREATE TRIGGER gateway_keys_change_only_by_revoking BEFORE UPDATE ON gateway_keys
            WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL OR NEW.id IS NOT OLD.id OR NEW.access_key IS NOT OLD.access_key
                OR NEW.api_key_sha256 IS NOT OLD.api_key_sha256 OR NEW.team IS NOT OLD.team OR NEW.project IS NOT OLD.project
                OR NEW.user_name IS NOT OLD.user_name OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at
                OR NEW.role IS NOT OLD.role
            BEGIN
                SELECT RAISE(ABORT, 'a gateway key can only be revoked, once');
            END;
            """)

    /// Which submissions a budget counts becomes a rule instead of a row per pair: every
    /// submission in its scope that was not rejected, made before the budget was removed (a new
    /// budget counts its scope's history, and each later submission). The period a submission
    /// counts in is the budget's period row starting last at or before the submission's
    /// `created_at`: adoption and every hold create that row, and periods never overlap.
    /// Each submission also carries its own balance, moved by its entries, so that adopting a
    /// million submissions sums one row each instead of their entries. `budget_submissions`
    /// stays, as a view with the same columns.
    static let budgetsCountByRule = Migration(
        version: 10, name: "budgets count their scope by rule; each submission carries its balance",
        sql: """
            DROP TRIGGER budget_submissions_are_never_changed;
            DROP TRIGGER budget_submissions_are_never_deleted;
            DROP TABLE budget_submissions;
            \(budgetSubmissionsView)

            ALTER TABLE submissions ADD COLUMN balance_held_micros INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE submissions ADD COLUMN balance_charged_micros INTEGER NOT NULL DEFAULT 0;
            UPDATE submissions SET
                balance_held_micros = (SELECT \(Ledger.heldSum("entries")) FROM entries WHERE entries.submission_id = submissions.id),
                balance_charged_micros = (SELECT \(Ledger.chargedSum("entries")) FROM entries WHERE entries.submission_id = submissions.id);
            CREATE TRIGGER entries_move_submission_balance AFTER INSERT ON entries
            BEGIN
                UPDATE submissions SET
                    balance_held_micros = balance_held_micros
                        + (CASE NEW.kind WHEN 'hold' THEN NEW.amount_micros WHEN 'release' THEN -NEW.amount_micros ELSE 0 END),
                    balance_charged_micros = balance_charged_micros
                        + (CASE WHEN NEW.kind IN ('charge', 'adjust') THEN NEW.amount_micros ELSE 0 END)
                WHERE id = NEW.submission_id;
            END;
            CREATE TRIGGER submissions_balance_moves_only_by_entries BEFORE UPDATE OF balance_held_micros, balance_charged_micros ON submissions
            WHEN NEW.balance_held_micros IS NOT (SELECT \(Ledger.heldSum("entries")) FROM entries WHERE entries.submission_id = NEW.id)
                OR NEW.balance_charged_micros IS NOT (SELECT \(Ledger.chargedSum("entries")) FROM entries WHERE entries.submission_id = NEW.id)
            BEGIN
                SELECT RAISE(ABORT, 'a submission''s balance is the sum of its entries, moved only by them');
            END;
            """)

    /// The budgets counting each submission, and the period it counts in (see migration 10).
    /// Shared with the PostgreSQL schema: plain SQL both engines run.
    static let budgetSubmissionsView = """
        CREATE VIEW budget_submissions AS
        SELECT b.id AS budget_id,
            CASE b.period WHEN 'total' THEN 'total' ELSE (
                SELECT max(u.period_start) FROM budget_usage u WHERE u.budget_id = b.id AND u.period_start <= s.created_at
            ) END AS period_start,
            s.id AS submission_id
        FROM budgets b JOIN submissions s ON b.scope = 'all'
            OR (b.scope = 'team' AND s.team = b.scope_value) OR (b.scope = 'project' AND s.project = b.scope_value)
            OR (b.scope = 'user' AND s.user_name = b.scope_value) OR (b.scope = 'provider' AND s.provider = b.scope_value)
        WHERE s.state <> 'rejected' AND (b.removed_at IS NULL OR s.created_at < b.removed_at);
        """
}
