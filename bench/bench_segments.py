"""Segment evaluation: compiled SQL against a hand-written query and the reference.

Generates N endpoints into a DuckDB database (cached under bench/out/), defines a
three-group segment (an imported segment narrowed by channel and company; a metric or a
plan substring; a country and recent activity), and times, in the same run:

- the compiled Trino SQL, transpiled to DuckDB by the local audience adapter;
- a hand-written DuckDB query of the same meaning (the baseline);
- the plain-Python reference evaluator, on the first ``--reference-rows`` endpoints.

All three must select the same endpoints (counts are compared; the reference on its
subset). The goal is compiled SQL within 2x of the hand-written query.

    python -m bench.bench_segments [--rows N] [--reference-rows M] [--repeat R]

Prints a JSON result and writes it to bench/out/segments.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.segments.audience_query import DuckDBAudienceQuery, to_duckdb
from clarion.adapters.local.segments.segment_repository import DuckDBSegmentRepository
from clarion.domain.audience.endpoint import Endpoint
from clarion.domain.segments.model import validate_segment_response
from clarion.services.segments.service import SegmentService
from clarion_devkit.reference.segments import ReferenceEvaluator

OUT = Path(__file__).resolve().parent / "out"
AS_OF = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
AS_OF_MS = int(AS_OF.timestamp() * 1000)
WEEK_MS = 7 * 24 * 3600 * 1000
IMPORTED_ID = "bench-imported"

# Deterministic pseudo-random columns from the row number: h(i, k) is DuckDB's hash.
_GENERATE = """
INSERT INTO endpoints (id, channel_type, address, endpoint_status, opt_out, user_id,
    attributes, user_attributes, metrics, demographic_platform, location_country,
    location_latitude, location_longitude, last_active_ms)
SELECT
    printf('ep-%09d', i),
    ['EMAIL', 'SMS', 'GCM'][1 + h(i, 1) % 3],
    printf('user%d@example.com', i),
    'ACTIVE', 'NONE', printf('u%d', i),
    MAP(['Plan'], [[['Free', 'Gold', 'gold-plus', 'Silver'][1 + h(i, 2) % 4],
                    ['Free', 'Gold', 'Team'][1 + h(i, 3) % 3]]]),
    MAP(['Company', 'FirstName'], [[['AnyCompany', 'anycompany', 'Example Corp'][1 + h(i, 4) % 3]],
                                    [['Ana', 'Bo', 'Cy'][1 + h(i, 5) % 3]]]),
    MAP(['score'], [(h(i, 6) % 10000) / 100.0]),
    ['ios', 'android'][1 + h(i, 7) % 2],
    ['FR', 'US', 'DE', 'GB'][1 + h(i, 8) % 4],
    -60 + (h(i, 9) % 12000) / 100.0,
    -170 + (h(i, 10) % 34000) / 100.0,
    CASE WHEN h(i, 11) % 5 = 0 THEN NULL ELSE {as_of} - h(i, 12) % 2592000000 END
FROM range({rows}) AS t(i)
"""

SEGMENT = {
    "Name": "bench three groups",
    "SegmentGroups": {
        "Include": "ANY",
        "Groups": [
            {
                "SourceSegments": [{"Id": IMPORTED_ID}],
                "SourceType": "ANY",
                "Type": "ALL",
                "Dimensions": [
                    {"Demographic": {"Channel": {"Values": ["EMAIL"]}}},
                    {"UserAttributes": {"Company": {"Values": ["AnyCompany"]}}},
                ],
            },
            {
                "Type": "ANY",
                "Dimensions": [
                    {"Metrics": {"score": {"ComparisonOperator": "GREATER_THAN", "Value": 99.5}}},
                    {"Attributes": {"Plan": {"AttributeType": "CONTAINS", "Values": ["gold-"]}}},
                ],
            },
            {
                "Type": "ALL",
                "Dimensions": [
                    {"Location": {"Country": {"Values": ["FR"]}}},
                    {"Behavior": {"Recency": {"Duration": "DAY_7", "RecencyType": "ACTIVE"}}},
                ],
            },
        ],
    },
}

HAND_WRITTEN = f"""
SELECT id FROM endpoints
WHERE (id IN (SELECT endpoint_id FROM imported_segment_members
              WHERE segment_id = '{IMPORTED_ID}')
       AND channel_type = 'EMAIL'
       AND list_contains(user_attributes['Company'], 'AnyCompany'))
   OR metrics['score'] > 99.5
   OR list_bool_or(list_transform(attributes['Plan'], lambda p: contains(p, 'gold-')))
   OR (location_country = 'FR'
       AND last_active_ms BETWEEN {AS_OF_MS - WEEK_MS} AND {AS_OF_MS})
"""


def _prepare(rows: int) -> LocalDatabase:
    database = LocalDatabase(OUT / f"segments-{rows}")
    DuckDBProfileStore(database)  # registers the endpoints table
    connection = database.connection()
    count = connection.execute("SELECT count(*) FROM endpoints").fetchone()
    if not count or count[0] != rows:
        connection.execute("DELETE FROM endpoints")
        connection.execute("DELETE FROM imported_segment_members")
        connection.execute(
            "CREATE OR REPLACE TEMP MACRO h(i, k) AS CAST(hash(i, k) % 1000000007 AS BIGINT)"
        )
        connection.execute(_GENERATE.format(rows=rows, as_of=AS_OF_MS))
        # Every third endpoint was in the customer file.
        connection.execute(
            "INSERT INTO imported_segment_members SELECT ?, id FROM endpoints "
            "WHERE hash(id) % 3 = 0",
            [IMPORTED_ID],
        )
        connection.execute("CHECKPOINT")
    return database


def _best(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    result = run()  # warm-up (and the answer)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times), result


def _endpoints(database: LocalDatabase, limit: int) -> tuple[list[Endpoint], dict[str, Any]]:
    rows = (
        database.cursor()
        .execute(
            "SELECT id, channel_type, address, attributes, user_attributes, metrics, "
            "demographic_platform, location_country, location_latitude, location_longitude, "
            "last_active_ms FROM endpoints ORDER BY id LIMIT ?",
            [limit],
        )
        .fetchall()
    )
    endpoints, activity = [], {}
    for row in rows:
        endpoint_id, channel, address, attributes, user_attributes, metrics = row[:6]
        platform_name, country, latitude, longitude, last_active = row[6:]
        endpoints.append(
            Endpoint.model_validate(
                {
                    "Id": endpoint_id,
                    "ChannelType": channel,
                    "Address": address,
                    "Attributes": attributes,
                    "User": {"UserAttributes": user_attributes},
                    "Metrics": metrics,
                    "Demographic": {"Platform": platform_name},
                    "Location": {
                        "Country": country,
                        "Latitude": latitude,
                        "Longitude": longitude,
                    },
                }
            )
        )
        activity[endpoint_id] = last_active
    return endpoints, activity


def run(rows: int, reference_rows: int, repeat: int) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    database = _prepare(rows)
    prepare_s = time.perf_counter() - start
    repository = DuckDBSegmentRepository(database)
    audience = DuckDBAudienceQuery(database)
    service = SegmentService(repository, audience, clock=lambda: AS_OF)
    repository.save_segment(
        {
            "Id": IMPORTED_ID,
            "Name": "customers.csv",
            "Version": 1,
            "SegmentType": "IMPORT",
            "CreationDate": "2024-01-01T00:00:00.000Z",
        }
    )
    segment = service.create_segment(SEGMENT)
    compiled = service.compile(segment["Id"], as_of=AS_OF)

    compiled_s, compiled_count = _best(repeat, lambda: audience.count(compiled))
    cursor = database.cursor()

    def hand() -> int:
        row = cursor.execute(f"SELECT count(*) FROM ({HAND_WRITTEN})").fetchone()
        return int(row[0]) if row else 0

    hand_s, hand_count = _best(repeat, hand)

    subset, activity = _endpoints(database, reference_rows)
    last_id = subset[-1].id
    members = {
        endpoint_id
        for (endpoint_id,) in cursor.execute(
            f"SELECT id FROM ({to_duckdb(compiled)}) WHERE id <= ?", [last_id]
        ).fetchall()
    }
    imported = {
        endpoint_id
        for (endpoint_id,) in cursor.execute(
            "SELECT endpoint_id FROM imported_segment_members WHERE segment_id = ?",
            [IMPORTED_ID],
        ).fetchall()
    }
    evaluator = ReferenceEvaluator(
        lambda i, v: validate_segment_response(repository.get_segment(i, v)),
        AS_OF,
        {IMPORTED_ID: imported},
    )
    stored = validate_segment_response(segment)
    start = time.perf_counter()
    expected = evaluator.members(stored, subset, activity)
    reference_s = time.perf_counter() - start
    database.close()

    return {
        "benchmark": "segments",
        "rows": rows,
        "segment": (
            "3 groups, Include ANY: imported+channel+company; metric or plan; country+recency"
        ),
        "compiled_duckdb_s": round(compiled_s, 4),
        "hand_written_duckdb_s": round(hand_s, 4),
        "compiled_over_hand_written": round(compiled_s / hand_s, 2),
        "goal_within_2x": compiled_s <= 2 * hand_s,
        "compiled_count": compiled_count,
        "hand_written_count": hand_count,
        "counts_agree": compiled_count == hand_count,
        "reference_rows": len(subset),
        "reference_s": round(reference_s, 3),
        "reference_endpoints_per_s": round(len(subset) / reference_s),
        "reference_count": len(expected),
        "compiled_count_on_reference_rows": len(members),
        "reference_agrees": members == expected,
        "prepare_s": round(prepare_s, 2),
        "repeat": repeat,
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    result = run(args.rows, min(args.reference_rows, args.rows), args.repeat)
    text = json.dumps(result, indent=2)
    print(text)
    (OUT / "segments.json").write_text(text + "\n")
    ok = result["counts_agree"] and result["reference_agrees"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
