"""The ChurnModelStore contract: the file store under CLARION_HOME and the S3 store
(moto) keep model archives, their records, the promoted pointer and the pipeline's
documents the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.domain.churn.model import FEATURE_COLUMNS, ModelRecord
from clarion.domain.common.errors import NotFoundError
from clarion.ports.churn import ChurnModelStore

REGION = "us-east-1"
BUCKET = "test-churn-models"


@pytest.fixture(params=["local", "aws"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[ChurnModelStore]:
    if request.param == "local":
        from clarion.adapters.local.churn.model_store import FileChurnModelStore

        yield FileChurnModelStore(tmp_path / "home")
        return
    from clarion.adapters.aws.churn.model_store import S3ChurnModelStore

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield S3ChurnModelStore(s3, BUCKET)


def _record(model_id: str, auc: float = 0.8) -> ModelRecord:
    return ModelRecord(
        model_id=model_id,
        as_of="2026-11-05",
        created="2026-11-05T00:00:00Z",
        metrics={"auc": auc},
        hyperparameters={"num_round": "20"},
    )


def test_a_saved_model_loads_back_with_where_it_is(store: ChurnModelStore) -> None:
    where = store.save_model(_record("churn-a"), b"archive-bytes")

    record, archive = store.load_model("churn-a")

    assert archive == b"archive-bytes"
    assert record == ModelRecord.from_json({**_record("churn-a").to_json(), "artifact": where})
    assert record.features == FEATURE_COLUMNS


def test_an_unknown_model_is_not_found(store: ChurnModelStore) -> None:
    with pytest.raises(NotFoundError):
        store.load_model("churn-missing")


def test_saving_again_replaces_the_archive(store: ChurnModelStore) -> None:
    store.save_model(_record("churn-a"), b"first")
    store.save_model(_record("churn-a", auc=0.9), b"second")

    record, archive = store.load_model("churn-a")

    assert archive == b"second" and record.metrics == {"auc": 0.9}


def test_nothing_is_promoted_until_a_model_is(store: ChurnModelStore) -> None:
    assert store.promoted() is None
    store.save_model(_record("churn-a"), b"a")
    assert store.promoted() is None


def test_the_latest_promotion_is_the_promoted_model(store: ChurnModelStore) -> None:
    first, _ = store.load_model(_saved(store, "churn-a"))
    second, _ = store.load_model(_saved(store, "churn-b", auc=0.9))

    store.promote(first)
    assert store.promoted() == first
    store.promote(second)
    assert store.promoted() == second
    # Promotion moves the pointer only: both models are still there.
    assert store.load_model("churn-a")[0] == first


def _saved(store: ChurnModelStore, model_id: str, auc: float = 0.8) -> str:
    store.save_model(_record(model_id, auc), model_id.encode())
    return model_id


def test_documents_round_trip_and_are_replaced(store: ChurnModelStore) -> None:
    document = {"campaign_id": "c-1", "window_days": 28, "nested": {"rates": [0.1, 0.2]}}

    store.put_document("retention-campaign", document)
    assert store.get_document("retention-campaign") == document

    store.put_document("retention-campaign", {"campaign_id": "c-2"})
    assert store.get_document("retention-campaign") == {"campaign_id": "c-2"}


def test_a_missing_document_is_none(store: ChurnModelStore) -> None:
    assert store.get_document("evaluation") is None
