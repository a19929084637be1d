"""The AWS ChurnModelStore: model archives and records under ``models/churn/``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from clarion.adapters.aws.churn.files import _missing, split_s3_url
from clarion.domain.churn.model import ModelRecord, artifact_file
from clarion.domain.common.errors import NotFoundError

MODELS_PREFIX = "models/churn/"


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
        key = f"{MODELS_PREFIX}{record.model_id}/{artifact_file(record.kind)}"
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
