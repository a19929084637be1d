"""The conversion query for one campaign over a large lake: seconds locally and bytes
read with the date partitions pruned, beside the same query reading every day.

``--count`` events (10,000,000 by default) over 60 days are written as Parquet
partitioned by ``dt=YYYY-MM-DD``, as Firehose writes the lake: the measured campaign's
``_campaign.send`` records (``--audience`` endpoints, two runs three days apart, 10%
held out), another campaign's messages to the same people (they compete for the
credit), purchases on every day, and delivery and engagement events of 200 other
campaigns. The conversions SQL (clarion/resources/sql/analytics/conversions.sql, the
default goal: purchases within 7 days, last touch) runs twice on DuckDB over a view of
the Parquet files: once with the scan bounds the service derives from the campaign's
runs (the send days, a window before them for competing messages and after them for
conversions), and once with no bounds (every day: the baseline). DuckDB's profiler
reports the bytes read from disk (``io.total_bytes_read``), the proxy for what Athena
bills; both runs must give the same rows.

    python -m bench.bench_conversions [--count N] [--audience N]

Prints a JSON result and writes it to bench/out/conversions.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
DAYS = 60
START_MS = 1767225600000  # 2026-01-01T00:00:00Z
DAY_MS = 86_400_000
FIRST_RUN_DAY, SECOND_RUN_DAY = 20, 23
OTHER_CAMPAIGNS = 200
ENDPOINTS = 400_000
NOISE_TYPES = ("_email.send", "_email.delivered", "_email.open", "_email.click", "_session.start")


def _select(count_sql: str, row: dict[str, str], columns: list[tuple[str, str]]) -> str:
    """``SELECT`` of the events columns, each cast to its declared type."""
    from clarion.adapters.local.events.event_sink import duckdb_type

    parts = [f"CAST({row[name]} AS {duckdb_type(kind)}) AS {name}" for name, kind in columns]
    parts.append(f"{row['dt']} AS dt")
    return f"SELECT {', '.join(parts)} FROM {count_sql}"


def _row(
    *,
    event_id: str,
    event_type: str,
    at: str,
    endpoint: str,
    attributes: str,
    metrics: str = "MAP {}::MAP(VARCHAR, DOUBLE)",
) -> dict[str, str]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_timestamp": at,
        "arrival_timestamp": f"{at} + 500",
        "event_version": "'3.1'",
        "application": "{'app_id': 'app-1', 'package_name': NULL, 'title': NULL, "
        "'version_name': NULL, 'version_code': NULL, 'sdk': {'name': NULL, 'version': NULL}}",
        "client": f"{{'client_id': {endpoint}, 'cognito_id': NULL}}",
        "device": "{'locale': NULL, 'make': NULL, 'model': NULL, "
        "'platform': {'name': NULL, 'version': NULL}}",
        "session": "{'session_id': NULL, 'start_timestamp': NULL, 'stop_timestamp': NULL, "
        "'duration': NULL}",
        "attributes": attributes,
        "metrics": metrics,
        "awsaccountid": "'123456789012'",
        "endpoint_id": endpoint,
        "endpoint_json": "NULL",
        "facets_json": "NULL",
        "dt": f"strftime(make_timestamp(({at}) * 1000), '%Y-%m-%d')",
    }


def _generate(connection: Any, folder: Path, count: int, audience: int) -> dict[str, int]:
    """Write the lake under ``folder``; returns how many events of each kind."""
    from clarion.domain.events.rows import event_columns

    columns = list(event_columns())
    sends = 2 * audience  # two runs
    rivals = audience // 2
    purchases = count // 20
    noise = count - sends - rivals - purchases
    if noise < 0:
        raise ValueError("--count is too small for --audience")
    member = f"'endpoint-' || (i * 7 % {ENDPOINTS})::VARCHAR"
    parts = [
        # The measured campaign: two runs, 10% of the audience held out.
        _select(
            f"range({sends}) t(i)",
            _row(
                event_id="'send-' || i::VARCHAR",
                event_type="'_campaign.send'",
                at=f"{START_MS} + (CASE WHEN i < {audience} THEN {FIRST_RUN_DAY} "
                f"ELSE {SECOND_RUN_DAY} END) * {DAY_MS} + 36000000 + (i % {audience})",
                endpoint=f"'endpoint-' || (i % {audience} * 7 % {ENDPOINTS})::VARCHAR",
                attributes="MAP {'campaign_id': 'campaign-7', "
                "'treatment_id': ((i % " + str(audience) + ") % 2)::VARCHAR, "
                "'run_id': CASE WHEN i < " + str(audience) + " THEN 'run-a' ELSE 'run-b' END, "
                "'campaign_send_status': CASE WHEN (i % " + str(audience) + ") % 10 = 0 "
                "THEN 'HOLDOUT' ELSE 'SUCCESS' END}",
            ),
            columns,
        ),
        # Another campaign messages half of them a day later: competing touches.
        _select(
            f"range({rivals}) t(i)",
            _row(
                event_id="'rival-' || i::VARCHAR",
                event_type="'_campaign.send'",
                at=f"{START_MS} + {FIRST_RUN_DAY + 1} * {DAY_MS} + i",
                endpoint=f"'endpoint-' || (i * 2 * 7 % {ENDPOINTS})::VARCHAR",
                attributes="MAP {'campaign_id': 'campaign-rival', 'treatment_id': '0', "
                "'run_id': 'run-r', 'campaign_send_status': 'SUCCESS'}",
            ),
            columns,
        ),
        # Purchases on every day, by anyone.
        _select(
            f"range({purchases}) t(i)",
            _row(
                event_id="'purchase-' || i::VARCHAR",
                event_type="'_monetization.purchase'",
                at=f"{START_MS} + (i % {DAYS}) * {DAY_MS} + (i * 7919) % {DAY_MS}",
                endpoint=f"'endpoint-' || (i * 13 % {ENDPOINTS})::VARCHAR",
                attributes="MAP {'_currency': 'USD', '_product_id': 'sku-' || (i % 40)::VARCHAR}",
                metrics="MAP {'_item_price': 5.0 + (i % 200), '_quantity': 1.0 + (i % 3)}",
            ),
            columns,
        ),
        # Everything else: other campaigns' delivery and engagement, sessions.
        _select(
            f"range({noise}) t(i)",
            _row(
                event_id="'noise-' || i::VARCHAR",
                event_type="["
                + ", ".join(f"'{t}'" for t in NOISE_TYPES)
                + f"][1 + (i % {len(NOISE_TYPES)})]",
                at=f"{START_MS} + (i % {DAYS}) * {DAY_MS} + (i * 37) % {DAY_MS}",
                endpoint=member,
                attributes="MAP {'campaign_id': 'campaign-' || (i // 8 % "
                + str(OTHER_CAMPAIGNS)
                + ")::VARCHAR, 'treatment_id': (i % 3)::VARCHAR, 'run_id': 'run-' || "
                "(i % 60)::VARCHAR, 'message_id': 'msg-' || (i // 4)::VARCHAR, "
                "'from_address': 'shop@example.com'}",
            ),
            columns,
        ),
    ]
    connection.execute(
        f"COPY ({' UNION ALL '.join(parts)}) TO '{folder}' "
        "(FORMAT parquet, PARTITION_BY (dt), OVERWRITE_OR_IGNORE true)"
    )
    return {"sends": sends, "rival_sends": rivals, "purchases": purchases, "other": noise}


def _run_query(connection: Any, sql: str, profile: Path) -> tuple[int, float, list[Any]]:
    connection.execute("PRAGMA enable_profiling='json'")
    connection.execute(f"PRAGMA profiling_output='{profile}'")
    started = time.perf_counter()
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    seconds = time.perf_counter() - started
    connection.execute("PRAGMA disable_profiling")
    report = json.loads(profile.read_text())
    return int(report["io"]["total_bytes_read"]), seconds, sorted(rows, key=repr)


def run(count: int, audience: int, repeats: int = 2) -> dict[str, Any]:
    import duckdb

    from clarion.adapters.local.analytics.analytics_query import bind
    from clarion.domain.analytics import DEFAULT_GOALS, MeasuredGoal
    from clarion.services.analytics.conversions import ScanBounds, conversions_query

    goal = DEFAULT_GOALS.goals[0]
    sql = conversions_query([MeasuredGoal("campaign", "campaign-7", goal)])
    first = date(2026, 1, 1) + timedelta(days=FIRST_RUN_DAY)
    last = date(2026, 1, 1) + timedelta(days=SECOND_RUN_DAY)
    scopes = {
        "pruned_to_send_days": ScanBounds.around(first, last, goal.window),
        "every_day": ScanBounds.everything(),
    }
    with tempfile.TemporaryDirectory(prefix="clarion-conversions-") as tmp:
        root = Path(tmp)
        lake = root / "events"
        connection = duckdb.connect()
        connection.execute("SET threads = 2")
        started = time.perf_counter()
        kinds = _generate(connection, lake, count, audience)
        generate_s = time.perf_counter() - started
        connection.execute(
            f"CREATE VIEW events AS SELECT * FROM read_parquet('{lake}/*/*.parquet', "
            "hive_partitioning = true)"
        )
        on_disk = sum(p.stat().st_size for p in lake.glob("*/*.parquet"))
        results: dict[str, Any] = {}
        answers = {}
        for name, bounds in scopes.items():
            text = bind(sql, bounds.parameters()).sql("duckdb")
            runs = [_run_query(connection, text, root / f"{name}-{n}.json") for n in range(repeats)]
            read, _, rows = runs[0]
            answers[name] = rows
            results[name] = {
                "days_read": (
                    "all"
                    if bounds == ScanBounds.everything()
                    else f"{bounds.touch_since}..{bounds.event_until}"
                ),
                "bytes_read": read,
                "seconds": round(min(seconds for _, seconds, _ in runs), 3),
                "rows": len(rows),
            }
    assert answers["pruned_to_send_days"] == answers["every_day"], "pruning changed the answer"
    pruned, every = results["pruned_to_send_days"], results["every_day"]

    def arm(section: str, name: str) -> dict[str, Any]:
        return next(
            r
            for r in answers["every_day"]
            if r["section"] == section and r["grain"] == "arm" and r["arm"] == name
            and r["run_id"] in (None, "")
        )  # fmt: skip

    treated, holdout = arm("experiment", "treated"), arm("experiment", "holdout")
    attributed = arm("attribution", "treated")
    return {
        "benchmark": "conversions",
        "events": count,
        "days": DAYS,
        "kinds": kinds,
        "audience": audience,
        "bytes_on_disk": on_disk,
        "query": "conversions of campaign-7, goal purchase (P7D, last touch)",
        "generate_seconds": round(generate_s, 2),
        **results,
        "answer": {
            "attributed_conversions": int(attributed["conversions"]),
            "treated": [int(treated["converted_endpoints"]), int(treated["endpoints"])],
            "holdout": [int(holdout["converted_endpoints"]), int(holdout["endpoints"])],
        },
        "bytes_every_day_over_pruned": round(every["bytes_read"] / max(1, pruned["bytes_read"]), 2),
        "seconds_every_day_over_pruned": round(every["seconds"] / max(1e-9, pruned["seconds"]), 2),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_conversions")
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--audience", type=int, default=100_000)
    args = parser.parse_args(argv)
    result = run(args.count, args.audience)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "conversions.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
