"""The import-job state machine under moto's Step Functions interpreter, with the real
piece and finish handlers running in process, through the job service's AWS path
(CreateImportJob → one execution per file → GetImportJob).

moto's interpreter reads the file with the S3 ItemReader (CSV with a header row) and
runs each item through the Distributed Map's item processor, but it parses neither
ItemBatcher nor JSONL (and evaluates a ResultWriter on the Map's output): the machine
run here is the deployed ASL without those members and with the job beside each item,
which the piece handler accepts as a batch of one. The batched shape, the JSONL reader
and the ResultWriter are checked on the ASL itself, and the piece worker is run on
ItemBatcher-shaped batches directly (a retried piece, a failed piece).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

REGION = "us-east-1"
ASL_FILE = Path(__file__).resolve().parents[2] / "infra" / "statemachines" / "import_job.asl.json"
ENDPOINTS_TABLE = "ij-endpoints"
DEFINITIONS_TABLE = "ij-definitions"
DATA_BUCKET = "ij-data"
APP_ID = "ij-app"
FUNCTIONS = {"piece": "clarion-import-job-piece", "finish": "clarion-import-job-finish"}
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


def _arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{name}"


def deployed_asl() -> dict[str, Any]:
    text = ASL_FILE.read_text(encoding="utf-8")
    for name, value in {
        "PieceFunctionArn": _arn(FUNCTIONS["piece"]),
        "FinishFunctionArn": _arn(FUNCTIONS["finish"]),
        "DataBucket": DATA_BUCKET,
    }.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text
    document: dict[str, Any] = json.loads(text)
    return document


def moto_asl() -> dict[str, Any]:
    """The deployed ASL as far as moto's interpreter runs it (module docstring)."""
    document = copy.deepcopy(deployed_asl())
    for name in ("CsvRows", "JsonLines"):
        state = document["States"][name]
        state.pop("ItemBatcher")
        state.pop("ResultWriter")
        state["ItemSelector"]["Job.$"] = "$.Job"
        # One piece at a time: moto's in-process services are not safe to call from the
        # interpreter's parallel iterations (a write can be lost, and a piece with it).
        state["MaxConcurrency"] = 1
        for task in state["ItemProcessor"]["States"].values():
            for retry in task.get("Retry", []):
                retry.pop("JitterStrategy", None)
                retry.pop("MaxDelaySeconds", None)
                retry["IntervalSeconds"], retry["BackoffRate"] = 1, 1.0
    document["States"]["JsonLines"]["ItemReader"]["ReaderConfig"]["InputType"] = "JSON"
    for name in ("FinishFile", "FinishFailedFile"):
        for retry in document["States"][name]["Retry"]:
            retry["IntervalSeconds"], retry["BackoffRate"] = 1, 1.0
    return document


@dataclass
class Context:
    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    @property
    def invoked_function_arn(self) -> str:
        return _arn(self.function_name)

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass
class Deployment:
    boot: Any
    clients: dict[str, Any]
    state_machine_arn: str
    invocations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # first item index -> failures left

    def put_file(self, key: str, text: str) -> str:
        self.clients["s3"].put_object(Bucket=DATA_BUCKET, Key=key, Body=text.encode("utf-8"))
        return f"s3://{DATA_BUCKET}/{key}"

    def wait_all(self, timeout_s: float = 120.0) -> list[dict[str, Any]]:
        sfn = self.clients["stepfunctions"]
        deadline = time.monotonic() + timeout_s
        while True:
            executions = sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"]
            if all(e["status"] != "RUNNING" for e in executions):
                return [sfn.describe_execution(executionArn=e["executionArn"]) for e in executions]
            assert time.monotonic() < deadline, "executions still running"
            time.sleep(0.05)


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> Iterator[Deployment]:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import AwsSettings, Settings
    from lambdas._runtime import LazyBootstrap
    from lambdas.import_job_finish import handler as finish
    from lambdas.import_job_piece import handler as piece

    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Clarion")
    with mock_aws(config=MOTO_CONFIG):
        clients = {
            name: boto3.client(name, region_name=REGION)
            for name in ("dynamodb", "s3", "stepfunctions", "athena", "kinesis")
        }
        clients["dynamodb"].create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        clients["dynamodb"].create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        clients["s3"].create_bucket(Bucket=DATA_BUCKET)
        arn = clients["stepfunctions"].create_state_machine(
            name="clarion-import-job",
            definition=json.dumps(moto_asl()),
            roleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/ij-import-job",
        )["stateMachineArn"]
        settings = Settings(
            backend="aws",
            app_id=APP_ID,
            aws=AwsSettings(
                region=REGION,
                endpoints_table=ENDPOINTS_TABLE,
                definitions_table=DEFINITIONS_TABLE,
                data_bucket=DATA_BUCKET,
                import_job_state_machine_arn=arn,
            ),
        )
        boot = Bootstrap(settings, **clients)
        deployment = Deployment(boot, clients, arn)
        modules = {FUNCTIONS["piece"]: piece, FUNCTIONS["finish"]: finish}
        for module in modules.values():
            monkeypatch.setattr(module, "bootstrap", LazyBootstrap(boot))

        def invoke(
            backend: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: dict[str, str],
        ) -> bytes:
            name = function_name.rsplit(":", 1)[-1]
            payload = json.loads(body or "{}")
            deployment.invocations.append((name, payload))
            try:
                index = payload.get("Index")
                failing = name == FUNCTIONS["piece"] and "Error" not in payload
                if failing and deployment.fail.get(index, 0) > 0:
                    deployment.fail[index] -= 1
                    raise ConnectionError("injected: the piece's DynamoDB write timed out")
                result = modules[name].handler(payload, Context(name))
            except Exception as exc:
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps(
                    {"errorType": type(exc).__name__, "errorMessage": str(exc)}
                ).encode()
            return json.dumps(result).encode()

        monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)
        yield deployment


def _imported_members(deployment: Deployment, segment_id: str) -> list[str]:
    """Every id in the segment's membership objects (Athena reads them; moto does not
    run Athena), duplicates included."""
    from clarion.adapters.aws.segments.segment_repository import imported_members_prefix

    s3 = deployment.clients["s3"]
    listed = s3.list_objects_v2(Bucket=DATA_BUCKET, Prefix=imported_members_prefix(segment_id))
    ids: list[str] = []
    for item in listed.get("Contents", []):
        body = s3.get_object(Bucket=DATA_BUCKET, Key=item["Key"])["Body"].read().decode()
        ids.extend(line for line in body.splitlines() if line)
    return ids


HEADER = "ChannelType,Address,User.UserId,Attributes.Plan\n"


def _rows(count: int, start: int = 0) -> str:
    return "".join(f"EMAIL,c{n}@example.com,user-{n},gold\n" for n in range(start, start + count))


def test_an_import_job_reads_the_file_as_a_distributed_map_and_gathers_the_result(
    deployment: Deployment,
) -> None:
    broken = "SMS,not-a-number,user-x,gold\nFAX,f@example.com,user-y,gold\n"
    url = deployment.put_file("imports/customers.csv", HEADER + _rows(5) + broken + _rows(3, 5))
    # The piece at item 2 fails once (retried, writes nothing twice), the one at item 8
    # keeps failing (recorded as a failed piece, its row not imported).
    deployment.fail = {2: 1, 8: 99}
    jobs = deployment.boot.job_service
    created = jobs.create_import_job(
        {"S3Url": url, "Format": "CSV", "DefineSegment": True, "SegmentName": "customers"}
    )
    assert created["JobStatus"] == "PROCESSING"
    segment_id = created["Definition"]["SegmentId"]

    executions = deployment.wait_all()
    assert [e["status"] for e in executions] == ["SUCCEEDED"]
    job = jobs.get_job("import-job", created["Id"])

    assert job["JobStatus"] == "COMPLETED"
    assert job["TotalPieces"] == 10  # a piece an item here (moto has no ItemBatcher)
    assert job["CompletedPieces"] == 9
    assert job["FailedPieces"] == 1
    assert job["TotalProcessed"] == 7  # 8 good rows, one of them in the failed piece
    # Lines: the header is line 1, so item n is line n + 2.
    failures = job["Failures"]
    assert any(f.startswith("customers.csv line 7: Address:") for f in failures), failures
    assert any(f.startswith("customers.csv line 8: ChannelType:") for f in failures), failures
    assert any(f.startswith("customers.csv rows 8-8:") for f in failures), failures
    assert job["TotalFailures"] == 3

    profiles = deployment.boot.adapters.profile_store
    from clarion.domain.audience import address_endpoint_id

    stored = profiles.get_endpoints(
        [address_endpoint_id("EMAIL", f"c{n}@example.com") for n in range(8)]
    )
    assert len(stored) == 7
    members = _imported_members(deployment, segment_id)
    assert sorted(members) == sorted(stored)  # each once, though a piece ran twice
    # The retried piece ran twice and wrote one record.
    piece_calls = [p for n, p in deployment.invocations if n == FUNCTIONS["piece"]]
    assert sum(1 for p in piece_calls if p.get("Index") == 2) == 2


def test_starting_a_job_again_makes_no_second_execution_or_segment(
    deployment: Deployment,
) -> None:
    from clarion.services.audience import job_segment_id

    url = deployment.put_file("imports/vip/list.csv", HEADER + _rows(4))
    jobs = deployment.boot.job_service
    request = {"S3Url": url, "Format": "CSV", "DefineSegment": True, "SegmentName": "vip"}
    first = jobs.create_import_job(request, job_id="drop-1")
    again = jobs.create_import_job(request, job_id="drop-1")
    assert first["Definition"]["SegmentId"] == again["Definition"]["SegmentId"]
    assert first["Definition"]["SegmentId"] == job_segment_id("drop-1")
    executions = deployment.wait_all()
    assert len(executions) == 1
    job = jobs.get_job("import-job", "drop-1")
    assert (job["JobStatus"], job["TotalProcessed"]) == ("COMPLETED", 4)
    segments = [
        s for s in deployment.boot.segment_service.list_segments() if s.get("Name") == "vip"
    ]
    assert len(segments) == 1


def test_a_file_with_an_unknown_column_fails_before_any_execution(
    deployment: Deployment,
) -> None:
    url = deployment.put_file("imports/bad.csv", "ChannelType,Adress\nEMAIL,a@example.com\n")
    job = deployment.boot.job_service.create_import_job({"S3Url": url, "Format": "CSV"})
    assert job["JobStatus"] == "FAILED"
    assert job["FailedPieces"] == 1
    assert "Adress" in job["Failures"][0]
    assert deployment.wait_all() == []


def test_a_batched_piece_retried_writes_nothing_twice(deployment: Deployment) -> None:
    """The deployed shape: ItemBatcher's Items and BatchInput, JSON lines."""
    from lambdas.import_job_piece import handler as piece

    store = deployment.boot.adapters.project_store
    job = {"ApplicationId": APP_ID, "JobId": "j-json", "File": 0, "Format": "JSON"}
    store.put_document(APP_ID, "import-job", "j-json", {"Id": "j-json", "JobStatus": "PROCESSING"})
    store.put_document(APP_ID, "import-job-run", "j-json", {"Files": ["e.json"]})
    items = [
        {"Index": n, "Row": {"ChannelType": "SMS", "Address": f"+1415555010{n}"}} for n in range(3)
    ] + [{"Index": 3, "Row": ["not", "an", "object"]}]
    event = {"Items": items, "BatchInput": {"Job": job}}
    assert piece.handler(event, Context(FUNCTIONS["piece"])) == {"Processed": 3, "Failed": 1}
    assert piece.handler(event, Context(FUNCTIONS["piece"])) == {"Processed": 3, "Failed": 1}
    finished = deployment.boot.import_job_pieces.finish_file(job)
    assert finished["JobStatus"] == "COMPLETED"
    assert (finished["TotalPieces"], finished["TotalProcessed"]) == (1, 3)
    assert finished["Failures"] == ["e.json line 4: (record): must be a JSON object"]


def test_the_deployed_asl_batches_reads_both_formats_and_writes_results_to_s3() -> None:
    asl = deployed_asl()
    csv_rows, json_lines = asl["States"]["CsvRows"], asl["States"]["JsonLines"]
    assert csv_rows["ItemReader"]["ReaderConfig"] == {
        "InputType": "CSV",
        "CSVHeaderLocation": "FIRST_ROW",
    }
    assert json_lines["ItemReader"]["ReaderConfig"] == {"InputType": "JSONL"}
    for state in (csv_rows, json_lines):
        assert state["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
        assert state["ItemSelector"] == {
            "Index.$": "$$.Map.Item.Index",
            "Row.$": "$$.Map.Item.Value",
        }
        batcher = state["ItemBatcher"]
        assert batcher["BatchInput"] == {"Job.$": "$.Job"}
        # A batch stays inside Lambda's and Step Functions' 256 KB payload.
        assert batcher["MaxInputBytesPerBatch"] <= 256 * 1024
        assert state["ResultWriter"]["Parameters"]["Bucket"] == DATA_BUCKET
        assert state["ResultPath"] is None  # no row data in the execution's state
        piece = state["ItemProcessor"]["States"]["ImportPiece"]
        assert piece["Retry"] and piece["Catch"][0]["Next"] == "RecordFailedPiece"
        assert state["Catch"][0]["Next"] == "FinishFailedFile"


def test_a_file_dropped_in_the_bucket_becomes_one_job_however_often_it_is_delivered(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drop folder's Lambda, retried asynchronously, resumes the same job."""
    from lambdas._runtime import LazyBootstrap
    from lambdas.import_endpoints import handler as drop_folder

    monkeypatch.setattr(drop_folder, "bootstrap", LazyBootstrap(deployment.boot))
    deployment.put_file("imports/vip-customers/customers.csv", HEADER + _rows(6))
    event = json.loads(
        (Path(__file__).resolve().parents[1] / "events" / "eventbridge_s3_object_created.json")
        .read_text(encoding="utf-8")
        .replace("clarion-data-example", DATA_BUCKET)
    )
    first = drop_folder.handler(event, Context("clarion-import-endpoints"))
    again = drop_folder.handler(event, Context("clarion-import-endpoints"))
    (started,) = first["imports"]
    assert started["status"] == "STARTED"
    assert again["imports"][0]["job_id"] == started["job_id"]
    executions = deployment.wait_all()
    assert len(executions) == 1
    job = deployment.boot.job_service.get_job("import-job", started["job_id"])
    assert (job["JobStatus"], job["TotalProcessed"]) == ("COMPLETED", 6)
    named = [
        s
        for s in deployment.boot.segment_service.list_segments()
        if s.get("Name") == "vip-customers"
    ]
    assert [s["Id"] for s in named] == [job["Definition"]["SegmentId"]]


# -- a 10,000,000-row job -------------------------------------------------------------
#
# moto's interpreter runs the Map one item at a time in process (about a tenth of a second
# an item here), so a 10,000,000-row file cannot run through it. What a 10M-row job needs
# is checked piece by piece instead: the deployed ASL's batching against Step Functions'
# limits for the whitepaper rows of such a file, the worker on a batch of the largest
# size the ASL can hand it (its DynamoDB round trips and memory against the Lambda's
# budget), the finishing step gathering the pieces of a 10M-row job, and a realistic
# whitepaper file (with bad rows and a retried piece) run through the interpreter.

TEN_MILLION = 10_000_000
# Step Functions' documented limits for a Distributed Map (quotas page).
ITEM_READER_MAX_OBJECT_BYTES = 10 * 1000**3  # an S3 object read by ItemReader: 10 GB
MAX_CONCURRENCY_LIMIT = 10_000  # concurrent child workflow executions of a Map Run
MAX_BATCH_BYTES = 256 * 1024  # a task's input (ItemBatcher's MaxInputBytesPerBatch)
CHILD_HISTORY_EVENTS = 25_000  # events of one (Standard) child execution
# A generous DynamoDB round trip for the worker's budget (real ones take milliseconds;
# this leaves room for throttling back-offs).
ROUND_TRIP_SECONDS = 0.1


def _whitepaper_items(count: int, bad_rows: int = 0) -> tuple[list[dict[str, Any]], Any]:
    """Whitepaper rows as the CSV ItemReader and ItemSelector hand them to the Map: each
    row an object of header to string, with its 0-based index (and the sample's bad
    rows)."""
    import csv
    import io

    from clarion_devkit.samples.customers import write_customers

    text = io.StringIO(newline="")
    sample = write_customers(text, count, seed=13, bad_rows=bad_rows)
    rows = csv.DictReader(io.StringIO(text.getvalue(), newline=""))
    return [{"Index": n, "Row": row} for n, row in enumerate(rows)], sample


def _rows_per_batch(state: dict[str, Any], items: list[dict[str, Any]]) -> int:
    """Rows in the fullest batch ItemBatcher makes of these rows (the largest row each
    time): its MaxItemsPerBatch, or fewer when MaxInputBytesPerBatch is reached first."""
    batcher = state["ItemBatcher"]
    envelope = len(json.dumps({"Items": [], "BatchInput": {"Job": {"JobId": "x" * 64}}}))
    largest = max(len(json.dumps(item)) + 1 for item in items)
    by_bytes = (batcher["MaxInputBytesPerBatch"] - envelope) // largest
    return int(min(batcher["MaxItemsPerBatch"], by_bytes))


def test_a_ten_million_row_file_fits_the_distributed_maps_limits() -> None:
    """The deployed ASL against Step Functions' limits for a 10M-row whitepaper file."""
    import math

    from infra.constructs.import_jobs import PIECE_TIMEOUT_SECONDS

    items, _ = _whitepaper_items(2000)
    state = deployed_asl()["States"]["CsvRows"]
    per_batch = _rows_per_batch(state, items)
    batches = math.ceil(TEN_MILLION / per_batch)
    line_bytes = max(len(",".join(item["Row"].values())) + 1 for item in items)

    assert TEN_MILLION * line_bytes < ITEM_READER_MAX_OBJECT_BYTES  # one ItemReader object
    # About 300 whitepaper rows a batch (bytes decide), so some 33,000 batches.
    assert 100 <= per_batch <= 1000, per_batch
    assert state["ItemBatcher"]["MaxInputBytesPerBatch"] <= MAX_BATCH_BYTES
    assert state["MaxConcurrency"] <= MAX_CONCURRENCY_LIMIT
    # Every batch of the file is a child execution; a Map Run has no limit on their
    # number, only on how many run at once. At 40 at a time, each piece well inside its
    # timeout, the file is read in hours, not the year a Standard execution may run.
    assert batches <= 100_000, batches
    assert batches / state["MaxConcurrency"] * PIECE_TIMEOUT_SECONDS < 365 * 24 * 3600
    # A failed piece never fails the file: it is recorded, the other pieces go on.
    assert state["ToleratedFailurePercentage"] == 100.0
    # A child's history: each task attempt and retry is a handful of events.
    piece = state["ItemProcessor"]["States"]["ImportPiece"]
    recorder = state["ItemProcessor"]["States"]["RecordFailedPiece"]
    attempts = sum(1 + r["MaxAttempts"] for r in piece["Retry"]) + sum(
        1 + r["MaxAttempts"] for r in recorder["Retry"]
    )
    assert attempts * 10 < CHILD_HISTORY_EVENTS
    # No row reaches the parent execution's state (its 256 KB and history limits).
    assert state["ResultPath"] is None and "ResultWriter" in state


def test_the_piece_worker_takes_the_largest_batch_within_its_lambda_budget(
    deployment: Deployment,
) -> None:
    """A batch as full as the ASL makes them for whitepaper rows: every row written, in a
    bounded number of DynamoDB round trips and far less memory than the function has."""
    import math
    import tracemalloc

    from infra.constructs.import_jobs import PIECE_MEMORY_MB, PIECE_TIMEOUT_SECONDS
    from lambdas.import_job_piece import handler as piece

    items, _ = _whitepaper_items(2000)
    per_batch = _rows_per_batch(deployed_asl()["States"]["CsvRows"], items)
    batch = items[:per_batch]
    assert len(json.dumps({"Items": batch})) <= MAX_BATCH_BYTES
    store = deployment.boot.adapters.project_store
    job = {"ApplicationId": APP_ID, "JobId": "j-big", "File": 0, "Format": "CSV"}
    store.put_document(APP_ID, "import-job", "j-big", {"Id": "j-big", "JobStatus": "PROCESSING"})
    store.put_document(APP_ID, "import-job-run", "j-big", {"Files": ["customers.csv"]})

    calls: list[str] = []
    events = deployment.clients["dynamodb"].meta.events
    events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))
    tracemalloc.start()
    try:
        result = piece.handler({"Items": batch, "BatchInput": {"Job": job}}, Context("piece"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert result == {"Processed": per_batch, "Failed": 0}
    # Round trips: reads and writes of 25-100 items at a time, and the per-user limit's
    # lookups (one a user, every whitepaper row has its own user).
    assert len(calls) <= 2 * per_batch + 4 * math.ceil(per_batch / 25), len(calls)
    assert len(calls) * ROUND_TRIP_SECONDS < PIECE_TIMEOUT_SECONDS / 2
    assert peak < PIECE_MEMORY_MB * 1024 * 1024 / 8, peak


class _Documents:
    """The project store's document calls gather_job makes, in a dict."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def put_document(self, app_id: str, kind: str, key: str, document: Any) -> None:
        self.documents.setdefault((app_id, kind), {})[key] = json.loads(json.dumps(document))

    def get_document(self, app_id: str, kind: str, key: str) -> dict[str, Any] | None:
        return self.documents.get((app_id, kind), {}).get(key)

    def list_documents(self, app_id: str, kind: str) -> dict[str, dict[str, Any]]:
        return dict(self.documents.get((app_id, kind), {}))


def test_the_finishing_step_gathers_the_pieces_of_a_ten_million_row_job() -> None:
    """Every piece of a 10M-row file in 1,000-row batches: the counts add up, failed
    pieces and rejected rows are gathered (the rejected rows kept to the job's limit)."""
    from clarion.services.audience.import_jobs import (
        FILE_KIND,
        MAX_FAILURES,
        PIECE_KIND,
        RUN_KIND,
        gather_job,
    )

    store = _Documents()
    job_id, rows = "j-10m", 1000
    store.put_document(APP_ID, "import-job", job_id, {"Id": job_id, "JobStatus": "PROCESSING"})
    store.put_document(APP_ID, RUN_KIND, job_id, {"Files": ["customers.csv"]})
    failed_pieces = {first for first in range(0, TEN_MILLION, 1_000_000)}  # ten pieces
    for first in range(0, TEN_MILLION, rows):
        if first in failed_pieces:
            piece = {"Status": "FAILED", "Processed": 0, "Failed": rows, "Problems": rows}
            piece["Failures"] = [f"rows {first}-{first + rows - 1}: States.Timeout"]
        else:
            bad = 1 if first % 7000 == 0 else 0
            piece = {"Status": "COMPLETED", "Processed": rows - bad, "Failed": bad}
            piece["Problems"] = bad
            piece["Failures"] = [f"line {first + 2}: Address: not valid"] if bad else []
        piece.update({"File": 0, "First": first, "Rows": rows})
        store.put_document(APP_ID, f"{PIECE_KIND}#{job_id}", f"00000#{first:012d}", piece)
    store.put_document(APP_ID, f"{FILE_KIND}#{job_id}", "00000", {"Status": "COMPLETED"})

    job = gather_job(store, APP_ID, job_id)  # type: ignore[arg-type]

    rejected = sum(1 for first in range(0, TEN_MILLION, rows) if first % 7000 == 0)
    rejected -= sum(1 for first in failed_pieces if first % 7000 == 0)
    assert job["JobStatus"] == "COMPLETED"
    assert (job["TotalPieces"], job["CompletedPieces"], job["FailedPieces"]) == (10_000, 9_990, 10)
    assert job["TotalProcessed"] == TEN_MILLION - 10 * rows - rejected
    assert job["TotalFailures"] == 10 * rows + rejected
    assert len(job["Failures"]) == MAX_FAILURES
    assert job["Failures"][0] == "customers.csv rows 0-999: States.Timeout"


def test_a_whitepaper_file_runs_through_the_interpreter_with_bad_rows_and_a_retry(
    deployment: Deployment,
) -> None:
    """A realistic (if small) file: the whitepaper header, bad rows spread through it, a
    piece that fails once; every good row kept once, every bad one reported by line."""
    import csv
    import io

    from clarion.domain.audience import address_endpoint_id
    from clarion.services.audience import job_segment_id

    rows = 150
    items, sample = _whitepaper_items(rows, bad_rows=3)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(items[0]["Row"]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(item["Row"] for item in items)
    url = deployment.put_file("imports/whitepaper/customers.csv", text.getvalue())
    deployment.fail = {rows // 2: 1}
    jobs = deployment.boot.job_service
    created = jobs.create_import_job(
        {"S3Url": url, "Format": "CSV", "DefineSegment": True, "SegmentName": "whitepaper"},
        job_id="whitepaper-1",
    )

    executions = deployment.wait_all(timeout_s=170.0)
    assert [e["status"] for e in executions] == ["SUCCEEDED"]
    job = jobs.get_job("import-job", "whitepaper-1")
    assert job["JobStatus"] == "COMPLETED"
    assert (job["TotalPieces"], job["CompletedPieces"], job["FailedPieces"]) == (rows, rows, 0)
    assert job["TotalProcessed"] == rows - 3
    expected = sorted(
        f"customers.csv line {line}: {field}:" for line, field in sample.bad_rows.items()
    )
    # "<file> line <n>: <field>: <reason>": the line (header is line 1) and the field.
    assert sorted(":".join(f.split(":")[:2]) + ":" for f in job["Failures"]) == expected
    assert created["Definition"]["SegmentId"] == job_segment_id("whitepaper-1")
    good = [
        address_endpoint_id(item["Row"]["ChannelType"], item["Row"]["Address"])
        for item in items
        if item["Index"] + 2 not in sample.bad_rows
    ]
    stored = deployment.boot.adapters.profile_store.get_endpoints(good)
    members = _imported_members(deployment, job_segment_id("whitepaper-1"))
    assert sorted(members) == sorted(stored) and len(stored) == len(set(good))
    piece_calls = [p for n, p in deployment.invocations if n == FUNCTIONS["piece"]]
    assert sum(1 for p in piece_calls if p.get("Index") == rows // 2) == 2  # the retry
