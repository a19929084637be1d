-- Campaign metrics by campaign, treatment, run and day: the one SQL source.
--
-- Trino SQL over the `events` table (columns in clarion/resources/contracts/events_columns.json, plus the
-- `dt` partition). Athena runs it as is (the view `campaign_metrics` is this query);
-- the local backend transpiles it to DuckDB with sqlglot. docs/analytics.md defines
-- every column.
--
-- Message counts are distinct message ids (`attributes['message_id']`; the event id when
-- a record has none), so a record stored twice, a repeated open and the several SMS
-- statuses of one message each count once. Push and custom messages have no provider
-- event: their `_campaign.send` with status SUCCESS is the send. `grain` says which
-- grouping a row is:
--   campaign           one row per campaign
--   treatment          per campaign and treatment (HOLDOUT is the held-out endpoints)
--   run                per campaign and run
--   day                per campaign and UTC event date
--   treatment_run_day  per campaign, treatment, run and date
WITH campaign_events AS (
    SELECT
        element_at(attributes, 'campaign_id') AS campaign_id,
        CASE
            WHEN event_type = '_campaign.send'
                AND element_at(attributes, 'campaign_send_status') = 'HOLDOUT'
                THEN 'HOLDOUT'
            ELSE element_at(attributes, 'treatment_id')
        END AS treatment_id,
        element_at(attributes, 'run_id') AS run_id,
        dt AS day,
        event_type,
        element_at(attributes, 'campaign_send_status') AS send_status,
        element_at(attributes, 'delivery_type') AS delivery_type,
        endpoint_id,
        coalesce(element_at(attributes, 'message_id'), event_id) AS message_key
    FROM events
    WHERE element_at(attributes, 'campaign_id') IS NOT NULL
),
counts AS (
    SELECT
        campaign_id,
        CASE grouping(treatment_id, run_id, day)
            WHEN 7 THEN 'campaign'
            WHEN 3 THEN 'treatment'
            WHEN 5 THEN 'run'
            WHEN 6 THEN 'day'
            ELSE 'treatment_run_day'
        END AS grain,
        treatment_id,
        run_id,
        day,
        count(DISTINCT CASE
            WHEN event_type IN ('_email.send', '_SMS.BUFFERED', '_MMS.BUFFERED', '_VOICE.BUFFERED')
                THEN message_key
            WHEN event_type = '_campaign.send' AND send_status = 'SUCCESS'
                AND delivery_type IN (
                    'APNS', 'APNS_SANDBOX', 'APNS_VOIP', 'APNS_VOIP_SANDBOX', 'GCM', 'BAIDU', 'ADM',
                    'CUSTOM'
                )
                THEN message_key
        END) AS sent,
        count(DISTINCT CASE
            WHEN event_type IN ('_email.delivered', '_SMS.SUCCESS', '_MMS.SUCCESS', '_VOICE.SUCCESS')
                THEN message_key
        END) AS delivered,
        count(DISTINCT CASE WHEN event_type = '_email.open' THEN message_key END) AS opened,
        count(DISTINCT CASE WHEN event_type = '_email.click' THEN message_key END) AS clicked,
        count(DISTINCT CASE
            WHEN event_type IN ('_email.hardbounce', '_email.softbounce') THEN message_key
        END) AS bounced,
        count(DISTINCT CASE WHEN event_type = '_email.complaint' THEN message_key END)
            AS complained,
        count(DISTINCT CASE WHEN event_type = '_email.unsubscribe' THEN message_key END)
            AS unsubscribed,
        count(DISTINCT CASE
            WHEN event_type IN ('_email.delivered', '_SMS.SUCCESS', '_MMS.SUCCESS', '_VOICE.SUCCESS')
                THEN endpoint_id
        END) AS endpoint_deliveries,
        count(DISTINCT CASE
            WHEN event_type = '_campaign.send' AND coalesce(send_status, '') <> 'HOLDOUT'
                THEN endpoint_id
            WHEN event_type IN ('_email.send', '_SMS.BUFFERED', '_MMS.BUFFERED', '_VOICE.BUFFERED')
                THEN endpoint_id
        END) AS endpoints_targeted,
        count(DISTINCT CASE
            WHEN event_type = '_campaign.send' AND send_status = 'HOLDOUT' THEN endpoint_id
        END) AS holdout_endpoints
    FROM campaign_events
    GROUP BY GROUPING SETS (
        (campaign_id),
        (campaign_id, treatment_id),
        (campaign_id, run_id),
        (campaign_id, day),
        (campaign_id, treatment_id, run_id, day)
    )
)
SELECT
    campaign_id,
    grain,
    treatment_id,
    run_id,
    day,
    sent,
    delivered,
    opened,
    clicked,
    bounced,
    complained,
    unsubscribed,
    endpoint_deliveries,
    endpoints_targeted,
    holdout_endpoints,
    CAST(delivered AS double) / nullif(sent, 0) AS delivery_rate,
    CAST(opened AS double) / nullif(delivered, 0) AS open_rate,
    CAST(clicked AS double) / nullif(delivered, 0) AS click_rate,
    CAST(bounced AS double) / nullif(sent, 0) AS bounce_rate
FROM counts
