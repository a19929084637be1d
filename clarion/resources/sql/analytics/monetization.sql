-- Purchases, paying endpoints, units sold and revenue (the Revenue page of Pinpoint's
-- console, which had no API names), in total and per UTC day, over a period (Trino SQL;
-- DuckDB after sqlglot). Parameters: :since and :until (yyyy-MM-dd, the partitions read),
-- :from_ms and :to_ms (epoch ms, [from, to)), :currency (revenue counts purchases in it,
-- or with no `_currency`; the others are counted in `revenue_excluded`).
-- Revenue is `_item_price` x `_quantity` (1 when absent), in decimals to the millionth so
-- that sums are exact on both engines; units are `_quantity` (1 when absent).
WITH purchases AS (
    SELECT DISTINCT
        event_id,
        endpoint_id,
        dt AS day,
        coalesce(element_at(metrics, '_quantity'), 1e0) AS quantity,
        CAST(
            element_at(metrics, '_item_price') * coalesce(element_at(metrics, '_quantity'), 1e0)
            AS decimal(38, 6)
        ) AS amount,
        coalesce(element_at(attributes, '_currency'), :currency) = :currency AS in_currency
    FROM events
    WHERE event_type = '_monetization.purchase'
        AND dt BETWEEN :since AND :until
        AND event_timestamp >= :from_ms
        AND event_timestamp < :to_ms
)
SELECT
    CASE WHEN grouping(day) = 1 THEN 'period' ELSE 'day' END AS grain,
    day,
    count(DISTINCT event_id) AS purchases,
    count(DISTINCT endpoint_id) AS paying_endpoints,
    sum(quantity) AS units_sold,
    coalesce(sum(CASE WHEN in_currency THEN amount END), 0) AS revenue,
    count(DISTINCT CASE WHEN NOT in_currency AND amount IS NOT NULL THEN event_id END)
        AS revenue_excluded
FROM purchases
GROUP BY GROUPING SETS ((), (day))
