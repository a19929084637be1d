"""The ChurnFiles contract: the pipeline's files under CLARION_HOME and in the data
bucket (moto) are written, read back (by key or by the location a write returned),
located and listed the same way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.domain.common.errors import NotFoundError
from clarion.ports.churn import ChurnFiles

REGION = "us-east-1"
BUCKET = "test-churn-files"


@pytest.fixture(params=["local", "aws"])
def files(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[ChurnFiles]:
    if request.param == "local":
        from clarion.adapters.local.churn.files import LocalChurnFiles

        yield LocalChurnFiles(tmp_path / "home")
        return
    from clarion.adapters.aws.churn.files import S3ChurnFiles

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield S3ChurnFiles(s3, BUCKET)


def test_text_reads_back_by_key_and_by_location(files: ChurnFiles) -> None:
    text = "id,score\nep-1,0.25\nZoë,0.5\n"

    where = files.put_text("churn/runs/r1/score/output/features.csv.out", text)

    assert files.get_text("churn/runs/r1/score/output/features.csv.out") == text
    assert files.get_text(where) == text


def test_the_location_is_where_a_write_goes(files: ChurnFiles) -> None:
    key = "churn/runs/r1/train/model"
    before = files.location(key)

    assert files.put_text(key, "x") == before
    # Locating writes nothing.
    assert files.list_keys("churn/runs/r1/score") == []


def test_a_write_replaces_the_text(files: ChurnFiles) -> None:
    files.put_text("churn/a.csv", "first")
    files.put_text("churn/a.csv", "second")
    assert files.get_text("churn/a.csv") == "second"


def test_a_missing_file_is_not_found(files: ChurnFiles) -> None:
    with pytest.raises(NotFoundError):
        files.get_text("churn/runs/none/labels.csv")


def test_keys_are_listed_sorted_under_their_prefix_only(files: ChurnFiles) -> None:
    for key in ("churn/runs/r2/b.csv", "churn/runs/r1/z.csv", "churn/runs/r2/a.csv", "other/c"):
        files.put_text(key, key)

    assert files.list_keys("churn/runs/r2/") == ["churn/runs/r2/a.csv", "churn/runs/r2/b.csv"]
    assert files.list_keys("churn/runs/") == [
        "churn/runs/r1/z.csv",
        "churn/runs/r2/a.csv",
        "churn/runs/r2/b.csv",
    ]
    assert files.list_keys("nothing/") == []
