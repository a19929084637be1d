-- Compaction: write the current version of every live endpoint into a new snapshot
-- partition. {columns} is filled at synth time; {snapshot_ms} by the compaction function
-- (the partition value, epoch milliseconds, which the endpoint_latest view reads).
INSERT INTO endpoint_snapshot
SELECT {columns}, change_sequence, changed_at_ms, deleted, {snapshot_ms}
FROM endpoint_latest
WHERE NOT deleted
