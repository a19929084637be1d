"""The churn scoring and training state machines under moto's Step Functions
interpreter, with the real Lambda handlers in process.

moto's SageMaker completes every job at once and writes nothing, so the test plays
SageMaker: when the jobs Lambda starts a training job, the test trains the same
XGBoost locally on the label-first CSV the pipeline wrote and places ``model.tar.gz``
where the job's ``ModelArtifacts`` say; when it starts a transform job, the test scores
the transform input with that model and places ``<input>.out`` (``id,score`` lines, as
the job's input filter and join would). Athena results are injected (moto writes them as
the CSV result object the prepare steps read).
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests
from fakes.step_functions import wait_for_execution
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from clarion.domain.churn.model import (
    FEATURE_COLUMNS,
    ID_COLUMN,
    LABEL_COLUMN,
    SPLIT_COLUMN,
)

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]
BUCKET = "churn-data"
WORKGROUP = "churn-wg"
RESULTS = f"s3://{BUCKET}/athena-results/"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
FUNCTIONS = {
    "features": "clarion-churn-features",
    "jobs": "clarion-churn-jobs",
    "write": "clarion-churn-write-scores",
    "segment": "clarion-churn-refresh-segment",
    "evaluate": "clarion-churn-evaluate",
}
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


def _arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{name}"


def render(path: str, topic_arn: str) -> str:
    text = (ROOT / "infra" / "statemachines" / path).read_text("utf-8")
    substitutions = {
        "FeaturesFunctionArn": _arn(FUNCTIONS["features"]),
        "JobsFunctionArn": _arn(FUNCTIONS["jobs"]),
        "WriteScoresFunctionArn": _arn(FUNCTIONS["write"]),
        "SegmentFunctionArn": _arn(FUNCTIONS["segment"]),
        "EvaluateFunctionArn": _arn(FUNCTIONS["evaluate"]),
        "FailureTopicArn": topic_arn,
    }
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "a substitution is missing"
    return text


def feature_rows(split: str, count: int, seed: int, prefix: str = "ep") -> list[dict[str, Any]]:
    """Rows as the features query returns them; churn follows recency and sessions."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        row: dict[str, Any] = {ID_COLUMN: f"{prefix}-{i:04d}", SPLIT_COLUMN: split}
        for name in FEATURE_COLUMNS:
            row[name] = rng.randint(0, 5)
        row["days_since_last_activity"] = rng.uniform(0, 90)
        row["sessions_30d"] = rng.randint(0, 20)
        # A history in the BTYD sense: repeat days, first to last, first to the cut-off.
        row["btyd_frequency"] = rng.randint(0, 12)
        row["btyd_recency"] = rng.randint(1, 150) if row["btyd_frequency"] else 0
        row["btyd_age"] = row["btyd_recency"] + 1 + int(row["days_since_last_activity"])
        risk = row["days_since_last_activity"] / 90 - row["sessions_30d"] / 40
        row[LABEL_COLUMN] = None if split == "score" else int(risk + rng.gauss(0, 0.2) > 0.3)
        rows.append(row)
    return rows


@dataclass
class FakeContext:
    """What the handlers' Powertools decorators read of a Lambda context."""

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
    scoring_arn: str
    training_arn: str
    topic_arn: str
    invocations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_next: dict[str, int] = field(default_factory=dict)
    # The candidate's held-out transform scores at random: a model that learned nothing.
    noisy_candidate: bool = False

    def queue_query(self, rows: list[dict[str, Any]]) -> None:
        columns = [ID_COLUMN, SPLIT_COLUMN, *FEATURE_COLUMNS, LABEL_COLUMN]
        data = [{"Data": [{"VarCharValue": c} for c in columns]}]
        for row in rows:
            cells = ["" if row[c] is None else str(row[c]) for c in columns]
            data.append({"Data": [{"VarCharValue": v} for v in cells]})
        response = requests.post(
            "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
            json={
                "account_id": DEFAULT_ACCOUNT_ID,
                "region": REGION,
                "results": [
                    {"rows": data, "column_info": [{"Name": c, "Type": "varchar"} for c in columns]}
                ],
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def run(self, arn: str, execution_input: dict[str, Any], name: str) -> dict[str, Any]:
        execution = self.clients["stepfunctions"].start_execution(
            stateMachineArn=arn, name=name, input=json.dumps(execution_input)
        )["executionArn"]
        return wait_for_execution(self.clients["stepfunctions"], execution, 120)

    def invoked(self, key: str) -> list[dict[str, Any]]:
        return [p for n, p in self.invocations if n == FUNCTIONS[key]]

    def s3_text(self, url: str) -> str:
        bucket, key = url.removeprefix("s3://").split("/", 1)
        return str(self.clients["s3"].get_object(Bucket=bucket, Key=key)["Body"].read().decode())

    def put_s3(self, url: str, body: bytes) -> None:
        bucket, key = url.removeprefix("s3://").split("/", 1)
        self.clients["s3"].put_object(Bucket=bucket, Key=key, Body=body)


def _modules() -> dict[str, ModuleType]:
    from lambdas.churn_evaluate import handler as evaluate
    from lambdas.churn_features import handler as features
    from lambdas.churn_jobs import handler as jobs
    from lambdas.churn_refresh_segment import handler as segment
    from lambdas.churn_write_scores import handler as write

    return {
        FUNCTIONS["features"]: features,
        FUNCTIONS["jobs"]: jobs,
        FUNCTIONS["write"]: write,
        FUNCTIONS["segment"]: segment,
        FUNCTIONS["evaluate"]: evaluate,
    }


def _play_sagemaker(
    deployment: Deployment, payload: dict[str, Any], result: dict[str, Any]
) -> None:
    """What SageMaker would have written for the job the jobs Lambda just started."""
    import numpy as np

    from clarion.adapters.local.churn.learner import pack_model, train_booster, unpack_model

    def score(model_uri: str, input_uri: str, output_uri: str) -> None:
        booster = unpack_model(
            deployment.clients["s3"]
            .get_object(**dict(zip(("Bucket", "Key"), model_uri[5:].split("/", 1), strict=True)))[
                "Body"
            ]
            .read()
        )
        import xgboost as xgb

        lines = [line.split(",") for line in deployment.s3_text(input_uri).splitlines() if line]
        # The input holds the model's own features, in its order.
        predictions = booster.predict(
            xgb.DMatrix(np.asarray([[float(v) for v in parts[1:]] for parts in lines]))
        )
        if deployment.noisy_candidate and "/eval/output/model" in output_uri:
            predictions = np.random.default_rng(0).random(len(lines))
        name = input_uri.rsplit("/", 1)[-1]
        body = "".join(f"{p[0]},{s:.6f}\n" for p, s in zip(lines, predictions, strict=True))
        deployment.put_s3(f"{output_uri}/{name}.out", body.encode())

    action = payload["action"]
    if action == "start_training":
        text = deployment.s3_text(f"{payload['train_uri']}/train.csv")
        table = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
        from clarion.domain.churn.model import DEFAULT_HYPERPARAMETERS

        booster = train_booster(
            table[:, 1:], table[:, 0], {**DEFAULT_HYPERPARAMETERS, "num_round": "20"}
        )
        job = deployment.clients["sagemaker"].describe_training_job(
            TrainingJobName=payload["job_name"]
        )
        deployment.put_s3(job["ModelArtifacts"]["S3ModelArtifacts"], pack_model(booster))
    elif action == "start_transform":
        score(payload["model_uri"], payload["input_uri"], payload["output_uri"])
    elif action == "start_evaluation":
        current = deployment.boot.adapters.churn_model_store.promoted()
        uris = {"model": payload["candidate_uri"], "current": current.artifact if current else ""}
        for name, job in result["jobs"].items():
            score(uris[name], payload["input_uri"], job["output_uri"].rsplit("/", 1)[0])


def _patch_lambda(monkeypatch: pytest.MonkeyPatch, deployment: Deployment) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    modules = _modules()

    def invoke(
        backend: Any,
        function_name: str,
        qualifier: Any,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        name = function_name.rsplit(":", 1)[-1]
        payload = json.loads(body or "{}")
        deployment.invocations.append((name, payload))
        try:
            if deployment.fail_next.get(name):
                deployment.fail_next[name] -= 1
                raise ConnectionError(f"{name}: injected failure")
            result = modules[name].handler(payload, FakeContext(name))
            if name == FUNCTIONS["jobs"]:
                _play_sagemaker(deployment, payload, result)
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
        return json.dumps(result, default=str).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)


@pytest.fixture
def deployment(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import AwsSettings, Settings
    from lambdas._runtime import LazyBootstrap

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws(config=MOTO_CONFIG):
        names = ("dynamodb", "s3", "athena", "sns", "sqs", "stepfunctions", "iam", "sagemaker")
        clients = {n: boto3.client(n, region_name=REGION) for n in names}
        clients["dynamodb"].create_table(**endpoints_table_spec("churn-endpoints"))
        clients["dynamodb"].create_table(**definitions_table_spec("churn-definitions"))
        clients["s3"].create_bucket(Bucket=BUCKET)
        clients["athena"].create_work_group(
            Name=WORKGROUP, Configuration={"ResultConfiguration": {"OutputLocation": RESULTS}}
        )
        topic_arn = clients["sns"].create_topic(Name="churn-failures")["TopicArn"]
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "states.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = clients["iam"].create_role(
            RoleName="churn-sm", AssumeRolePolicyDocument=json.dumps(trust)
        )
        role_arn = role["Role"]["Arn"]
        sfn = clients["stepfunctions"]
        scoring = sfn.create_state_machine(
            name="churn-scoring",
            definition=render("churn_scoring.asl.json", topic_arn),
            roleArn=role_arn,
        )["stateMachineArn"]
        training = sfn.create_state_machine(
            name="churn-training",
            definition=render("churn_training.asl.json", topic_arn),
            roleArn=role_arn,
        )["stateMachineArn"]
        settings = Settings(
            backend="aws",
            aws=AwsSettings(
                region=REGION,
                endpoints_table="churn-endpoints",
                definitions_table="churn-definitions",
                data_bucket=BUCKET,
                athena_workgroup=WORKGROUP,
                athena_output=RESULTS,
                churn_image_uri=IMAGE,
                sagemaker_role_arn=role_arn,
                churn_write_limit=7,
            ),
        )
        boot = Bootstrap(settings, **clients)
        result = Deployment(boot, clients, scoring, training, topic_arn)
        for module in _modules().values():
            monkeypatch.setattr(module, "bootstrap", LazyBootstrap(boot))
        _patch_lambda(monkeypatch, result)
        yield result


def _endpoints(deployment: Deployment, count: int) -> list[str]:
    from clarion.domain.audience.endpoint import Endpoint

    ids = [f"ep-{i:04d}" for i in range(count)]
    deployment.boot.adapters.profile_store.put_endpoints(
        [
            Endpoint.model_validate(
                {
                    "Id": i,
                    "ChannelType": "EMAIL",
                    "Address": f"{i}@example.com",
                    "Metrics": {"orders": 3.0},
                }
            )
            for i in ids
        ]
    )
    return ids


def test_training_then_scoring_end_to_end(deployment: Deployment) -> None:
    ids = _endpoints(deployment, 20)
    deployment.queue_query(feature_rows("train", 300, 1) + feature_rows("eval", 200, 2))

    trained = deployment.run(deployment.training_arn, {"poll_seconds": 0}, "train-1")

    assert trained["status"] == "SUCCEEDED", trained
    output = json.loads(trained["output"])
    result = output["result"]["payload"]
    assert result["promoted"] is True
    assert result["decision"]["reason"] == "no current model"
    assert 0.5 < result["auc"] <= 1.0
    promoted = deployment.boot.adapters.churn_model_store.promoted()
    assert promoted is not None
    assert promoted.model_id == result["model_id"]
    assert promoted.artifact.endswith("model.tar.gz")
    (start,) = [p for p in deployment.invoked("jobs") if p["action"] == "start_training"]
    job = deployment.clients["sagemaker"].describe_training_job(TrainingJobName=start["job_name"])
    assert job["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert job["InputDataConfig"][0]["ContentType"] == "text/csv"
    # Label first, no header.
    first = deployment.s3_text(f"{start['train_uri']}/train.csv").splitlines()[0].split(",")
    assert first[0] in {"0", "1"} and len(first) == 1 + len(FEATURE_COLUMNS)

    deployment.queue_query(feature_rows("score", 20, 3))
    scored = deployment.run(deployment.scoring_arn, {"poll_seconds": 0}, "score-1")

    assert scored["status"] == "SUCCEEDED", scored
    endpoints = deployment.boot.adapters.profile_store.get_endpoints(ids)
    risks = {i: e.metrics["ChurnRisk"] for i, e in endpoints.items()}
    assert len(risks) == 20 and all(0.0 <= r <= 1.0 for r in risks.values())
    assert all(e.metrics["orders"] == 3.0 for e in endpoints.values())  # merged, kept
    # 20 scores at 7 a call: the write loop ran three times.
    writes = deployment.invoked("write")
    assert [w["offset"] for w in writes] == [0, 7, 14]
    transform = deployment.clients["sagemaker"].describe_transform_job(
        TransformJobName=next(
            p for p in deployment.invoked("jobs") if p["action"] == "start_transform"
        )["job_name"]
    )
    assert transform["DataProcessing"]["InputFilter"] == "$[1:]"
    segments = deployment.boot.segment_service.list_segments()
    (segment,) = [s for s in segments if s["Name"] == "churn-risk"]
    assert (
        segment["Dimensions"]["Metrics"]["ChurnRisk"]["ComparisonOperator"]
        == "GREATER_THAN_OR_EQUAL"
    )

    # A second training run compares the candidate with the promoted model.
    deployment.queue_query(feature_rows("train", 300, 4) + feature_rows("eval", 200, 5))
    again = deployment.run(deployment.training_arn, {"poll_seconds": 0}, "train-2")
    assert again["status"] == "SUCCEEDED", again
    decision = json.loads(again["output"])["result"]["payload"]["decision"]
    assert decision["current_auc"] is not None
    now = deployment.boot.adapters.churn_model_store.promoted()
    assert now is not None
    assert (now.model_id != promoted.model_id) == decision["promote"]


def test_scoring_without_a_model_skips(deployment: Deployment) -> None:
    _endpoints(deployment, 3)
    deployment.queue_query(feature_rows("score", 3, 1))
    described = deployment.run(deployment.scoring_arn, {"poll_seconds": 0}, "score-none")
    assert described["status"] == "SUCCEEDED", described
    assert not deployment.invoked("write")
    assert not [p for p in deployment.invoked("jobs") if p["action"] == "start_transform"]


def test_a_failure_is_retried_then_notified(deployment: Deployment) -> None:
    sqs = deployment.clients["sqs"]
    url = sqs.create_queue(QueueName="churn-failures")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    deployment.clients["sns"].subscribe(TopicArn=deployment.topic_arn, Protocol="sqs", Endpoint=arn)
    deployment.queue_query([])  # no rows: not enough history to train

    described = deployment.run(deployment.training_arn, {"poll_seconds": 0}, "train-empty")

    assert described["status"] == "FAILED"
    assert described["error"] == "ChurnPipelineFailed"
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    notice = json.loads(json.loads(message["Body"])["Message"])
    assert "not enough history" in notice["error"]["Cause"]


def test_the_definition_and_the_selection_on_aws(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stack settings define churn as purchases only; a SageMaker model that learned
    nothing loses to a baseline, which is promoted, and scoring then runs without a
    transform job; a deployment with another definition refuses to score with it."""
    from dataclasses import replace

    from clarion.bootstrap import Bootstrap
    from clarion.domain.churn import ChurnDefinition
    from lambdas._runtime import LazyBootstrap

    def redeploy(**churn: Any) -> None:
        settings = replace(deployment.boot.settings, **churn)
        deployment.boot = Bootstrap(settings, **deployment.clients)
        for module in _modules().values():
            monkeypatch.setattr(module, "bootstrap", LazyBootstrap(deployment.boot))

    redeploy(
        churn_label_days=91,
        churn_active_days=365,
        churn_activity_events="_monetization.purchase",
    )
    ids = _endpoints(deployment, 20)
    deployment.noisy_candidate = True
    deployment.queue_query(feature_rows("train", 300, 11) + feature_rows("eval", 200, 12))

    trained = deployment.run(deployment.training_arn, {"poll_seconds": 0}, "train-def")

    assert trained["status"] == "SUCCEEDED", trained
    result = json.loads(trained["output"])["result"]["payload"]
    assert result["chosen"] != "xgboost" and result["promoted"] is True
    (query,) = deployment.clients["athena"].list_query_executions()["QueryExecutionIds"]
    sql = deployment.clients["athena"].get_query_execution(QueryExecutionId=query)
    assert ",_monetization.purchase," in sql["QueryExecution"]["Query"]
    promoted = deployment.boot.adapters.churn_model_store.promoted()
    assert promoted is not None and promoted.kind == result["chosen"]
    assert promoted.churn_definition == ChurnDefinition(91, 365, ("_monetization.purchase",))
    # Every candidate is kept, the XGBoost one too.
    (xgboost,) = [c for c in result["selection"]["comparisons"] if c["b"] == "xgboost"]
    assert xgboost["difference"] > 0

    deployment.queue_query(feature_rows("score", 20, 13))
    scored = deployment.run(deployment.scoring_arn, {"poll_seconds": 0}, "score-def")
    assert scored["status"] == "SUCCEEDED", scored
    assert not [p for p in deployment.invoked("jobs") if p["action"] == "start_transform"]
    risks = deployment.boot.adapters.profile_store.get_endpoints(ids)
    assert all(0.0 <= e.metrics["ChurnRisk"] <= 1.0 for e in risks.values())

    # Another definition of churn: the promoted model does not score for it.
    redeploy(churn_label_days=28, churn_active_days=365, churn_activity_events="")
    writes = len(deployment.invoked("write"))
    deployment.queue_query(feature_rows("score", 20, 14))
    refused = deployment.run(deployment.scoring_arn, {"poll_seconds": 0}, "score-other")
    assert refused["status"] == "FAILED"
    assert len(deployment.invoked("write")) == writes
