-- Events by UTC date and event type (Trino SQL; the view `event_counts`).
-- `events` counts distinct event ids, so a record stored twice counts once;
-- `endpoints` counts the distinct endpoints the events belong to.
SELECT
    dt AS day,
    event_type,
    count(DISTINCT event_id) AS events,
    count(DISTINCT endpoint_id) AS endpoints
FROM events
GROUP BY dt, event_type
