"""The erase workflow's Athena SQL (clarion.domain.audience.lake_erasure), run: the
same statements, transpiled from Trino by sqlglot, on DuckDB tables with the lake's
columns (``"$path"`` and the partition column added, as Athena shows them).

The find query lists exactly the objects holding the person; the rewrite of an object
keeps everyone else's rows of that object only, drops the person's (endpoint change
feed and snapshots) or keeps them with the token and without their JSON and attribute
values (events); no statement holds the person's values, only their digests.
"""

from __future__ import annotations

import json

import duckdb
import pytest
import sqlglot

from clarion.domain.audience.erasure import ErasureSubject
from clarion.domain.audience.lake_erasure import (
    LAKE_DATASETS,
    find_sql,
    rewrite_sql,
    subject_digests,
)

PERSON = ErasureSubject.of(["ep-9"], ["user-9"], ["nine@example.org"])
DIGESTS = subject_digests(PERSON)
TOKEN = "erased-0123456789abcdef"
BUCKET = "data"
DATASETS = {d.table: d for d in LAKE_DATASETS}


def _duck(sql: str) -> str:
    """Trino to DuckDB, with Trino's ``map_filter`` (which DuckDB lacks) spelled as
    DuckDB's list filter over the map's entries."""
    text = sqlglot.transpile(sql, read="trino", write="duckdb")[0]
    head = 'MAP_FILTER("attributes", LAMBDA k, v :'
    while head in text:
        start = text.index(head)
        depth, end = 0, start
        for end in range(start, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0 and text[end] == ")":
                break
        body = text[start + len(head) : end].replace("COALESCE(v, '')", "COALESCE(e.value, '')")
        filtered = f'MAP_FROM_ENTRIES(LIST_FILTER(MAP_ENTRIES("attributes"), LAMBDA e :{body}))'
        text = text[:start] + filtered + text[end + 1 :]
    return text


def _select_of(unload: str) -> str:
    assert unload.startswith("UNLOAD (") and ") TO 's3://data/erase-staging/" in unload
    return unload[len("UNLOAD (") : unload.rindex(") TO '")]


@pytest.fixture
def lake() -> duckdb.DuckDBPyConnection:
    db = duckdb.connect()
    db.execute("CREATE SCHEMA erase_db")
    db.execute(
        "CREATE TABLE erase_db.endpoint_changes (id VARCHAR, address VARCHAR, user_id VARCHAR,"
        ' change_sequence VARCHAR, deleted BOOLEAN, dt VARCHAR, "$path" VARCHAR)'
    )
    a = "s3://data/endpoint-changes/dt=2026-11-03/a.parquet"
    b = "s3://data/endpoint-changes/dt=2026-11-03/b.parquet"
    c = "s3://data/endpoint-changes/dt=2026-11-04/c.parquet"
    rows = [
        ("ep-9", "nine@example.org", "user-9", "1", False, "2026-11-03", a),
        ("ep-8", "nine@example.org", None, "2", False, "2026-11-03", a),  # their address
        ("ep-7", None, "user-9", "3", False, "2026-11-03", a),  # their user
        ("ep-1", "one@example.org", None, "4", False, "2026-11-03", a),
        ("ep-9", None, None, "5", True, "2026-11-03", b),  # the profile delete's tombstone
        ("ep-90", "nine@example.org.uk", "user-90", "6", False, "2026-11-04", c),
        ("ep-2", None, None, "7", False, "2026-11-04", c),
    ]
    db.executemany("INSERT INTO erase_db.endpoint_changes VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute(
        "CREATE TABLE erase_db.events (event_id VARCHAR, endpoint_id VARCHAR,"
        " client STRUCT(client_id VARCHAR, cognito_id VARCHAR), endpoint_json VARCHAR,"
        ' facets_json VARCHAR, attributes MAP(VARCHAR, VARCHAR), dt VARCHAR, "$path" VARCHAR)'
    )
    e = "s3://data/events/dt=2026-11-02/e.parquet"
    nine = json.dumps({"Address": "nine@example.org", "User": {"UserId": "user-9"}})
    db.execute(
        "INSERT INTO erase_db.events VALUES"
        " ('1', 'ep-9', {'client_id': 'ep-9', 'cognito_id': 'c1'}, ?, '{\"x\":1}',"
        "   MAP {'campaign_id': 'camp-1', 'to': 'nine@example.org'}, '2026-11-02', ?),"
        " ('2', NULL, {'client_id': 'anon', 'cognito_id': NULL}, ?, NULL,"
        "   MAP {'campaign_id': 'camp-1'}, '2026-11-02', ?),"
        " ('3', 'ep-1', {'client_id': 'ep-1', 'cognito_id': NULL}, '{\"Address\":\"one@x\"}',"
        "   NULL, MAP {'campaign_id': 'camp-1'}, '2026-11-02', ?)",
        [nine, e, nine, e, e],
    )
    return db


def test_the_find_query_lists_the_objects_holding_the_person(lake: duckdb.DuckDBPyConnection):
    sql = find_sql(DATASETS["endpoint_changes"], "erase_db", DIGESTS)
    paths = sorted(row[0] for row in lake.execute(_duck(sql)).fetchall())

    assert paths == [
        "s3://data/endpoint-changes/dt=2026-11-03/a.parquet",
        "s3://data/endpoint-changes/dt=2026-11-03/b.parquet",
    ]  # c.parquet's ep-90 and nine@example.org.uk are someone else


def test_the_rewrite_keeps_that_objects_other_rows_only(lake: duckdb.DuckDBPyConnection):
    dataset = DATASETS["endpoint_changes"]
    small = type(dataset)(**{**dataset.__dict__, "columns": ("id", "address", "user_id")})
    sql = rewrite_sql(
        small,
        "erase_db",
        bucket=BUCKET,
        key="endpoint-changes/dt=2026-11-03/a.parquet",
        digests=DIGESTS,
        token=TOKEN,
        staging_url="s3://data/erase-staging/x/endpoint_changes/0/",
    )
    rows = lake.execute(_duck(_select_of(sql))).fetchall()

    assert rows == [("ep-1", "one@example.org", None)]


def test_events_keep_their_counts_under_the_token(lake: duckdb.DuckDBPyConnection):
    dataset = DATASETS["events"]
    small = type(dataset)(
        **{
            **dataset.__dict__,
            "columns": (
                "event_id",
                "endpoint_id",
                "client",
                "endpoint_json",
                "facets_json",
                "attributes",
            ),
        }
    )
    sql = rewrite_sql(
        small,
        "erase_db",
        bucket=BUCKET,
        key="events/dt=2026-11-02/e.parquet",
        digests=DIGESTS,
        token=TOKEN,
        staging_url="s3://data/erase-staging/x/events/0/",
    )
    rows = {row[0]: row for row in lake.execute(_duck(_select_of(sql))).fetchall()}

    assert sorted(rows) == ["1", "2", "3"]  # every event stays, for the counts
    _, endpoint_id, client, endpoint_json, facets_json, attributes = rows["1"]
    assert endpoint_id == TOKEN
    assert client == {"client_id": TOKEN, "cognito_id": "c1"}
    assert endpoint_json is None and facets_json is None
    assert dict(attributes) == {"campaign_id": "camp-1"}
    # Event 2 names the person only in its endpoint JSON: it is theirs too.
    assert rows["2"][1] == TOKEN and rows["2"][3] is None
    assert rows["3"][1] == "ep-1" and rows["3"][3] == '{"Address":"one@x"}'


def test_no_statement_holds_the_persons_values() -> None:
    for dataset in LAKE_DATASETS:
        partition = "dt=2026-11-02" if dataset.partition == "dt" else "snapshot_ms=17"
        statements = [
            find_sql(dataset, "clarion", DIGESTS),
            rewrite_sql(
                dataset,
                "clarion",
                bucket=BUCKET,
                key=f"{dataset.prefix}{partition}/o.parquet",
                digests=DIGESTS,
                token=TOKEN,
                staging_url="s3://data/erase-staging/x/0/",
            ),
        ]
        for sql in statements:
            sqlglot.parse_one(sql if sql.startswith("SELECT") else _select_of(sql), read="trino")
            assert not any(value in sql for value in PERSON.values)
            assert all(digest in sql for digest in DIGESTS)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("events/o.parquet", "not under a dt= partition"),
        ("endpoint-changes/dt=2026-11-02/o.parquet", "is not under events/"),
        ("events/dt=2026'--/o.parquet", None),  # quoted, not injected
    ],
)
def test_keys_are_checked_and_quoted(key: str, problem: str | None) -> None:
    arguments = {
        "bucket": BUCKET,
        "key": key,
        "digests": DIGESTS,
        "token": TOKEN,
        "staging_url": "s3://data/erase-staging/x/0/",
    }
    if problem:
        with pytest.raises(ValueError, match=problem):
            rewrite_sql(DATASETS["events"], "clarion", **arguments)  # type: ignore[arg-type]
        return
    sql = rewrite_sql(DATASETS["events"], "clarion", **arguments)  # type: ignore[arg-type]
    assert "dt = '2026''--'" in sql
    sqlglot.parse_one(_select_of(sql), read="trino")


def test_bad_digests_and_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="not a SHA-256"):
        find_sql(DATASETS["events"], "clarion", ["nine@example.org"])
    with pytest.raises(ValueError, match="no digests"):
        find_sql(DATASETS["events"], "clarion", [])
    with pytest.raises(ValueError, match="token"):
        rewrite_sql(
            DATASETS["endpoint_snapshot"],
            "clarion",
            bucket=BUCKET,
            key="endpoint-snapshot/snapshot_ms=1/o.parquet",
            digests=DIGESTS,
            token="x' OR 1=1",
            staging_url="s3://data/erase-staging/x/0/",
        )


def test_a_projects_prefixed_ids_are_digested_too() -> None:
    digests = subject_digests(PERSON, "project#app-2#")
    assert set(DIGESTS) < set(digests)
    assert len(digests) == len(DIGESTS) + 2  # ep-9 and user-9, prefixed
