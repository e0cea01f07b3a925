-- The month's charges as FinOps FOCUS 1.0 cost rows, for FinOps tools to ingest.
-- focus-version: 1.0
--
-- Parameters: :period_start and :period_end bound the month in the ledger's time zone (as UTC
-- timestamps); :billing_period_start and :billing_period_end are the same instants in FOCUS's
-- date-time form. One Usage row per submission of the month with money charged; holds are
-- not costs and are left out until they settle. The ledger records what was charged, not a
-- negotiated discount: BilledCost, EffectiveCost, ContractedCost and ListCost are all the
-- charged amount. ProviderName, PublisherName and InvoiceIssuerName repeat Provider, Publisher
-- and InvoiceIssuer under the names later FOCUS versions use.
WITH rows AS (
    SELECT s.*, m.charged_micros AS charged,
        CASE s.provider WHEN 'kling' THEN 'Kling AI' WHEN 'pixazo' THEN 'Pixazo' WHEN 'acedata' THEN 'AceData Cloud'
            WHEN 'kkiai' THEN 'KKIAI' END AS gateway,
        strftime('%Y-%m-%dT%H:00:00Z', s.created_at) AS hour_start,
        strftime('%Y-%m-%dT%H:00:00Z', s.created_at, '+1 hour') AS hour_end,
        -- FOCUS decimals: a whole number still carries a decimal point.
        CASE WHEN s.final_unit_deduction IS NULL THEN NULL
            WHEN instr(s.final_unit_deduction, '.') = 0 THEN s.final_unit_deduction || '.0'
            ELSE s.final_unit_deduction END AS deducted_units
    FROM submissions s JOIN submission_balances m ON m.submission_id = s.id
    WHERE s.created_at >= :period_start AND s.created_at < :period_end AND m.charged_micros <> 0
)
SELECT
    usd(charged) AS "BilledCost",
    usd(charged) AS "EffectiveCost",
    usd(charged) AS "ListCost",
    usd(charged) AS "ContractedCost",
    'USD' AS "BillingCurrency",
    provider AS "BillingAccountId",
    gateway AS "BillingAccountName",
    :billing_period_start AS "BillingPeriodStart",
    :billing_period_end AS "BillingPeriodEnd",
    CASE WHEN hour_start > :billing_period_start THEN hour_start ELSE :billing_period_start END AS "ChargePeriodStart",
    CASE WHEN hour_end < :billing_period_end THEN hour_end ELSE :billing_period_end END AS "ChargePeriodEnd",
    'Usage' AS "ChargeCategory",
    NULL AS "ChargeClass",
    'Usage-Based' AS "ChargeFrequency",
    coalesce(model, 'default model') || ' ' || coalesce(mode, '') || ' ' || kind || ', ' || duration_seconds || ' s'
        || CASE WHEN sound = 1 THEN ', with sound' ELSE '' END AS "ChargeDescription",
    NULL AS "CommitmentDiscountCategory",
    NULL AS "CommitmentDiscountId",
    NULL AS "CommitmentDiscountName",
    NULL AS "CommitmentDiscountStatus",
    NULL AS "CommitmentDiscountType",
    duration_seconds || '.0' AS "ConsumedQuantity",
    'Seconds' AS "ConsumedUnit",
    CASE WHEN deducted_units IS NOT NULL THEN deducted_units ELSE '1.0' END AS "PricingQuantity",
    CASE WHEN deducted_units IS NOT NULL THEN 'Kling Units' ELSE 'Videos' END AS "PricingUnit",
    CASE WHEN deducted_units IS NOT NULL THEN usd(unit_price_micros) ELSE usd(charged) END AS "ListUnitPrice",
    CASE WHEN deducted_units IS NOT NULL THEN usd(unit_price_micros) ELSE usd(charged) END AS "ContractedUnitPrice",
    'Standard' AS "PricingCategory",
    gateway AS "Provider",
    'Kuaishou Kling AI' AS "Publisher",
    gateway AS "InvoiceIssuer",
    gateway AS "ProviderName",
    'Kuaishou Kling AI' AS "PublisherName",
    gateway AS "InvoiceIssuerName",
    NULL AS "RegionId",
    NULL AS "RegionName",
    NULL AS "AvailabilityZone",
    id AS "ResourceId",
    provider_task_id AS "ResourceName",
    'Video' AS "ResourceType",
    'AI and Machine Learning' AS "ServiceCategory",
    'Kling Video Generation' AS "ServiceName",
    provider || '/' || kind || '/' || coalesce(model, 'default') || '/' || coalesce(mode, 'default') AS "SkuId",
    price_table || '#' || price_version || '/' || price_rule AS "SkuPriceId",
    team AS "SubAccountId",
    team AS "SubAccountName",
    ledger_tags(tags, project, user_name) AS "Tags"
FROM rows
ORDER BY created_at, id
