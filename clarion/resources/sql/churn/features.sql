-- Churn features and labels: the one SQL source (Trino, as Athena runs it; the local
-- backend transpiles it to DuckDB with sqlglot). docs/churn.md defines every column.
--
-- Relations: `endpoints` (clarion/domain/audience/rows.py) and `events`
-- (clarion/resources/contracts/events_columns.json). Parameters (bound as literals, never formatted in):
--   :train_cutoff_ms, :eval_cutoff_ms, :score_cutoff_ms  epoch ms of each cut-off, or 0
--                                                         to leave that split out
--   :label_days    the window after a cut-off; churned = no session or purchase in it
--   :active_days   only endpoints with a session or purchase in these days before the
--                  cut-off are in the population
-- Every figure is relative to the row's cut-off: no date is written here. Features use
-- only events before the cut-off; the label only events in [cut-off, cut-off + window).
-- Day arithmetic is in double precision (Trino and DuckDB divide integers differently).
WITH cutoffs AS (
    SELECT split, cutoff_ms
    FROM (
        VALUES
            ('train', :train_cutoff_ms),
            ('eval', :eval_cutoff_ms),
            ('score', :score_cutoff_ms)
    ) AS given (split, cutoff_ms)
    WHERE cutoff_ms > 0
),
bounds AS (
    SELECT
        min(cutoff_ms) - CAST(31536000000 AS bigint) AS first_ms,
        max(cutoff_ms) + CAST(:label_days AS bigint) * 86400000 AS last_ms
    FROM cutoffs
),
relevant AS (
    SELECT
        e.endpoint_id,
        e.event_type,
        e.event_timestamp AS ts,
        CASE
            WHEN e.event_type = '_monetization.purchase'
                THEN coalesce(element_at(e.metrics, '_item_price'), 0.0)
                    * coalesce(element_at(e.metrics, '_quantity'), 1.0)
            ELSE 0.0
        END AS revenue
    FROM events AS e
    CROSS JOIN bounds AS b
    WHERE e.endpoint_id IS NOT NULL
        AND e.event_timestamp >= b.first_ms
        AND e.event_timestamp < b.last_ms
        AND e.event_type IN (
            '_session.start', '_monetization.purchase',
            '_email.delivered', '_email.open', '_email.click',
            '_email.hardbounce', '_email.softbounce', '_email.complaint', '_email.unsubscribe',
            '_SMS.SUCCESS', '_SMS.RECEIVED', '_SMS.OPTOUT'
        )
),
windowed AS (
    SELECT
        c.split,
        c.cutoff_ms,
        r.endpoint_id,
        r.event_type,
        r.revenue,
        r.ts,
        CAST(c.cutoff_ms - r.ts AS double) / 86400000.0 AS age_days,
        r.event_type IN ('_session.start', '_monetization.purchase') AS is_activity
    FROM relevant AS r
    CROSS JOIN cutoffs AS c
    WHERE r.ts >= c.cutoff_ms - CAST(31536000000 AS bigint)
        AND r.ts < c.cutoff_ms + CAST(:label_days AS bigint) * 86400000
),
per_endpoint AS (
    SELECT
        split,
        cutoff_ms,
        endpoint_id,
        min(CASE WHEN age_days > 0 AND is_activity THEN age_days END) AS days_since_last_activity,
        min(CASE WHEN age_days > 0 AND event_type = '_session.start' THEN age_days END)
            AS days_since_last_session,
        min(CASE WHEN age_days > 0 AND event_type = '_monetization.purchase' THEN age_days END)
            AS days_since_last_purchase,
        count_if(age_days > 0 AND age_days <= 7 AND event_type = '_session.start') AS sessions_7d,
        count_if(age_days > 0 AND age_days <= 30 AND event_type = '_session.start') AS sessions_30d,
        count_if(age_days > 0 AND age_days <= 90 AND event_type = '_session.start') AS sessions_90d,
        count_if(age_days > 30 AND age_days <= 60 AND event_type = '_session.start')
            AS sessions_30_60d,
        count_if(age_days > 0 AND age_days <= 3 AND event_type = '_session.start') AS sessions_3d,
        count_if(age_days > 0 AND age_days <= 14 AND event_type = '_session.start')
            AS sessions_14d,
        count_if(age_days > 7 AND age_days <= 14 AND event_type = '_session.start')
            AS sessions_7_14d,
        count_if(age_days > 14 AND age_days <= 28 AND event_type = '_session.start')
            AS sessions_14_28d,
        count_if(age_days > 60 AND age_days <= 90 AND event_type = '_session.start')
            AS sessions_60_90d,
        count(DISTINCT CASE
            WHEN age_days > 0 AND age_days <= 14 AND event_type = '_session.start'
                THEN floor(CAST(ts AS double) / 86400000.0)
        END) AS active_days_14d,
        count_if(age_days > 0 AND age_days <= 30 AND event_type = '_email.delivered')
            AS email_delivered_30d,
        count_if(age_days > 0 AND event_type = '_session.start') AS sessions_365d,
        count_if(age_days > 0 AND age_days <= 1 AND event_type = '_session.start') AS sessions_1d,
        min(CASE
            WHEN age_days > 0 AND event_type IN ('_email.open', '_SMS.RECEIVED') THEN age_days
        END) AS days_since_last_response,
        count_if(age_days > 30 AND age_days <= 90 AND event_type = '_email.delivered')
            AS email_delivered_30_90d,
        count_if(age_days > 30 AND age_days <= 90 AND event_type = '_email.open')
            AS email_opens_30_90d,
        count_if(age_days > 0 AND age_days <= 30 AND event_type = '_SMS.SUCCESS')
            AS sms_delivered_30d,
        count_if(age_days > 0 AND age_days <= 30 AND event_type = '_SMS.RECEIVED')
            AS sms_replies_30d,
        count(DISTINCT CASE
            WHEN age_days > 0 AND age_days <= 30 AND event_type = '_session.start'
                THEN floor(CAST(ts AS double) / 86400000.0)
        END) AS active_days_30d,
        count_if(age_days > 0 AND age_days <= 30 AND event_type = '_monetization.purchase')
            AS purchases_30d,
        count_if(age_days > 0 AND age_days <= 90 AND event_type = '_monetization.purchase')
            AS purchases_90d,
        sum(CASE WHEN age_days > 0 AND age_days <= 30 THEN revenue ELSE 0.0 END) AS revenue_30d,
        sum(CASE WHEN age_days > 0 AND age_days <= 90 THEN revenue ELSE 0.0 END) AS revenue_90d,
        count_if(age_days > 0 AND age_days <= 90 AND event_type = '_email.delivered')
            AS email_delivered_90d,
        count_if(age_days > 0 AND age_days <= 30 AND event_type = '_email.open') AS email_opens_30d,
        count_if(age_days > 0 AND age_days <= 90 AND event_type = '_email.open') AS email_opens_90d,
        count_if(age_days > 0 AND age_days <= 90 AND event_type = '_email.click')
            AS email_clicks_90d,
        count_if(age_days > 0 AND age_days <= 90 AND event_type = '_SMS.SUCCESS')
            AS sms_delivered_90d,
        count_if(age_days > 0 AND age_days <= 90 AND event_type = '_SMS.RECEIVED')
            AS sms_replies_90d,
        count_if(
            age_days > 0 AND age_days <= 90
            AND event_type IN ('_email.hardbounce', '_email.softbounce')
        ) AS bounces_90d,
        count_if(age_days > 0 AND event_type = '_email.complaint') AS complaints,
        count_if(
            age_days > 0 AND event_type IN ('_email.unsubscribe', '_email.complaint', '_SMS.OPTOUT')
        ) AS opt_out_events,
        count_if(age_days > 0 AND age_days <= :active_days AND is_activity) AS recent_activity,
        count_if(age_days <= 0 AND is_activity) AS future_activity
    FROM windowed
    GROUP BY split, cutoff_ms, endpoint_id
)
SELECT
    p.endpoint_id AS id,
    p.split,
    coalesce(p.days_since_last_activity, 365.0) AS days_since_last_activity,
    coalesce(p.days_since_last_session, 365.0) AS days_since_last_session,
    coalesce(p.days_since_last_purchase, 365.0) AS days_since_last_purchase,
    p.sessions_7d,
    p.sessions_30d,
    p.sessions_90d,
    p.sessions_30_60d,
    p.active_days_30d,
    p.purchases_30d,
    p.purchases_90d,
    p.revenue_30d,
    p.revenue_90d,
    p.email_delivered_90d,
    p.email_opens_30d,
    coalesce(CAST(p.email_opens_90d AS double) / nullif(p.email_delivered_90d, 0), -1.0)
        AS email_open_rate_90d,
    coalesce(CAST(p.email_clicks_90d AS double) / nullif(p.email_delivered_90d, 0), -1.0)
        AS email_click_rate_90d,
    p.sms_delivered_90d,
    coalesce(CAST(p.sms_replies_90d AS double) / nullif(p.sms_delivered_90d, 0), -1.0)
        AS sms_reply_rate_90d,
    p.bounces_90d,
    p.complaints,
    CASE WHEN p.opt_out_events > 0 THEN 1 ELSE 0 END AS opted_out,
    CASE
        WHEN ep.creation_date IS NULL THEN -1.0
        ELSE greatest(
            0.0,
            (CAST(p.cutoff_ms AS double)
                - to_unixtime(from_iso8601_timestamp(ep.creation_date)) * 1000.0) / 86400000.0
        )
    END AS tenure_days,
    CASE WHEN ep.channel_type = 'SMS' THEN 1 ELSE 0 END AS is_sms,
    p.sessions_3d,
    p.sessions_14d,
    p.sessions_7_14d,
    p.sessions_14_28d,
    p.sessions_60_90d,
    p.active_days_14d,
    p.sessions_365d,
    p.sessions_1d,
    coalesce(p.days_since_last_response, 365.0) AS days_since_last_response,
    coalesce(CAST(p.email_opens_30_90d AS double) / nullif(p.email_delivered_30_90d, 0), -1.0)
        AS email_open_rate_30_90d,
    coalesce(CAST(p.email_opens_30d AS double) / nullif(p.email_delivered_30d, 0), -1.0)
        AS email_open_rate_30d,
    coalesce(CAST(p.sms_replies_30d AS double) / nullif(p.sms_delivered_30d, 0), -1.0)
        AS sms_reply_rate_30d,
    -- sessions a day over the part of the last 90 days the endpoint existed, and how
    -- many sessions that rate would have given since the last one: a long silence from a
    -- frequent visitor is the sign of a change.
    CAST(p.sessions_90d AS double) / greatest(1.0, least(90.0, CASE
            WHEN ep.creation_date IS NULL THEN 90.0
            ELSE (CAST(p.cutoff_ms AS double)
                - to_unixtime(from_iso8601_timestamp(ep.creation_date)) * 1000.0) / 86400000.0
        END)) AS session_rate_90d,
    coalesce(p.days_since_last_session, 365.0) * CAST(p.sessions_90d AS double)
        / greatest(1.0, least(90.0, CASE
            WHEN ep.creation_date IS NULL THEN 90.0
            ELSE (CAST(p.cutoff_ms AS double)
                - to_unixtime(from_iso8601_timestamp(ep.creation_date)) * 1000.0) / 86400000.0
        END)) AS expected_sessions_since_last,
    CASE
        WHEN p.split = 'score' THEN NULL
        WHEN p.future_activity = 0 THEN 1
        ELSE 0
    END AS churned
FROM per_endpoint AS p
JOIN endpoints AS ep ON ep.id = p.endpoint_id
WHERE p.recent_activity > 0
    AND (
        ep.creation_date IS NULL
        OR to_unixtime(from_iso8601_timestamp(ep.creation_date)) * 1000.0 < p.cutoff_ms
    )
ORDER BY p.split, p.endpoint_id
