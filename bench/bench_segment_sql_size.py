"""Segment SQL size for 10,000 values, against Athena's and Step Functions' limits.

A segment whose UserAttributes.CustomerId lists ``--values`` customer ids (UUIDs, 36
characters) is compiled (the compiler's condition, without the size check) and wrapped
as a campaign run wraps it (``batched_audience_sql``), and its size in UTF-8 bytes is
set beside Athena's query limit (262,144 bytes), Step Functions' payload limit (256 KiB),
Clarion's segment SQL limit and its limit on values a dimension, with what validation
answers. The baseline, in the same run: the same audience as an imported segment, whose
SQL reads its members from a table and does not grow with them; and the largest list
validation lets through (MAX_VALUES_PER_DIMENSION values).

    python -m bench.bench_segment_sql_size [--values N]

Prints a JSON result and writes it to bench/out/segment_sql_size.json.
"""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clarion.domain.campaigns.send_rate import batched_audience_sql
from clarion.domain.common.errors import InvalidRecordError
from clarion.domain.segments import (
    ATHENA_MAX_QUERY_BYTES,
    MAX_SEGMENT_SQL_BYTES,
    MAX_VALUES_PER_DIMENSION,
    SegmentResponse,
    WriteSegmentRequest,
    validate_segment_response,
    validate_write_request,
)
from clarion.domain.segments.sql import SegmentCompiler

OUT = Path(__file__).resolve().parent / "out"
STEP_FUNCTIONS_MAX_PAYLOAD_BYTES = 256 * 1024
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)


def _no_sources(segment_id: str, version: int | None) -> SegmentResponse:
    raise AssertionError("no source segments here")


def _sizes(sql: str) -> dict[str, Any]:
    size = len(sql.encode("utf-8"))
    batched = len(batched_audience_sql(sql, 500).encode("utf-8"))
    return {
        "segment_sql_bytes": size,
        "batched_audience_sql_bytes": batched,
        "over_athena_limit": batched > ATHENA_MAX_QUERY_BYTES,
        "over_step_functions_payload": batched > STEP_FUNCTIONS_MAX_PAYLOAD_BYTES,
        "over_clarion_limit": size > MAX_SEGMENT_SQL_BYTES,
    }


def run(values: int) -> dict[str, Any]:
    ids = [str(uuid.UUID(int=n)) for n in range(values)]
    body = {"Name": "customers", "Dimensions": {"UserAttributes": {"CustomerId": {"Values": ids}}}}
    compiler = SegmentCompiler(_no_sources, AS_OF)
    # Pydantic only: the limits are what is being measured.
    request = WriteSegmentRequest.model_validate(body)
    listed = "SELECT id FROM endpoints WHERE " + compiler.condition(request)
    try:
        validate_write_request(body)
        answer = "accepted"
    except InvalidRecordError as exc:
        answer = str(exc)
    at_limit = validate_write_request(
        {
            "Name": "at the limit",
            "Dimensions": {
                "UserAttributes": {"CustomerId": {"Values": ids[:MAX_VALUES_PER_DIMENSION]}}
            },
        }
    )
    imported = validate_segment_response(
        {
            "Id": "customers",
            "Name": "customers",
            "Version": 1,
            "SegmentType": "IMPORT",
            "CreationDate": "2026-12-01T00:00:00.000Z",
            "ImportDefinition": {"Format": "CSV", "Size": values},
        }
    )
    return {
        "benchmark": "segment_sql_size",
        "values": values,
        "limits": {
            "athena_query_bytes": ATHENA_MAX_QUERY_BYTES,
            "step_functions_payload_bytes": STEP_FUNCTIONS_MAX_PAYLOAD_BYTES,
            "clarion_segment_sql_bytes": MAX_SEGMENT_SQL_BYTES,
            "clarion_values_per_dimension": MAX_VALUES_PER_DIMENSION,
        },
        "listed": _sizes(listed),
        "validation_answer": answer,
        "at_the_values_limit": {
            "values": MAX_VALUES_PER_DIMENSION,
            **_sizes(compiler.compile(at_limit)),
        },
        "baseline_imported_segment": _sizes(compiler.compile(imported)),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--values", type=int, default=10_000)
    args = options.parse_args(argv)
    result = run(args.values)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "segment_sql_size.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
