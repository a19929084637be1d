-- Conversions: who converted after a campaign's messages (attribution), and how many
-- converted because of them (the holdout experiment). The one SQL source: Athena runs it
-- as written, the local backend after sqlglot transpiles it to DuckDB; docs/analytics.md
-- defines every column.
--
-- Trino SQL over `events` (clarion/resources/contracts/events_columns.json, plus `dt`).
-- The service fills in the goals being measured: the rows of `goals` (one per source and
-- goal; the row below is a stand-in that matches nothing) and the placeholder
-- :goal_filter in `goal_events` (each goal's EventFilter, compiled by
-- clarion/domain/analytics/goal_sql.py). The other parameters bound as literals:
--   :touch_since, :send_since, :send_until, :event_until   yyyy-MM-dd partition bounds
--     (sends of the measured sources are read from send_since to send_until, other
--     messages that compete for the credit from touch_since, conversions until
--     event_until), so Athena reads only those days;
--   :conversions_from_ms, :conversions_to_ms   which conversions count (epoch ms,
--     [from, to)): a date range for the KPIs, everything otherwise.
--
-- Sources: a campaign's `_campaign.send` records (one per endpoint and run) say who was
-- held out (campaign_send_status HOLDOUT), who got a message (SUCCESS), and who reached
-- the random assignment at all. A journey joins by adding its `_journey.send` records to
-- `sends` (source_kind 'journey', the journey activity as the variant, the journey run
-- as the run): everything below works on those columns alone.
--
-- `section` and `grain` say what a row is:
--   attribution  arm | variant | run | variant_run   touches (messages, and the held-out
--                endpoints' would-be messages) and the conversions credited to them
--   attribution  day        credited conversions by the UTC date they happened
--   attribution  days_after credited conversions by whole days after their message
--   experiment   arm | variant    every assigned endpoint, its conversions in the window
--                after its first assignment (run_id '' : the whole campaign) or after
--                that run's assignment (run_id set)
WITH goals AS (
    SELECT *
    FROM (
        VALUES (
            CAST('campaign' AS varchar),
            CAST('' AS varchar),
            CAST('purchase' AS varchar),
            CAST(604800000 AS bigint),
            FALSE,
            CAST(NULL AS varchar),
            CAST('USD' AS varchar)
        )
    ) AS g (source_kind, source_id, goal, window_ms, first_touch, revenue_metric, currency)
),
sources AS (
    SELECT DISTINCT source_kind, source_id FROM goals
),
sends AS (
    SELECT DISTINCT
        'campaign' AS source_kind,
        element_at(attributes, 'campaign_id') AS source_id,
        CASE
            WHEN element_at(attributes, 'campaign_send_status') = 'HOLDOUT' THEN 'HOLDOUT'
            ELSE coalesce(element_at(attributes, 'treatment_id'), '0')
        END AS variant,
        coalesce(
            element_at(attributes, 'run_id'), element_at(attributes, 'campaign_activity_id'), ''
        ) AS run_id,
        coalesce(element_at(attributes, 'campaign_send_status'), '') AS status,
        endpoint_id,
        event_timestamp AS at_ms,
        dt
    FROM events
    WHERE event_type = '_campaign.send'
        AND dt BETWEEN :touch_since AND :event_until
        AND endpoint_id IS NOT NULL
        AND element_at(attributes, 'campaign_id') IS NOT NULL
),
-- The experiment: endpoints of the measured sources that reached the random assignment
-- (held out, or given a treatment whether or not its message then left). Endpoints
-- skipped before it (opted out, capped, expired, in quiet time) are in neither arm.
assignments AS (
    SELECT s.source_kind, s.source_id, s.variant, s.run_id, s.endpoint_id, s.at_ms
    FROM sends AS s
    JOIN sources AS m ON m.source_kind = s.source_kind AND m.source_id = s.source_id
    WHERE s.dt BETWEEN :send_since AND :send_until
        AND s.status NOT IN ('OPT_OUT', 'DAILY_CAP', 'TOTAL_CAP', 'EXPIRED', 'QUIET_TIME')
),
audience AS (
    SELECT DISTINCT endpoint_id FROM assignments
),
-- What can take the credit for a conversion: every message that left (any source), and
-- a measured source's held-out endpoints' would-be messages (for the holdout's figures).
touches AS (
    SELECT
        s.source_kind,
        s.source_id,
        s.variant,
        s.run_id,
        s.endpoint_id,
        s.at_ms,
        s.status = 'SUCCESS' AS is_message
    FROM sends AS s
    JOIN audience AS a ON a.endpoint_id = s.endpoint_id
    WHERE s.status = 'SUCCESS' OR s.status = 'HOLDOUT'
),
goal_events AS (
    SELECT DISTINCT
        g.source_kind,
        g.source_id,
        g.goal,
        e.event_id,
        e.endpoint_id,
        e.event_timestamp AS at_ms,
        e.dt AS day,
        -- In decimals to the millionth, so sums are exact on both engines.
        CAST(
            CASE
                WHEN g.revenue_metric IS NULL
                    THEN element_at(e.metrics, '_item_price')
                        * coalesce(element_at(e.metrics, '_quantity'), 1e0)
                ELSE element_at(e.metrics, g.revenue_metric)
            END AS decimal(38, 6)
        ) AS amount,
        coalesce(element_at(e.attributes, '_currency'), g.currency) = g.currency AS in_currency
    FROM events AS e
    CROSS JOIN goals AS g
    WHERE e.dt BETWEEN :send_since AND :event_until
        AND e.event_timestamp >= :conversions_from_ms
        AND e.event_timestamp < :conversions_to_ms
        AND e.endpoint_id IN (SELECT endpoint_id FROM audience)
        AND :goal_filter
),
-- Each conversion against the touches in its goal's window before it: the last (or the
-- first) takes the credit. For a source's own figures, its held-out endpoints' would-be
-- messages compete as if sent; other sources' held-out records never do.
candidates AS (
    SELECT
        c.source_kind,
        c.source_id,
        c.goal,
        c.event_id,
        c.endpoint_id,
        c.at_ms AS converted_ms,
        c.day,
        c.amount,
        c.in_currency,
        t.source_kind AS touch_kind,
        t.source_id AS touch_source,
        t.variant,
        t.run_id,
        t.at_ms AS touched_ms,
        row_number() OVER (
            PARTITION BY c.source_kind, c.source_id, c.goal, c.event_id
            ORDER BY
                CASE WHEN g.first_touch THEN t.at_ms ELSE -t.at_ms END,
                t.source_kind,
                t.source_id,
                t.run_id,
                t.variant
        ) AS place
    FROM goal_events AS c
    JOIN goals AS g
        ON g.source_kind = c.source_kind AND g.source_id = c.source_id AND g.goal = c.goal
    JOIN touches AS t
        ON t.endpoint_id = c.endpoint_id
        AND t.at_ms <= c.at_ms
        AND c.at_ms < t.at_ms + g.window_ms
        AND (t.is_message OR (t.source_kind = c.source_kind AND t.source_id = c.source_id))
),
attributed AS (
    SELECT *
    FROM candidates
    WHERE place = 1 AND touch_kind = source_kind AND touch_source = source_id
),
clicks AS (
    SELECT
        element_at(attributes, 'campaign_id') AS source_id,
        coalesce(
            element_at(attributes, 'run_id'), element_at(attributes, 'campaign_activity_id'), ''
        ) AS run_id,
        endpoint_id,
        event_timestamp AS clicked_ms
    FROM events
    WHERE event_type IN ('_email.click', '_campaign.opened_notification')
        AND dt BETWEEN :send_since AND :event_until
        AND element_at(attributes, 'campaign_id') IN (
            SELECT source_id FROM sources WHERE source_kind = 'campaign'
        )
),
-- One row per goal and touch of a measured source: what was credited to it.
touch_outcomes AS (
    SELECT
        t.source_kind,
        t.source_id,
        g.goal,
        CASE WHEN t.variant = 'HOLDOUT' THEN 'holdout' ELSE 'treated' END AS arm,
        t.variant,
        t.run_id,
        t.endpoint_id,
        t.at_ms,
        count(DISTINCT a.event_id) AS conversions,
        coalesce(sum(CASE WHEN a.in_currency THEN a.amount END), 0) AS revenue,
        count(DISTINCT CASE WHEN NOT a.in_currency AND a.amount IS NOT NULL THEN a.event_id END)
            AS revenue_excluded,
        min(a.converted_ms) AS first_converted_ms,
        max(a.converted_ms) AS last_converted_ms
    FROM touches AS t
    JOIN goals AS g ON g.source_kind = t.source_kind AND g.source_id = t.source_id
    LEFT JOIN attributed AS a
        ON a.source_kind = t.source_kind
        AND a.source_id = t.source_id
        AND a.goal = g.goal
        AND a.variant = t.variant
        AND a.run_id = t.run_id
        AND a.endpoint_id = t.endpoint_id
        AND a.touched_ms = t.at_ms
    WHERE t.is_message OR t.variant = 'HOLDOUT'
    GROUP BY t.source_kind, t.source_id, g.goal, t.variant, t.run_id, t.endpoint_id, t.at_ms
),
touch_clicks AS (
    SELECT
        o.source_kind,
        o.source_id,
        o.goal,
        o.arm,
        o.variant,
        o.run_id,
        o.endpoint_id,
        o.at_ms,
        o.conversions,
        o.revenue,
        o.revenue_excluded,
        o.first_converted_ms,
        o.last_converted_ms,
        min(k.clicked_ms) AS clicked_ms
    FROM touch_outcomes AS o
    LEFT JOIN clicks AS k
        ON o.source_kind = 'campaign'
        AND k.source_id = o.source_id
        AND k.run_id = o.run_id
        AND k.endpoint_id = o.endpoint_id
        AND k.clicked_ms >= o.at_ms
    GROUP BY
        o.source_kind, o.source_id, o.goal, o.arm, o.variant, o.run_id, o.endpoint_id, o.at_ms,
        o.conversions, o.revenue, o.revenue_excluded, o.first_converted_ms, o.last_converted_ms
),
attribution AS (
    SELECT
        source_kind,
        source_id,
        goal,
        CASE grouping(variant, run_id)
            WHEN 3 THEN 'arm'
            WHEN 1 THEN 'variant'
            WHEN 2 THEN 'run'
            ELSE 'variant_run'
        END AS grain,
        arm,
        variant,
        run_id,
        count(DISTINCT endpoint_id) AS endpoints,
        count(*) AS messages,
        count(DISTINCT CASE WHEN conversions > 0 THEN endpoint_id END) AS converted_endpoints,
        count_if(conversions > 0) AS converted_messages,
        sum(conversions) AS conversions,
        sum(revenue) AS revenue,
        sum(revenue_excluded) AS revenue_excluded,
        coalesce(sum(CASE WHEN conversions > 0 THEN first_converted_ms - at_ms END), 0)
            AS milliseconds_to_convert,
        count_if(clicked_ms IS NOT NULL) AS clicked_messages,
        count_if(clicked_ms IS NOT NULL AND last_converted_ms >= clicked_ms)
            AS clicked_converted_messages
    FROM touch_clicks
    GROUP BY GROUPING SETS (
        (source_kind, source_id, goal, arm),
        (source_kind, source_id, goal, arm, variant),
        (source_kind, source_id, goal, arm, run_id),
        (source_kind, source_id, goal, arm, variant, run_id)
    )
),
attribution_days AS (
    SELECT
        source_kind,
        source_id,
        goal,
        arm,
        CASE WHEN grouping(day) = 0 THEN 'day' ELSE 'days_after' END AS grain,
        day,
        days_after,
        count(DISTINCT endpoint_id) AS converted_endpoints,
        count(DISTINCT event_id) AS conversions,
        coalesce(sum(CASE WHEN in_currency THEN amount END), 0) AS revenue,
        count(DISTINCT CASE WHEN NOT in_currency AND amount IS NOT NULL THEN event_id END)
            AS revenue_excluded
    FROM (
        SELECT
            *,
            CASE WHEN variant = 'HOLDOUT' THEN 'holdout' ELSE 'treated' END AS arm,
            -- Whole days from the credited message to the conversion (0: within a day).
            CAST(floor(CAST(converted_ms - touched_ms AS double) / 86400000e0) AS bigint)
                AS days_after
        FROM attributed
    ) AS credited
    GROUP BY GROUPING SETS (
        (source_kind, source_id, goal, arm, day),
        (source_kind, source_id, goal, arm, days_after)
    )
),
-- The experiment: each assigned endpoint's window, over the whole campaign (from its
-- first assignment to its last one's window end; run_id '') and per run.
exposures AS (
    SELECT
        a.source_kind,
        a.source_id,
        g.goal,
        '' AS run_id,
        a.endpoint_id,
        min_by(a.variant, a.at_ms) AS variant,
        min(a.at_ms) AS start_ms,
        max(a.at_ms) + min(g.window_ms) AS end_ms
    FROM assignments AS a
    JOIN goals AS g ON g.source_kind = a.source_kind AND g.source_id = a.source_id
    GROUP BY a.source_kind, a.source_id, g.goal, a.endpoint_id
    UNION ALL
    SELECT
        a.source_kind,
        a.source_id,
        g.goal,
        a.run_id,
        a.endpoint_id,
        min_by(a.variant, a.at_ms) AS variant,
        min(a.at_ms) AS start_ms,
        min(a.at_ms) + min(g.window_ms) AS end_ms
    FROM assignments AS a
    JOIN goals AS g ON g.source_kind = a.source_kind AND g.source_id = a.source_id
    WHERE a.run_id <> ''
    GROUP BY a.source_kind, a.source_id, g.goal, a.run_id, a.endpoint_id
),
exposure_outcomes AS (
    SELECT
        x.source_kind,
        x.source_id,
        x.goal,
        x.run_id,
        x.endpoint_id,
        CASE WHEN x.variant = 'HOLDOUT' THEN 'holdout' ELSE 'treated' END AS arm,
        x.variant,
        x.end_ms,
        count(DISTINCT c.event_id) AS conversions,
        coalesce(sum(CASE WHEN c.in_currency THEN c.amount END), 0) AS revenue,
        count(DISTINCT CASE WHEN NOT c.in_currency AND c.amount IS NOT NULL THEN c.event_id END)
            AS revenue_excluded
    FROM exposures AS x
    LEFT JOIN goal_events AS c
        ON c.source_kind = x.source_kind
        AND c.source_id = x.source_id
        AND c.goal = x.goal
        AND c.endpoint_id = x.endpoint_id
        AND c.at_ms >= x.start_ms
        AND c.at_ms < x.end_ms
    GROUP BY x.source_kind, x.source_id, x.goal, x.run_id, x.endpoint_id, x.variant, x.end_ms
),
experiment AS (
    SELECT
        source_kind,
        source_id,
        goal,
        CASE WHEN grouping(variant) = 1 THEN 'arm' ELSE 'variant' END AS grain,
        arm,
        variant,
        run_id,
        count(*) AS endpoints,
        count_if(conversions > 0) AS converted_endpoints,
        sum(conversions) AS conversions,
        sum(conversions * conversions) AS conversions_squares,
        sum(revenue) AS revenue,
        sum(CAST(revenue AS double) * CAST(revenue AS double)) AS revenue_squares,
        sum(revenue_excluded) AS revenue_excluded,
        max(end_ms) AS window_end_ms
    FROM exposure_outcomes
    GROUP BY GROUPING SETS (
        (source_kind, source_id, goal, run_id, arm),
        (source_kind, source_id, goal, run_id, arm, variant)
    )
)
SELECT
    'attribution' AS section,
    grain,
    source_kind,
    source_id,
    goal,
    arm,
    variant,
    run_id,
    CAST(NULL AS varchar) AS day,
    CAST(NULL AS bigint) AS days_after,
    endpoints,
    messages,
    converted_endpoints,
    converted_messages,
    conversions,
    CAST(NULL AS bigint) AS conversions_squares,
    revenue,
    CAST(NULL AS double) AS revenue_squares,
    revenue_excluded,
    milliseconds_to_convert,
    clicked_messages,
    clicked_converted_messages,
    CAST(NULL AS bigint) AS window_end_ms
FROM attribution
UNION ALL
SELECT
    'attribution',
    grain,
    source_kind,
    source_id,
    goal,
    arm,
    CAST(NULL AS varchar),
    CAST(NULL AS varchar),
    day,
    days_after,
    CAST(NULL AS bigint),
    CAST(NULL AS bigint),
    converted_endpoints,
    CAST(NULL AS bigint),
    conversions,
    CAST(NULL AS bigint),
    revenue,
    CAST(NULL AS double),
    revenue_excluded,
    CAST(NULL AS bigint),
    CAST(NULL AS bigint),
    CAST(NULL AS bigint),
    CAST(NULL AS bigint)
FROM attribution_days
UNION ALL
SELECT
    'experiment',
    grain,
    source_kind,
    source_id,
    goal,
    arm,
    variant,
    run_id,
    CAST(NULL AS varchar),
    CAST(NULL AS bigint),
    endpoints,
    CAST(NULL AS bigint),
    converted_endpoints,
    CAST(NULL AS bigint),
    conversions,
    conversions_squares,
    revenue,
    revenue_squares,
    revenue_excluded,
    CAST(NULL AS bigint),
    CAST(NULL AS bigint),
    CAST(NULL AS bigint),
    window_end_ms
FROM experiment
