-- Churn features and labels: the one SQL source (Trino, as Athena runs it; the local
-- backend transpiles it to DuckDB with sqlglot). docs/churn.md defines every column.
--
-- Relations: `endpoints` (clarion/domain/audience/rows.py) and `events`
-- (clarion/resources/contracts/events_columns.json). Parameters (bound as literals, never formatted in):
--   :train_cutoff_ms, :eval_cutoff_ms, :score_cutoff_ms  epoch ms of each cut-off, or 0
--                                                         to leave that split out
--   :activity_events  the definition's activity event types as one ',a,b,' string
--   :label_days    the window after a cut-off; churned = no activity event in it
--   :active_days   only endpoints with an activity event in these days before the
--                  cut-off are in the population
--   :lookback_days how far back features look (a year, or :active_days if longer)
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
        min(cutoff_ms) - CAST(:lookback_days AS bigint) * 86400000 AS first_ms,
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
        AND (
            e.event_type IN (
                '_session.start', '_monetization.purchase',
                '_email.delivered', '_email.open', '_email.click',
                '_email.hardbounce', '_email.softbounce', '_email.complaint',
                '_email.unsubscribe', '_SMS.SUCCESS', '_SMS.RECEIVED', '_SMS.OPTOUT'
            )
            OR strpos(:activity_events, ',' || e.event_type || ',') > 0
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
        strpos(:activity_events, ',' || r.event_type || ',') > 0 AS is_activity
    FROM relevant AS r
    CROSS JOIN cutoffs AS c
    WHERE r.ts >= c.cutoff_ms - CAST(:lookback_days AS bigint) * 86400000
        AND r.ts < c.cutoff_ms + CAST(:label_days AS bigint) * 86400000
),
-- The days (UTC) with an activity event before the cut-off, and the gap to the one before:
-- the history in the buy-till-you-die sense (a transaction is an active day).
activity_days AS (
    SELECT
        split,
        cutoff_ms,
        endpoint_id,
        day,
        day - lag(day) OVER (PARTITION BY split, endpoint_id ORDER BY day) AS gap
    FROM (
        SELECT DISTINCT split, cutoff_ms, endpoint_id, floor(CAST(ts AS double) / 86400000.0) AS day
        FROM windowed
        WHERE is_activity AND age_days > 0
    ) AS d
),
histories AS (
    SELECT
        split,
        endpoint_id,
        count(*) - 1 AS btyd_frequency,
        max(day) - min(day) AS btyd_recency,
        floor(CAST(max(cutoff_ms) AS double) / 86400000.0) - min(day) AS btyd_age,
        stddev_pop(gap) AS gap_std,
        count(gap) AS gaps
    FROM activity_days
    GROUP BY split, endpoint_id
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
        count_if(age_days > 0 AND age_days <= 7 AND is_activity) AS activity_7d,
        count_if(age_days > 0 AND age_days <= 30 AND is_activity) AS activity_30d,
        count_if(age_days > 0 AND age_days <= 90 AND is_activity) AS activity_90d,
        count_if(age_days > 30 AND age_days <= 90 AND is_activity) AS activity_30_90d,
        count_if(age_days > 0 AND age_days <= 365 AND is_activity) AS activity_365d,
        count_if(age_days > 0 AND age_days <= 365 AND event_type = '_monetization.purchase')
            AS purchases_365d,
        count_if(age_days > 90 AND age_days <= 180 AND event_type = '_monetization.purchase')
            AS purchases_90_180d,
        sum(CASE WHEN age_days > 0 AND age_days <= 365 THEN revenue ELSE 0.0 END) AS revenue_365d,
        sum(CASE WHEN age_days > 90 AND age_days <= 180 THEN revenue ELSE 0.0 END)
            AS revenue_90_180d,
        count_if(age_days > 0 AND age_days <= :active_days AND is_activity) AS recent_activity,
        count_if(age_days <= 0 AND is_activity) AS future_activity
    FROM windowed
    GROUP BY split, cutoff_ms, endpoint_id
)
SELECT
    p.endpoint_id AS id,
    p.split,
    coalesce(p.days_since_last_activity, CAST(:lookback_days AS double))
        AS days_since_last_activity,
    coalesce(p.days_since_last_session, CAST(:lookback_days AS double)) AS days_since_last_session,
    coalesce(p.days_since_last_purchase, CAST(:lookback_days AS double))
        AS days_since_last_purchase,
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
    coalesce(p.days_since_last_response, CAST(:lookback_days AS double))
        AS days_since_last_response,
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
    coalesce(p.days_since_last_session, CAST(:lookback_days AS double))
        * CAST(p.sessions_90d AS double)
        / greatest(1.0, least(90.0, CASE
            WHEN ep.creation_date IS NULL THEN 90.0
            ELSE (CAST(p.cutoff_ms AS double)
                - to_unixtime(from_iso8601_timestamp(ep.creation_date)) * 1000.0) / 86400000.0
        END)) AS expected_sessions_since_last,
    p.activity_7d,
    p.activity_30d,
    p.activity_90d,
    p.activity_30_90d,
    p.activity_365d,
    CAST(h.btyd_frequency AS double) AS btyd_frequency,
    CAST(h.btyd_recency AS double) AS btyd_recency,
    CAST(h.btyd_age AS double) AS btyd_age,
    -- The customer's own typical gap between active days, how much it varies, and the
    -- silence since the last one in those units (-1 without two active days).
    CASE
        WHEN h.btyd_frequency > 0
            THEN CAST(h.btyd_recency AS double) / CAST(h.btyd_frequency AS double)
        ELSE -1.0
    END AS gap_mean_days,
    CASE WHEN h.gaps > 1 THEN h.gap_std ELSE -1.0 END AS gap_std_days,
    CASE
        WHEN h.btyd_frequency > 0 AND h.btyd_recency > 0
            THEN coalesce(p.days_since_last_activity, CAST(:lookback_days AS double))
                * CAST(h.btyd_frequency AS double) / CAST(h.btyd_recency AS double)
        ELSE -1.0
    END AS gap_overdue,
    p.purchases_365d,
    p.purchases_90_180d,
    p.revenue_365d,
    p.revenue_90_180d,
    p.revenue_90d - p.revenue_90_180d AS revenue_trend,
    coalesce(p.revenue_365d / nullif(CAST(p.purchases_365d AS double), 0.0), -1.0)
        AS avg_order_value,
    CASE
        WHEN p.split = 'score' THEN NULL
        WHEN p.future_activity = 0 THEN 1
        ELSE 0
    END AS churned
FROM per_endpoint AS p
JOIN endpoints AS ep ON ep.id = p.endpoint_id
JOIN histories AS h ON h.split = p.split AND h.endpoint_id = p.endpoint_id
WHERE p.recent_activity > 0
    AND (
        ep.creation_date IS NULL
        OR to_unixtime(from_iso8601_timestamp(ep.creation_date)) * 1000.0 < p.cutoff_ms
    )
ORDER BY p.split, p.endpoint_id
