"""The EndpointCompactor contract. Only the AWS backend has one (locally there is no
lake to compact): Athena on moto, which runs nothing but records each query; a failing
query is answered through botocore's Stubber."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from clarion.ports.audience import EndpointCompactor

REGION = "us-east-1"
WORKGROUP = "contract-workgroup"
DATABASE = "contract_db"
BUCKET = "contract-lake"
STATEMENT = "INSERT INTO endpoint_snapshot SELECT *, {snapshot_ms} FROM endpoint_latest"


@dataclass
class CompactorBackend:
    name: str
    compactor: EndpointCompactor
    queries: Callable[[], list[dict[str, Any]]]
    failing: Callable[[], tuple[EndpointCompactor, Stubber]]
    put: Callable[[str], Any]
    keys: Callable[[str], list[str]]


def _aws() -> Iterator[CompactorBackend]:
    from clarion.adapters.aws.audience.endpoint_compactor import AthenaEndpointCompactor

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        athena = boto3.client("athena", region_name=REGION)
        athena.create_work_group(
            Name=WORKGROUP,
            Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/athena/"}},
        )

        def queries() -> list[dict[str, Any]]:
            ids = athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
            return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]

        def failing() -> tuple[EndpointCompactor, Stubber]:
            client = boto3.client("athena", region_name=REGION)
            compactor = AthenaEndpointCompactor(
                client, STATEMENT, workgroup=WORKGROUP, database=DATABASE, sleep=lambda _: None
            )
            return compactor, Stubber(client)

        yield CompactorBackend(
            "aws",
            AthenaEndpointCompactor(
                athena, STATEMENT, workgroup=WORKGROUP, database=DATABASE, s3=s3, bucket=BUCKET
            ),
            queries,
            failing,
            lambda key: s3.put_object(Bucket=BUCKET, Key=key, Body=b"parquet"),
            lambda prefix: sorted(
                item["Key"]
                for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
            ),
        )


@pytest.fixture(params=["aws"])
def backend(request: pytest.FixtureRequest, aws_credentials: None) -> Iterator[CompactorBackend]:
    yield from _aws()


def test_the_snapshot_is_named_by_its_time(backend: CompactorBackend) -> None:
    query_id = backend.compactor.compact(1767225600000)

    (query,) = backend.queries()
    assert query["QueryExecutionId"] == query_id
    assert query["Query"] == STATEMENT.replace("{snapshot_ms}", "1767225600000")
    assert query["QueryExecutionContext"]["Database"] == DATABASE


def test_each_compaction_is_its_own_query(backend: CompactorBackend) -> None:
    first = backend.compactor.compact(1000, timeout_s=60)
    second = backend.compactor.compact(2000, timeout_s=60)

    assert first != second
    assert sorted(q["Query"][-30:] for q in backend.queries()) == sorted(
        STATEMENT.replace("{snapshot_ms}", str(ms))[-30:] for ms in (1000, 2000)
    )


def test_a_failed_snapshot_raises_with_the_reason(backend: CompactorBackend) -> None:
    compactor, stubber = backend.failing()
    with stubber:
        stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
        stubber.add_response(
            "get_query_execution",
            {
                "QueryExecution": {
                    "QueryExecutionId": "q-1",
                    "Status": {"State": "FAILED", "StateChangeReason": "HIVE_BAD_DATA: broken"},
                }
            },
        )
        with pytest.raises(Exception, match="HIVE_BAD_DATA") as failure:
            compactor.compact(3000)

    assert "q-1" in str(failure.value)


def test_a_statement_without_the_placeholder_is_refused() -> None:
    from clarion.adapters.aws.audience.endpoint_compactor import AthenaEndpointCompactor

    compactor = AthenaEndpointCompactor(
        object(), "INSERT INTO endpoint_snapshot SELECT 1", workgroup=WORKGROUP, database=DATABASE
    )
    with pytest.raises(ValueError, match="snapshot_ms"):
        compactor.compact(1000)


def test_the_latest_snapshot_is_the_newest_partition(backend: CompactorBackend) -> None:
    assert backend.compactor.latest_snapshot_ms() is None
    backend.put("endpoint-snapshot/snapshot_ms=900/part-0.parquet")
    backend.put("endpoint-snapshot/snapshot_ms=1000/part-0.parquet")
    backend.put("endpoint-snapshot/snapshot_ms=1000/part-1.parquet")
    assert backend.compactor.latest_snapshot_ms() == 1000


def test_expiry_deletes_only_change_objects_written_before_the_cutoff(
    backend: CompactorBackend,
) -> None:
    backend.put("endpoint-changes/dt=2026-01-01/a.parquet")
    backend.put("endpoint-changes/dt=2026-01-02/b.parquet")
    backend.put("endpoint-changes-errors/x.json")
    backend.put("endpoint-snapshot/snapshot_ms=1000/part-0.parquet")
    # Written just now: a cutoff in the past deletes none of them.
    assert backend.compactor.expire_absorbed_changes(1_000) == 0
    assert len(backend.keys("endpoint-changes/")) == 2
    future = int(time.time() * 1000) + 3_600_000
    assert backend.compactor.expire_absorbed_changes(future) == 2
    # Nothing outside the changes prefix is touched.
    assert backend.keys("endpoint-changes/") == []
    assert backend.keys("endpoint-changes-errors/") == ["endpoint-changes-errors/x.json"]
    assert len(backend.keys("endpoint-snapshot/")) == 1


def test_old_snapshots_are_deleted_but_never_the_newest(backend: CompactorBackend) -> None:
    for ms in (100, 200, 300):
        backend.put(f"endpoint-snapshot/snapshot_ms={ms}/part-0.parquet")
    backend.put("endpoint-changes/dt=2026-01-01/a.parquet")
    assert backend.compactor.expire_snapshots(250) == 2
    assert backend.keys("endpoint-snapshot/") == [
        "endpoint-snapshot/snapshot_ms=300/part-0.parquet"
    ]
    # However old, the newest stays: the view needs it.
    assert backend.compactor.expire_snapshots(10_000) == 0
    assert len(backend.keys("endpoint-snapshot/")) == 1
    assert len(backend.keys("endpoint-changes/")) == 1
