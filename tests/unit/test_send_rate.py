"""Spreading Limits.MessagesPerSecond over the campaign-run Map, and the batched
audience SQL (run on DuckDB through the same transpiler as segment SQL)."""

from __future__ import annotations

import json
import math

import duckdb
import pytest
import sqlglot

from clarion.domain.campaigns.send_rate import (
    MAX_BATCH_SIZE,
    MAX_CONCURRENCY,
    MIN_BATCH_SIZE,
    batched_audience_sql,
    pause_needed,
    send_plan,
)


@pytest.mark.parametrize(
    ("mps", "batch", "concurrency"),
    [(1, 25, 1), (25, 25, 1), (50, 50, 1), (500, 500, 1), (730, 500, 2), (20_000, 500, 40)],
)
def test_send_plan_examples(mps: int, batch: int, concurrency: int) -> None:
    plan = send_plan(mps)
    assert (plan.batch_size, plan.max_concurrency) == (batch, concurrency)
    assert plan.invocation_rate == pytest.approx(mps / concurrency)


@pytest.mark.parametrize("mps", [1, 2, 7, 24, 26, 99, 499, 501, 1234, 9999, 20_000])
def test_the_whole_run_never_exceeds_messages_per_second(mps: int) -> None:
    plan = send_plan(mps)
    assert MIN_BATCH_SIZE <= plan.batch_size <= MAX_BATCH_SIZE
    assert 1 <= plan.max_concurrency <= MAX_CONCURRENCY
    assert plan.invocation_rate is not None
    assert plan.max_concurrency * plan.invocation_rate <= mps + 1e-9
    assert plan.max_concurrency == max(1, math.ceil(mps / plan.batch_size))


def test_without_a_rate_batches_are_full_and_unpaced() -> None:
    plan = send_plan(None)
    assert plan.batch_size == MAX_BATCH_SIZE
    assert plan.invocation_rate is None
    assert plan.to_json()["InvocationRate"] == 0


def test_a_bad_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="MessagesPerSecond"):
        send_plan(0)


def test_pause_tops_up_to_the_invocation_rate() -> None:
    assert pause_needed(50, 0.5, 25.0) == pytest.approx(1.5)
    assert pause_needed(50, 3.0, 25.0) == 0
    assert pause_needed(50, 0.0, None) == 0


def test_batched_sql_groups_distinct_ids_into_batches() -> None:
    sql = batched_audience_sql("SELECT id FROM endpoints WHERE channel = 'EMAIL';", 2)
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE endpoints AS SELECT * FROM (VALUES ('a', 'EMAIL'), ('b', 'EMAIL'), "
        "('c', 'EMAIL'), ('b', 'EMAIL'), ('d', 'SMS'), ('e\"q', 'EMAIL')) t(id, channel)"
    )
    rows = connection.execute(sqlglot.transpile(sql, read="trino", write="duckdb")[0]).fetchall()
    assert [(int(batch), json.loads(ids)) for batch, ids in rows] == [
        (0, ["a", "b"]),
        (1, ["c", 'e"q']),
    ]


def test_batched_sql_refuses_nothing_to_wrap() -> None:
    with pytest.raises(ValueError, match="empty"):
        batched_audience_sql(" ; ", 10)
