-- View endpoints: what segment SQL reads, exactly the endpoint columns, deleted
-- endpoints left out.
SELECT {columns}
FROM endpoint_latest
WHERE NOT deleted
