"""Churn on AWS: models and pipeline files in S3, SageMaker training and batch
transform jobs with the built-in XGBoost container, and Athena queries started without
waiting (the state machine polls).

The container image URI is resolved with the SageMaker SDK at deploy time (or in the
CLI) and passed in configuration: the SDK is far too large for a Lambda function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from clarion.adapters.aws.analytics import bind_trino
from clarion.domain.churn import ModelRecord
from clarion.domain.errors import NotFoundError

MODELS_PREFIX = "models/churn/"


def split_s3_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an s3:// URL: {url!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def _missing(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("NoSuchKey", "404", "NotFound")


class S3ChurnFiles:
    """ChurnFiles in the data bucket (keys, or full ``s3://`` URLs)."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def _where(self, key: str) -> tuple[str, str]:
        return split_s3_url(key) if key.startswith("s3://") else (self._bucket, key)

    def put_text(self, key: str, text: str) -> str:
        bucket, name = self._where(key)
        self._client.put_object(Bucket=bucket, Key=name, Body=text.encode("utf-8"))
        return f"s3://{bucket}/{name}"

    def get_text(self, key: str) -> str:
        bucket, name = self._where(key)
        try:
            body = self._client.get_object(Bucket=bucket, Key=name)["Body"].read()
        except Exception as exc:
            if _missing(exc):
                raise NotFoundError("object", f"s3://{bucket}/{name}") from None
            raise
        return bytes(body).decode("utf-8")

    def list_keys(self, prefix: str) -> list[str]:
        bucket, name = self._where(prefix)
        keys: list[str] = []
        for page in self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=name
        ):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)


class S3ChurnModelStore:
    """ChurnModelStore under ``models/churn/`` in the data bucket."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def _put_json(self, key: str, data: Mapping[str, Any]) -> str:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(data, indent=2, default=str).encode("utf-8"),
            ContentType="application/json",
        )
        return f"s3://{self._bucket}/{key}"

    def _get_json(self, key: str) -> dict[str, Any] | None:
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except Exception as exc:
            if _missing(exc):
                return None
            raise
        data: dict[str, Any] = json.loads(body)
        return data

    def save_model(self, record: ModelRecord, archive: bytes) -> str:
        key = f"{MODELS_PREFIX}{record.model_id}/model.tar.gz"
        self._client.put_object(Bucket=self._bucket, Key=key, Body=archive)
        url = f"s3://{self._bucket}/{key}"
        stored = ModelRecord.from_json({**record.to_json(), "artifact": url})
        self._put_json(f"{MODELS_PREFIX}{record.model_id}/model.json", stored.to_json())
        return url

    def register(self, record: ModelRecord) -> None:
        """Keep the record of a model whose artifact is already in S3 (``artifact``)."""
        self._put_json(f"{MODELS_PREFIX}{record.model_id}/model.json", record.to_json())

    def load_model(self, model_id: str) -> tuple[ModelRecord, bytes]:
        data = self._get_json(f"{MODELS_PREFIX}{model_id}/model.json")
        if data is None:
            raise NotFoundError("churn model", model_id)
        record = ModelRecord.from_json(data)
        bucket, key = split_s3_url(record.artifact)
        archive = self._client.get_object(Bucket=bucket, Key=key)["Body"].read()
        return record, bytes(archive)

    def promoted(self) -> ModelRecord | None:
        data = self._get_json(f"{MODELS_PREFIX}promoted.json")
        return ModelRecord.from_json(data) if data else None

    def promote(self, record: ModelRecord) -> None:
        previous = self._get_json(f"{MODELS_PREFIX}promoted.json")
        if previous:
            self._put_json(f"{MODELS_PREFIX}history/{previous['model_id']}.json", previous)
        self.register(record)
        self._put_json(f"{MODELS_PREFIX}promoted.json", record.to_json())

    def put_document(self, name: str, document: Mapping[str, Any]) -> str:
        return self._put_json(f"{MODELS_PREFIX}documents/{name}.json", document)

    def get_document(self, name: str) -> dict[str, Any] | None:
        return self._get_json(f"{MODELS_PREFIX}documents/{name}.json")


class SageMakerChurnJobs:
    """ChurnJobs with boto3: built-in XGBoost training, and batch transform that keeps
    the endpoint id beside each score (input filter drops it, the output joins it)."""

    def __init__(
        self,
        client: Any,
        *,
        image_uri: str,
        role_arn: str,
        instance_type: str = "ml.m5.large",
        max_runtime_s: int = 3600,
    ) -> None:
        self._client = client
        self._image_uri = image_uri
        self._role_arn = role_arn
        self._instance_type = instance_type
        self._max_runtime_s = max_runtime_s

    def _configured(self) -> None:
        if not self._image_uri or not self._role_arn:
            raise RuntimeError("CLARION_CHURN_IMAGE_URI and CLARION_SAGEMAKER_ROLE_ARN must be set")

    def start_training(
        self,
        job_name: str,
        train_uri: str,
        output_uri: str,
        hyperparameters: Mapping[str, str],
    ) -> str:
        self._configured()
        self._client.create_training_job(
            TrainingJobName=job_name,
            AlgorithmSpecification={"TrainingImage": self._image_uri, "TrainingInputMode": "File"},
            RoleArn=self._role_arn,
            HyperParameters={k: str(v) for k, v in hyperparameters.items()},
            InputDataConfig=[
                {
                    "ChannelName": "train",
                    "ContentType": "text/csv",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": train_uri,
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
            ],
            OutputDataConfig={"S3OutputPath": output_uri},
            ResourceConfig={
                "InstanceType": self._instance_type,
                "InstanceCount": 1,
                "VolumeSizeInGB": 10,
            },
            StoppingCondition={"MaxRuntimeInSeconds": self._max_runtime_s},
        )
        return job_name

    def training_artifact(self, job_name: str) -> str:
        job = self._client.describe_training_job(TrainingJobName=job_name)
        return str(job["ModelArtifacts"]["S3ModelArtifacts"])

    def start_transform(
        self, job_name: str, model_uri: str, input_uri: str, output_uri: str
    ) -> str:
        self._configured()
        self._client.create_model(
            ModelName=job_name,
            PrimaryContainer={"Image": self._image_uri, "ModelDataUrl": model_uri},
            ExecutionRoleArn=self._role_arn,
        )
        self._client.create_transform_job(
            TransformJobName=job_name,
            ModelName=job_name,
            BatchStrategy="MultiRecord",
            MaxPayloadInMB=6,
            TransformInput={
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            TransformOutput={
                "S3OutputPath": output_uri,
                "AssembleWith": "Line",
                "Accept": "text/csv",
            },
            TransformResources={"InstanceType": self._instance_type, "InstanceCount": 1},
            DataProcessing={
                "InputFilter": "$[1:]",
                "JoinSource": "Input",
                "OutputFilter": "$[0,-1]",
            },
        )
        return job_name

    def transform_status(self, job_name: str) -> str:
        """InProgress, Completed, Failed or Stopped."""
        return str(
            self._client.describe_transform_job(TransformJobName=job_name)["TransformJobStatus"]
        )


class AthenaQueryStarter:
    """Starts an Athena query (placeholders bound as literals) and returns at once."""

    def __init__(
        self, client: Any, workgroup: str, database: str, output_location: str | None
    ) -> None:
        self._client = client
        self._workgroup = workgroup
        self._database = database
        self._output_location = output_location

    def start(self, sql: str, parameters: Mapping[str, Any]) -> str:
        request: dict[str, Any] = {
            "QueryString": bind_trino(sql, parameters),
            "WorkGroup": self._workgroup,
            "QueryExecutionContext": {"Database": self._database},
        }
        if self._output_location:
            request["ResultConfiguration"] = {"OutputLocation": self._output_location}
        return str(self._client.start_query_execution(**request)["QueryExecutionId"])

    def output_location(self, query_execution_id: str) -> str:
        """The ``s3://`` URL of the query's CSV result (from the execution, else from the
        workgroup's result location, where Athena writes ``<id>.csv``)."""
        execution = self._client.get_query_execution(QueryExecutionId=query_execution_id)
        found = (execution["QueryExecution"].get("ResultConfiguration") or {}).get("OutputLocation")
        if found:
            return str(found)
        base = self._output_location
        if not base:
            group = self._client.get_work_group(WorkGroup=self._workgroup)["WorkGroup"]
            base = group["Configuration"]["ResultConfiguration"]["OutputLocation"]
        return f"{base.rstrip('/')}/{query_execution_id}.csv"
