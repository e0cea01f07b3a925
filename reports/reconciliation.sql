-- The month's last reconciliation with each provider's bill: one row per task, its class, both amounts and the note.
--
-- Kept by `kling-ledger reconcile --apply`: the classes are what it found before applying them
-- (agrees, differs, billed_not_in_ledger, in_ledger_not_billed, billed_still_open); the
-- submission is the one the task now belongs to (an unattributed one for spend that bypassed
-- the gate). A reconciliation belongs to the month its window starts in.
SELECT
    r.provider,
    r.source,
    l.class,
    l.provider_task_id,
    l.submission_id,
    usd(l.ledger_micros) AS ledger_usd,
    usd(l.billed_micros) AS billed_usd,
    l.billed_units,
    l.billed_at,
    l.note,
    r.created_at AS reconciled_at
FROM reconciliation_lines l JOIN reconciliations r ON r.id = l.reconciliation_id
WHERE r.id IN (
    SELECT max(id) FROM reconciliations WHERE period_start >= :period_start AND period_start < :period_end GROUP BY provider)
ORDER BY r.provider, l.line
