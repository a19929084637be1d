"""Athena cost proxy: bytes read by the campaign-metrics query, Parquet by date against
raw JSON lines.

Athena bills by bytes scanned. The same events (``--count``, 1,000,000 by default,
spread over 90 days and 200 campaigns) are written twice: as Parquet partitioned by
``dt=YYYY-MM-DD`` (what Firehose writes) and as raw JSON lines (what a lake without
conversion would hold). The campaign-metrics SQL (clarion/resources/sql/analytics, transpiled to
DuckDB) then runs over each, for one campaign and one week, and DuckDB's profiler
reports the bytes it read from disk (``io.total_bytes_read``): partition pruning skips
the other days' files, and Parquet reads only the columns the query names.

    python -m bench.bench_scan_bytes [--count N]

Prints a JSON result and writes it to bench/out/scan_bytes.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
DAYS = 90
CAMPAIGNS = 200
EVENT_TYPES = (
    "_email.send",
    "_email.delivered",
    "_email.open",
    "_email.click",
    "_email.hardbounce",
    "_SMS.BUFFERED",
    "_SMS.SUCCESS",
    "_session.start",
)


def _generate(connection: Any, count: int) -> None:
    """An ``events`` table of synthetic rows with the real columns."""
    from clarion.adapters.local.events import event_sink as local_events

    local_events._create_tables(connection)
    types = "[" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + "]"
    start_ms = 1767225600000  # 2026-01-01T00:00:00Z
    connection.execute(
        f"""
        INSERT INTO events
        SELECT
            md5(i::VARCHAR) AS event_id,
            {types}[1 + (i % {len(EVENT_TYPES)})] AS event_type,
            {start_ms} + (i % {DAYS}) * 86400000 + (i * 37) % 86400000 AS event_timestamp,
            {start_ms} + (i % {DAYS}) * 86400000 + (i * 37) % 86400000 + 500,
            '3.1',
            {{'app_id': 'app-1', 'package_name': NULL, 'title': NULL, 'version_name': NULL,
              'version_code': NULL, 'sdk': {{'name': NULL, 'version': NULL}}}},
            {{'client_id': 'endpoint-' || (i % 50000)::VARCHAR, 'cognito_id': NULL}},
            {{'locale': NULL, 'make': NULL, 'model': NULL,
              'platform': {{'name': NULL, 'version': NULL}}}},
            {{'session_id': NULL, 'start_timestamp': NULL, 'stop_timestamp': NULL,
              'duration': NULL}},
            MAP {{'campaign_id': 'campaign-' || ((i // 8) % {CAMPAIGNS})::VARCHAR,
                  'treatment_id': (i % 3)::VARCHAR,
                  'run_id': 'run-' || (i % {DAYS})::VARCHAR,
                  'message_id': 'msg-' || (i // 4)::VARCHAR,
                  'from_address': 'shop@example.com',
                  'destination': 'customer' || (i % 50000)::VARCHAR || '@example.org'}},
            MAP {{}}::MAP(VARCHAR, DOUBLE),
            '123456789012',
            'endpoint-' || (i % 50000)::VARCHAR,
            NULL,
            '{{"email_channel":{{"mail_event":{{"mail":{{"message_id":"msg-' || (i // 4)::VARCHAR
                || '","from_address":"shop@example.com"}}}}}}}}',
            strftime(make_timestamp(({start_ms} + (i % {DAYS}) * 86400000) * 1000),
                     '%Y-%m-%d') AS dt
        FROM range({count}) t(i)
        """
    )


def _bytes_read(connection: Any, sql: str, profile: Path) -> tuple[int, float, list[Any]]:
    connection.execute("PRAGMA enable_profiling='json'")
    connection.execute(f"PRAGMA profiling_output='{profile}'")
    started = time.perf_counter()
    rows = connection.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    connection.execute("PRAGMA disable_profiling")
    report = json.loads(profile.read_text())
    return int(report["io"]["total_bytes_read"]), seconds, rows


def _folder_bytes(folder: Path, pattern: str) -> int:
    return sum(p.stat().st_size for p in folder.glob(pattern))


def run(count: int) -> dict[str, Any]:
    import duckdb

    from clarion.adapters.local.analytics.analytics_query import bind
    from clarion.services.analytics.service import campaign_metrics_sql

    week = ("2026-02-01", "2026-02-07")
    from clarion.adapters.local.events.event_sink import duckdb_type
    from clarion.domain.events.rows import event_columns

    sql = campaign_metrics_sql()
    # JSON has no schema: give read_json the table's, as the Glue table gives Athena.
    columns = ", ".join(f"'{n}': '{duckdb_type(t)}'" for n, t in event_columns())
    columns += ", 'dt': 'VARCHAR'"
    with tempfile.TemporaryDirectory(prefix="clarion-scan-") as tmp:
        root = Path(tmp)
        connection = duckdb.connect()
        connection.execute("SET threads = 2")
        started = time.perf_counter()
        _generate(connection, count)
        generate_s = time.perf_counter() - started
        parquet = root / "parquet"
        jsonl = root / "events.jsonl"
        connection.execute(
            f"COPY events TO '{parquet}' (FORMAT parquet, PARTITION_BY (dt), "
            "OVERWRITE_OR_IGNORE true)"
        )
        connection.execute(f"COPY events TO '{jsonl}' (FORMAT json)")
        connection.execute("DROP TABLE events")
        text = bind(sql, {"campaign_id": "campaign-7"}).sql("duckdb")
        # The week's filter goes on the partition column, as Athena's partition pruning uses.
        scoped = f"(SELECT * FROM {{source}} WHERE dt BETWEEN '{week[0]}' AND '{week[1]}')"
        results: dict[str, Any] = {}
        for name, source in (
            (
                "parquet_by_date",
                f"read_parquet('{parquet}/*/*.parquet', hive_partitioning = true)",
            ),
            (
                "json_lines",
                f"read_json('{jsonl}', format = 'newline_delimited', columns = {{{columns}}})",
            ),
        ):
            query = text.replace("FROM events", "FROM " + scoped.format(source=source))
            read, seconds, rows = _bytes_read(connection, query, root / f"{name}.json")
            total = next(r for r in rows if r[1] == "campaign")
            results[name] = {"bytes_read": read, "seconds": round(seconds, 3), "sent": total[5]}
        results["parquet_by_date"]["bytes_on_disk"] = _folder_bytes(parquet, "*/*.parquet")
        results["json_lines"]["bytes_on_disk"] = jsonl.stat().st_size
    assert results["parquet_by_date"]["sent"] == results["json_lines"]["sent"]
    ratio = results["json_lines"]["bytes_read"] / max(1, results["parquet_by_date"]["bytes_read"])
    return {
        "benchmark": "scan_bytes",
        "events": count,
        "days": DAYS,
        "campaigns": CAMPAIGNS,
        "query": f"campaign metrics, campaign-7, {week[0]}..{week[1]}",
        "generate_seconds": round(generate_s, 2),
        **results,
        "json_over_parquet_bytes": round(ratio, 1),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_scan_bytes")
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    result = run(args.count)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scan_bytes.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
