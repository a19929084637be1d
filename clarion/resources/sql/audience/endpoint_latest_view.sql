-- View endpoint_latest: the newest version of every endpoint, tombstones included.
-- It reads the newest compaction snapshot plus the changes that may have landed after it.
-- {columns} is replaced at synth time by the endpoint columns, in order.
-- Stream records live 24 hours and Firehose buffers for at most 15 minutes, so a change
-- made more than two days before a snapshot was taken is already in that snapshot:
-- reading changes from two days before it is enough, and the ranking removes overlaps.
WITH latest_snapshot AS (
    SELECT max(snapshot_ms) AS snapshot_ms FROM endpoint_snapshot
),
versions AS (
    SELECT {columns}, change_sequence, changed_at_ms, deleted
    FROM endpoint_snapshot
    WHERE snapshot_ms = (SELECT snapshot_ms FROM latest_snapshot)
    UNION ALL
    SELECT {columns}, change_sequence, changed_at_ms, deleted
    FROM endpoint_changes
    WHERE changed_at_ms > coalesce((SELECT snapshot_ms FROM latest_snapshot) - 172800000, -1)
),
ranked AS (
    SELECT
        versions.*,
        row_number() OVER (PARTITION BY id ORDER BY change_sequence DESC) AS version_rank
    FROM versions
)
SELECT {columns}, change_sequence, changed_at_ms, deleted
FROM ranked
WHERE version_rank = 1
