-- Journey engagement counts by journey, activity and day: the one SQL source of the
-- journey KPIs (GetJourneyDateRangeKpi's journey-emails-* names).
--
-- Trino SQL over the `events` table (columns in clarion/resources/contracts/events_columns.json,
-- plus the `dt` partition); the local backend transpiles it to DuckDB with sqlglot.
-- Journey messages' delivery and engagement events carry `journey_id` and
-- `journey_activity_id` (from the message tags). Sends, deliveries, opens, bounces,
-- complaints and rejections count distinct messages (a repeated open counts once); clicks
-- and unsubscribes count every event, as Pinpoint's definitions of those KPIs do.
WITH journey_events AS (
    SELECT
        element_at(attributes, 'journey_id') AS journey_id,
        element_at(attributes, 'journey_activity_id') AS journey_activity_id,
        dt AS day,
        event_type,
        event_id,
        coalesce(element_at(attributes, 'message_id'), event_id) AS message_key
    FROM events
    WHERE element_at(attributes, 'journey_id') IS NOT NULL
        AND event_type IN (
            '_email.send', '_email.delivered', '_email.open', '_email.click',
            '_email.hardbounce', '_email.softbounce', '_email.complaint', '_email.rejected',
            '_email.unsubscribe'
        )
)
SELECT
    journey_id,
    journey_activity_id,
    day,
    count(DISTINCT CASE WHEN event_type = '_email.send' THEN message_key END) AS emails_sent,
    count(DISTINCT CASE WHEN event_type = '_email.delivered' THEN message_key END)
        AS emails_delivered,
    count(DISTINCT CASE WHEN event_type = '_email.open' THEN message_key END) AS emails_opened,
    count(DISTINCT CASE WHEN event_type = '_email.click' THEN event_id END) AS emails_clicked,
    count(DISTINCT CASE WHEN event_type = '_email.hardbounce' THEN message_key END)
        AS emails_hardbounced,
    count(DISTINCT CASE WHEN event_type = '_email.softbounce' THEN message_key END)
        AS emails_softbounced,
    count(DISTINCT CASE WHEN event_type = '_email.complaint' THEN message_key END)
        AS emails_complained,
    count(DISTINCT CASE WHEN event_type = '_email.rejected' THEN message_key END)
        AS emails_rejected,
    count(DISTINCT CASE WHEN event_type = '_email.unsubscribe' THEN event_id END)
        AS emails_unsubscribed
FROM journey_events
GROUP BY journey_id, journey_activity_id, day
