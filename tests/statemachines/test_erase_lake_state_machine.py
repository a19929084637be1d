"""The lake's erase workflow (``infra/statemachines/erase_lake.asl.json``) under moto's
Step Functions interpreter, started by the AWS eraser as DeleteEndpoint starts it, with
the real ``lambdas/erase_lake`` handler in process.

moto's Athena runs no SQL: the find queries' results (the objects holding the person)
are queued through ``/moto-api/static/athena/query-results``, and the test plays
UNLOAD, writing a file under each UNLOAD's ``TO`` location (bytes naming the object it
rewrites). The test then checks what the workflow asked and did: the queries it ran
(digests only, one object each), each object replaced by its staged copy, the staging
files and the objects' earlier versions gone, everyone else's objects untouched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from fakes.step_functions import wait_for_execution
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from clarion.domain.audience.erasure import ErasureSubject, erasure_token
from clarion.domain.audience.lake_erasure import subject_digests

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]
BUCKET = "erase-data"
WORKGROUP = "erase-wg"
DATABASE = "erase_db"
FUNCTION = "clarion-erase-lake"
PERSON = ErasureSubject.of(["ep-9"], ["user-9"], ["nine@example.org"])
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
EVENTS_KEY = "events/dt=2026-11-02/clarion-events-lake-1-2026-11-02-10-00-00-abc.parquet"
CHANGES_KEY = "endpoint-changes/dt=2026-11-03/changes-1.parquet"
SNAPSHOT_KEY = "endpoint-snapshot/snapshot_ms=1764000000000/20261104_000000_00001_q.parquet"
OTHER_KEYS = (
    "events/dt=2026-11-02/someone-else.parquet",
    "endpoint-snapshot/snapshot_ms=1764000000000/other.parquet",
)


@dataclass
class FakeContext:
    function_name: str = FUNCTION
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{FUNCTION}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass
class EraseDeployment:
    clients: dict[str, Any]
    boot: Any
    state_machine_arn: str
    queries: list[str] = field(default_factory=list)
    invocations: list[dict[str, Any]] = field(default_factory=list)
    unload_files: int = 1

    def put(self, key: str, body: bytes) -> None:
        self.clients["s3"].put_object(Bucket=BUCKET, Key=key, Body=body)

    def read(self, key: str) -> bytes | None:
        try:
            return bytes(self.clients["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read())
        except self.clients["s3"].exceptions.NoSuchKey:
            return None

    def versions(self, key: str) -> list[dict[str, Any]]:
        answer = self.clients["s3"].list_object_versions(Bucket=BUCKET, Prefix=key)
        return [
            v
            for v in answer.get("Versions", []) + answer.get("DeleteMarkers", [])
            if v["Key"] == key
        ]

    def keys(self, prefix: str = "") -> list[str]:
        answer = self.clients["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for o in answer.get("Contents", []))

    def queue_found(self, *keys: str) -> None:
        """The next find query's result (a ``path`` column of the objects' URLs), then
        an empty one for each object's UNLOAD (moto hands queued results to queries in
        the order they start)."""
        rows = [{"Data": [{"VarCharValue": "path"}]}] + [
            {"Data": [{"VarCharValue": f"s3://{BUCKET}/{key}"}]} for key in keys
        ]
        column = [{"Name": "path", "Type": "varchar"}]
        results = [{"rows": rows, "column_info": column}]
        results += [{"rows": [], "column_info": column} for _ in keys]
        response = requests.post(
            "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
            json={"account_id": DEFAULT_ACCOUNT_ID, "region": REGION, "results": results},
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def wait_for(self, execution_arn: str, timeout_s: float = 120.0) -> dict[str, Any]:
        return wait_for_execution(self.clients["stepfunctions"], execution_arn, timeout_s)


def _render() -> str:
    text = (ROOT / "infra" / "statemachines" / "erase_lake.asl.json").read_text("utf-8")
    for name, value in {
        "StepsFunctionArn": f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{FUNCTION}",
        "AthenaWorkgroup": WORKGROUP,
    }.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "a substitution is missing"
    return text


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> Iterator[EraseDeployment]:
    from moto.athena.models import AthenaBackend
    from moto.awslambda_simple.models import LambdaSimpleBackend

    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import AwsSettings, Settings
    from lambdas._runtime import LazyBootstrap
    from lambdas.erase_lake import handler as module

    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    with mock_aws(config=MOTO_CONFIG):
        clients = {
            name: boto3.client(name, region_name=REGION)
            for name in ("s3", "athena", "stepfunctions", "iam")
        }
        s3 = clients["s3"]
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        clients["athena"].create_work_group(
            Name=WORKGROUP,
            Configuration={
                "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/athena-results/"}
            },
        )
        role_arn = clients["iam"].create_role(
            RoleName="erase-lake",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        state_machine_arn = clients["stepfunctions"].create_state_machine(
            name="clarion-erase-lake", definition=_render(), roleArn=role_arn
        )["stateMachineArn"]
        settings = Settings(
            backend="aws",
            aws=AwsSettings(
                region=REGION,
                data_bucket=BUCKET,
                glue_database=DATABASE,
                athena_workgroup=WORKGROUP,
                erase_state_machine_arn=state_machine_arn,
            ),
        )
        boot = Bootstrap(settings, **clients)
        deployment = EraseDeployment(clients, boot, state_machine_arn)
        monkeypatch.setattr(module, "bootstrap", LazyBootstrap(boot))

        original = AthenaBackend.start_query_execution

        def start_query_execution(self: Any, query: str, *args: Any, **kwargs: Any) -> str:
            deployment.queries.append(query)
            target = re.search(r"\) TO 's3://([^/]+)/([^']+)' WITH", query)
            if query.startswith("UNLOAD") and target:
                source = re.search(r"\"\$path\" = 's3://[^/]+/([^']+)'", query)
                assert source is not None
                for number in range(deployment.unload_files):
                    s3.put_object(
                        Bucket=target.group(1),
                        Key=f"{target.group(2)}{number:04d}_part.parquet",
                        Body=f"PAR1 {source.group(1)} without the person #{number}".encode(),
                    )
            return str(original(self, query, *args, **kwargs))

        def invoke(
            backend: Any, function_name: str, qualifier: Any, body: Any, *rest: Any
        ) -> bytes:
            payload = json.loads(body or "{}")
            deployment.invocations.append(payload)
            return json.dumps(module.handler(payload, FakeContext())).encode()

        monkeypatch.setattr(AthenaBackend, "start_query_execution", start_query_execution)
        monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
        yield deployment


def _erase(deployment: EraseDeployment) -> tuple[str, str]:
    """Run the AWS eraser as DeleteEndpoint does; (execution ARN, token)."""
    from clarion.adapters.aws.audience.personal_data_eraser import S3PersonalDataEraser

    eraser = S3PersonalDataEraser(
        deployment.clients["s3"],
        BUCKET,
        stepfunctions=deployment.clients["stepfunctions"],
        erase_state_machine_arn=deployment.state_machine_arn,
        settle_seconds=0,
    )
    token = erasure_token()
    [item] = [i for i in eraser.erase(PERSON, token) if i.action == "scheduled"]
    assert item.store == "s3" and item.count == 3
    assert item.location.startswith(
        deployment.state_machine_arn.replace(":stateMachine:", ":execution:")
    )
    return item.location, token


def _lake(deployment: EraseDeployment) -> None:
    for key in (EVENTS_KEY, CHANGES_KEY, SNAPSHOT_KEY):
        deployment.put(key, f"PAR1 {key} first version, with nine@example.org".encode())
        deployment.put(key, f"PAR1 {key} second version, with nine@example.org".encode())
    for key in OTHER_KEYS:
        deployment.put(key, b"PAR1 someone else")


def test_each_object_holding_the_person_is_rewritten_and_its_history_deleted(
    deployment: EraseDeployment,
) -> None:
    _lake(deployment)
    deployment.queue_found(EVENTS_KEY)
    deployment.queue_found(CHANGES_KEY)
    deployment.queue_found(SNAPSHOT_KEY)

    execution, token = _erase(deployment)
    described = deployment.wait_for(execution)

    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["Token"] == token
    assert [d["Table"] for d in output["Datasets"]] == [
        "events",
        "endpoint_changes",
        "endpoint_snapshot",
    ]
    for dataset, key in zip(
        output["Datasets"], (EVENTS_KEY, CHANGES_KEY, SNAPSHOT_KEY), strict=True
    ):
        assert dataset["Objects"] == [{"Key": key, "Action": "rewritten", "Files": 1}]
        # The staged copy is the object now, and it is the object's only version.
        assert deployment.read(key) == f"PAR1 {key} without the person #0".encode()
        assert len(deployment.versions(key)) == 1
    for key in OTHER_KEYS:
        assert deployment.read(key) == b"PAR1 someone else"
    assert deployment.keys("erase-staging/") == []


def test_the_queries_name_the_person_by_digest_and_one_object_each(
    deployment: EraseDeployment,
) -> None:
    _lake(deployment)
    deployment.queue_found(EVENTS_KEY)
    deployment.queue_found()
    deployment.queue_found(SNAPSHOT_KEY)

    execution, token = _erase(deployment)
    assert deployment.wait_for(execution)["status"] == "SUCCEEDED"

    finds = [q for q in deployment.queries if q.startswith("SELECT DISTINCT")]
    unloads = [q for q in deployment.queries if q.startswith("UNLOAD")]
    assert [re.search(r'FROM "erase_db"\."(\w+)"', q).group(1) for q in finds] == [  # type: ignore[union-attr]
        "events",
        "endpoint_changes",
        "endpoint_snapshot",
    ]
    assert len(unloads) == 2
    assert f"\"$path\" = 's3://{BUCKET}/{EVENTS_KEY}'" in unloads[0]
    assert "dt = '2026-11-02'" in unloads[0]
    assert f"'{token}'" in unloads[0]  # the events keep their counts under the token
    assert "snapshot_ms = 1764000000000" in unloads[1] and "AND NOT (" in unloads[1]
    assert "WITH (format = 'PARQUET', compression = 'SNAPPY')" in unloads[1]
    everything = json.dumps(
        [deployment.queries, deployment.invocations, _history(deployment, execution)],
        default=str,
    )
    for value in PERSON.values:
        assert value not in everything
    for digest in subject_digests(PERSON):
        assert all(digest in q for q in deployment.queries)


def _history(deployment: EraseDeployment, execution: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = deployment.clients["stepfunctions"].get_execution_history(
        executionArn=execution, maxResults=1000
    )["events"]
    return events


def test_an_object_of_only_the_person_is_deleted_and_extra_files_kept_beside_it(
    deployment: EraseDeployment,
) -> None:
    _lake(deployment)
    deployment.queue_found(EVENTS_KEY)
    deployment.queue_found()
    deployment.queue_found()
    deployment.unload_files = 2
    execution, _ = _erase(deployment)
    assert deployment.wait_for(execution)["status"] == "SUCCEEDED"
    extra = EVENTS_KEY.replace(".parquet", "-erase-1.parquet")
    assert deployment.read(EVENTS_KEY) == f"PAR1 {EVENTS_KEY} without the person #0".encode()
    assert deployment.read(extra) == f"PAR1 {EVENTS_KEY} without the person #1".encode()

    # The person's only rows: UNLOAD writes nothing, and the object goes (all versions).
    deployment.unload_files = 0
    deployment.queue_found()
    deployment.queue_found(CHANGES_KEY)
    deployment.queue_found()
    from clarion.adapters.aws.audience.personal_data_eraser import S3PersonalDataEraser

    eraser = S3PersonalDataEraser(
        deployment.clients["s3"],
        BUCKET,
        stepfunctions=deployment.clients["stepfunctions"],
        erase_state_machine_arn=deployment.state_machine_arn,
        settle_seconds=0,
    )
    [item] = [i for i in eraser.erase(PERSON, erasure_token()) if i.action == "scheduled"]
    described = deployment.wait_for(item.location)
    assert described["status"] == "SUCCEEDED", described
    changes = json.loads(described["output"])["Datasets"][1]["Objects"]
    assert changes == [{"Key": CHANGES_KEY, "Action": "deleted", "Files": 1}]
    assert deployment.read(CHANGES_KEY) is None
    assert deployment.versions(CHANGES_KEY) == []


def test_erasing_twice_starts_one_execution(deployment: EraseDeployment) -> None:
    from clarion.adapters.aws.audience.personal_data_eraser import S3PersonalDataEraser

    for _ in range(3):
        deployment.queue_found()
    eraser = S3PersonalDataEraser(
        deployment.clients["s3"],
        BUCKET,
        stepfunctions=deployment.clients["stepfunctions"],
        erase_state_machine_arn=deployment.state_machine_arn,
        settle_seconds=0,
    )
    token = erasure_token()
    first = [i for i in eraser.erase(PERSON, token) if i.action == "scheduled"]
    second = [i for i in eraser.erase(PERSON, token) if i.action == "scheduled"]
    assert first == second
    deployment.wait_for(first[0].location)
    executions = deployment.clients["stepfunctions"].list_executions(
        stateMachineArn=deployment.state_machine_arn
    )["executions"]
    assert len(executions) == 1
