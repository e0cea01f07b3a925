-- Every submission of the month with all its ledger fields and its money: one line item each.
--
-- Parameters: :period_start and :period_end bound the month in the ledger's time zone (as UTC
-- timestamps). Refusals are listed too (no money). Credentials are never in the ledger.
-- :team limits it to one team ('' for every team: the dashboard's team keys download theirs).
SELECT
    s.id, s.created_at, s.updated_at, s.state,
    s.team, s.project, s.user_name AS user, s.tags,
    s.provider, s.kind, s.model, s.mode, s.duration_seconds, s.sound, s.aspect_ratio, s.prompt,
    usd(s.quote_micros) AS quote_usd, s.quote_units, usd(s.unit_price_micros) AS unit_price_usd, s.unit_price_source,
    s.price_table, s.price_version, s.price_rule,
    s.provider_task_id, s.external_task_id, s.final_unit_deduction,
    usd(s.actual_cost_micros) AS cost_usd,
    usd(coalesce(m.charged_micros, 0)) AS charged_usd,
    usd(coalesce(m.held_micros, 0)) AS held_usd,
    s.error_code, s.error_message, s.idempotency_key
FROM submissions s LEFT JOIN submission_balances m ON m.submission_id = s.id
WHERE s.created_at >= :period_start AND s.created_at < :period_end AND (:team = '' OR s.team = :team)
ORDER BY s.created_at, s.id
