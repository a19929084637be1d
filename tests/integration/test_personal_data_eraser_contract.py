"""The PersonalDataEraser contract, on both backends: the person's dead letters, import
file lines and import-result entries are removed, everyone else's kept, and the
receipt names each place.

``local`` erases under a home in ``tmp_path`` (dead letters written by the local
DeadLetterSink, files beside them); ``aws`` erases the data bucket on moto (dead
letters written by the S3 DeadLetterSink, objects under ``imports/`` and
``import-results/``), old object versions included. The AWS adapter hands the Parquet
lake to its erase workflow (tests/statemachines/test_erase_lake_state_machine.py);
without the workflow, as here, it finds and reports the lake's objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from clarion.domain.audience.erasure import ErasureSubject, erasure_token
from clarion.domain.common.errors import FieldProblem
from clarion.domain.events.records import Reject
from clarion.ports import DeadLetterSink, PersonalDataEraser

REGION = "us-east-1"
BUCKET = "test-data-bucket"
PERSON = ErasureSubject.of(["ep-9"], ["user-9"], ["nine@example.org"])
CSV = "Id,ChannelType,Address\nep-1,EMAIL,one@example.org\nep-9,EMAIL,nine@example.org\n"
RESULT = {
    "imported": 2,
    "rejected": [
        {"line": 3, "field": "Address", "value": "nine@example.org"},
        {"line": 4, "field": "Address", "value": "one@example.org"},
    ],
}


@dataclass
class EraserBackend:
    """An eraser; ``dead_letters`` the sink whose letters it must clean, ``write`` puts
    a file at a dataset path, ``read`` reads one back (None once deleted), ``every``
    the bytes of everything the backend keeps."""

    name: str
    eraser: PersonalDataEraser
    dead_letters: DeadLetterSink
    write: Callable[[str, str], None]
    read: Callable[[str], str | None]
    every: Callable[[], bytes]


def _local(tmp_path: Path) -> EraserBackend:
    from clarion.adapters.local.audience.personal_data_eraser import LocalPersonalDataEraser
    from clarion.adapters.local.common.database import LocalDatabase
    from clarion.adapters.local.events.dead_letter_sink import FileDeadLetterSink

    home = tmp_path / "home"
    database = LocalDatabase(home)

    def write(name: str, text: str) -> None:
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)

    def read(name: str) -> str | None:
        return (home / name).read_text() if (home / name).exists() else None

    def every() -> bytes:
        return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())

    eraser = LocalPersonalDataEraser(database, home)
    return EraserBackend("local", eraser, FileDeadLetterSink(home), write, read, every)


def _aws() -> Iterator[EraserBackend]:
    from clarion.adapters.aws.audience.personal_data_eraser import S3PersonalDataEraser
    from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})

        def write(name: str, text: str) -> None:
            s3.put_object(Bucket=BUCKET, Key=name, Body=text.encode())

        def read(name: str) -> str | None:
            try:
                return str(s3.get_object(Bucket=BUCKET, Key=name)["Body"].read().decode())
            except s3.exceptions.NoSuchKey:
                return None

        def every() -> bytes:
            data = b""
            for version in s3.list_object_versions(Bucket=BUCKET).get("Versions", []):
                data += s3.get_object(
                    Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"]
                )["Body"].read()
            return data

        eraser = S3PersonalDataEraser(s3, BUCKET)
        yield EraserBackend("aws", eraser, S3DeadLetterSink(s3, BUCKET), write, read, every)


@pytest.fixture(params=["local", "aws"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, aws_credentials: None
) -> Iterator[EraserBackend]:
    if request.param == "local":
        yield _local(tmp_path)
    else:
        yield from _aws()


def _reject(n: int, address: str) -> Reject:
    return Reject("ses", n, f"r-{n}", (FieldProblem("mail", "bad"),), {"to": address})


def test_the_person_is_removed_and_everyone_else_kept(backend: EraserBackend) -> None:
    backend.dead_letters.put_rejects(
        [_reject(0, "one@example.org"), _reject(1, "nine@example.org")], origin="ses.jsonl"
    )
    backend.write("imports/people.csv", CSV)
    backend.write("import-results/people.csv.result.json", json.dumps(RESULT))
    assert b"nine@example.org" in backend.every()

    items = backend.eraser.erase(PERSON, erasure_token())
    backend.eraser.compact()

    assert b"nine@example.org" not in backend.every()
    assert b"ep-9" not in backend.every() and b"user-9" not in backend.every()
    assert backend.read("imports/people.csv") == (
        "Id,ChannelType,Address\nep-1,EMAIL,one@example.org\n"
    )
    result = json.loads(backend.read("import-results/people.csv.result.json") or "{}")
    assert result["rejected"] == [RESULT["rejected"][1]]
    assert b"one@example.org" in backend.every()
    places = {(item.location.split("/")[0], item.action) for item in items}
    assert ("dead-letters", "rewritten") in places
    assert ("imports", "rewritten") in places
    assert ("import-results", "rewritten") in places
    assert all(item.count >= 1 for item in items)


def test_an_object_named_after_the_person_is_deleted(backend: EraserBackend) -> None:
    backend.write("imports/ep-9.json", json.dumps({"Id": "ep-9"}))
    backend.write("imports/ep-90.json", json.dumps({"Id": "ep-90"}))

    items = backend.eraser.erase(PERSON, erasure_token())

    assert backend.read("imports/ep-9.json") is None
    # An id is matched whole: ep-90 is someone else.
    assert backend.read("imports/ep-90.json") is not None
    assert [(i.location, i.action) for i in items] == [("imports/ep-9.json", "deleted")]


def test_nothing_of_the_person_means_nothing_touched(backend: EraserBackend) -> None:
    backend.write("imports/people.csv", CSV.replace("nine", "ten").replace("ep-9", "ep-10"))
    assert backend.eraser.erase(PERSON, erasure_token()) == []
    assert backend.eraser.erase(ErasureSubject.of([]), erasure_token()) == []
