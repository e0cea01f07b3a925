-- Each budget's limit, charged, held, remaining and peak usage in the periods of the month.
--
-- Parameters: :period_start and :period_end bound the month in the ledger's time zone (as UTC
-- timestamps). Every budget in force during the month is listed: a month budget once, a total
-- budget with its running total, week and day budgets once per period that started in the
-- month and saw spending. Amounts are as of now; remaining is negative when a soft budget
-- was overrun.
SELECT
    b.id AS budget, b.scope, b.scope_value, b.period,
    coalesce(u.period_start, CASE b.period WHEN 'month' THEN :period_start WHEN 'total' THEN 'total' END) AS period_start,
    b.enforcement,
    usd(b.limit_micros) AS limit_usd,
    usd(coalesce(u.charged_micros, 0)) AS charged_usd,
    usd(coalesce(u.held_micros, 0)) AS held_usd,
    usd(b.limit_micros - coalesce(u.charged_micros, 0) - coalesce(u.held_micros, 0)) AS remaining_usd,
    usd(coalesce(u.peak_micros, 0)) AS peak_usd,
    coalesce(u.peak_micros, 0) * 100 / b.limit_micros AS peak_percent,
    CASE WHEN b.removed_at IS NULL THEN 'active' ELSE 'removed' END AS status
FROM budgets b LEFT JOIN budget_usage u ON u.budget_id = b.id AND (
    (b.period = 'month' AND u.period_start = :period_start)
    OR (b.period = 'total' AND u.period_start = 'total')
    OR (b.period IN ('week', 'day') AND u.period_start >= :period_start AND u.period_start < :period_end))
WHERE b.created_at < :period_end AND (b.removed_at IS NULL OR b.removed_at >= :period_start)
    AND (:team = '' OR (b.scope = 'team' AND b.scope_value = :team))
ORDER BY b.id, 5
