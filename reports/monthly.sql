-- Spend of the month per team, provider, model and mode: videos, seconds, units, charged, held, failed.
-- dimensions: team project user provider model mode tag
-- by: team provider model mode
--
-- Parameters: :period_start and :period_end bound the month in the ledger's time zone (as UTC
-- timestamps); :by_<dimension> is 1 for each dimension chosen with --by, and :tag_key names the
-- tag of --by tag:KEY. Columns of dimensions not chosen are left out of the CSV.
-- A submission belongs to the month its hold was placed in, and so does its later charge.
SELECT
    CASE WHEN :by_team = 1 THEN s.team END AS team,
    CASE WHEN :by_project = 1 THEN s.project END AS project,
    CASE WHEN :by_user = 1 THEN s.user_name END AS user,
    CASE WHEN :by_provider = 1 THEN s.provider END AS provider,
    CASE WHEN :by_model = 1 THEN s.model END AS model,
    CASE WHEN :by_mode = 1 THEN s.mode END AS mode,
    CASE WHEN :by_tag = 1 THEN (SELECT value FROM json_each(s.tags) WHERE key = :tag_key) END AS tag,
    count(*) AS submissions,
    count(*) FILTER (WHERE s.state = 'succeeded') AS videos,
    coalesce(sum(s.duration_seconds) FILTER (WHERE s.state = 'succeeded'), 0) AS seconds,
    units(sum(unit_millionths(s.final_unit_deduction))) AS units,
    usd(coalesce(sum(m.charged_micros), 0)) AS charged_usd,
    usd(coalesce(sum(m.held_micros), 0)) AS held_usd,
    count(*) FILTER (WHERE s.state IN ('failed', 'send_failed')) AS failed,
    count(*) FILTER (WHERE s.state IN ('pending', 'submitted', 'processing', 'unknown')) AS open
FROM submissions s LEFT JOIN submission_balances m ON m.submission_id = s.id
WHERE s.created_at >= :period_start AND s.created_at < :period_end AND s.state <> 'rejected' AND (:team = '' OR s.team = :team)
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7
