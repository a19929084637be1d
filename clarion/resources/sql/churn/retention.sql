-- Retention of a campaign's treated endpoints against its holdout (Trino; transpiled to
-- DuckDB locally). Parameters: :campaign_id, and the follow-up window [:start_ms, :end_ms).
-- Intention to treat: every endpoint the campaign targeted outside the holdout is
-- "treated", whether or not its message could be delivered. Retained = a session or a
-- purchase in the window.
WITH targeted AS (
    SELECT
        endpoint_id,
        max(CASE WHEN element_at(attributes, 'campaign_send_status') = 'HOLDOUT' THEN 1 ELSE 0 END)
            AS held_out
    FROM events
    WHERE event_type = '_campaign.send'
        AND element_at(attributes, 'campaign_id') = :campaign_id
        AND endpoint_id IS NOT NULL
    GROUP BY endpoint_id
),
active AS (
    SELECT DISTINCT endpoint_id
    FROM events
    WHERE event_type IN ('_session.start', '_monetization.purchase')
        AND event_timestamp >= :start_ms
        AND event_timestamp < :end_ms
)
SELECT
    CASE WHEN t.held_out = 1 THEN 'holdout' ELSE 'treated' END AS grp,
    count(*) AS endpoints,
    count(a.endpoint_id) AS retained
FROM targeted AS t
LEFT JOIN active AS a ON a.endpoint_id = t.endpoint_id
GROUP BY CASE WHEN t.held_out = 1 THEN 'holdout' ELSE 'treated' END
ORDER BY grp
