"""Erasing a person from the Parquet lake on AWS: the Athena SQL of the erase workflow
(``infra/statemachines/erase_lake.asl.json``).

For each dataset, a *find* query lists the objects (``"$path"``) holding the person;
then, object by object, an ``UNLOAD`` of that one object's rows *without the person*
writes its replacement to a staging prefix, which is copied over the original. The
endpoint change feed and snapshots lose the person's rows; the event lake keeps the
person's events for the counts, with their endpoint id and client id replaced by the
erase's token, their endpoint and facets JSON (which hold addresses) emptied and their
attribute values that are the person's dropped, as the local eraser keeps them.

The person is matched by SHA-256 digests of their ids and addresses, never by the
values: Athena keeps every query's text in its history (45 days) and Step Functions
keeps every state's input in the execution's, so the SQL and the workflow's input hold
only the digests (and the token, which is random). A value is matched exactly against
the identity columns (the event's endpoint id, client id, its endpoint's address and
user id; the endpoint's id, address and user id); text that merely mentions the person
elsewhere is not found this way and expires under the lake's retention rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from clarion.domain.audience.erasure import ErasureSubject
from clarion.domain.audience.rows import COLUMN_NAMES
from clarion.domain.events.rows import event_column_names

__all__ = [
    "LAKE_DATASETS",
    "LakeDataset",
    "find_sql",
    "rewrite_sql",
    "subject_digests",
]

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
# "<column>=<value>/" segments of a Hive-style key (dt=2026-01-01/).
_PARTITION = re.compile(r"(?:^|/)([a-z_]+)=([^/]+)(?=/)")


@dataclass(frozen=True)
class LakeDataset:
    """One Parquet dataset of the lake: its Glue table, key prefix, columns (the
    Parquet file's, in order, without the partition column), partition column and its
    SQL type, the expressions that hold the person's identity, and whether the person's
    rows are kept with the token (``tokenise``) or dropped."""

    table: str
    prefix: str
    columns: tuple[str, ...]
    partition: str
    partition_type: str
    identities: tuple[str, ...]
    tokenise: bool


_ENDPOINT_IDENTITIES = ('"id"', '"address"', '"user_id"')
LAKE_DATASETS: tuple[LakeDataset, ...] = (
    LakeDataset(
        table="events",
        prefix="events/",
        columns=event_column_names(),
        partition="dt",
        partition_type="varchar",
        identities=(
            '"endpoint_id"',
            '"client"."client_id"',
            "json_extract_scalar(\"endpoint_json\", '$.Address')",
            "json_extract_scalar(\"endpoint_json\", '$.User.UserId')",
        ),
        tokenise=True,
    ),
    LakeDataset(
        table="endpoint_changes",
        prefix="endpoint-changes/",
        columns=(*COLUMN_NAMES, "change_sequence", "changed_at_ms", "deleted"),
        partition="dt",
        partition_type="varchar",
        identities=_ENDPOINT_IDENTITIES,
        tokenise=False,
    ),
    LakeDataset(
        table="endpoint_snapshot",
        prefix="endpoint-snapshot/",
        columns=COLUMN_NAMES,
        partition="snapshot_ms",
        partition_type="bigint",
        identities=_ENDPOINT_IDENTITIES,
        tokenise=False,
    ),
)


def subject_digests(subject: ErasureSubject, key_prefix: str = "") -> tuple[str, ...]:
    """The lowercase hex SHA-256 of each of the person's values (UTF-8), sorted; with
    ``key_prefix`` (a project's, which its stored ids carry) also of each prefixed id."""
    values = set(subject.values) | {key_prefix + i for i in subject.ids if key_prefix}
    return tuple(sorted({hashlib.sha256(v.encode("utf-8")).hexdigest() for v in values}))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _digest_list(digests: Sequence[str]) -> str:
    if not digests:
        raise ValueError("nothing to erase: no digests")
    for digest in digests:
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"not a SHA-256 hex digest: {digest[:70]!r}")
    return ", ".join(_literal(d) for d in sorted(set(digests)))


def _digest_of(expression: str) -> str:
    # coalesce: a NULL column is nobody (an empty string is never a person's value).
    return f"lower(to_hex(sha256(to_utf8(coalesce({expression}, '')))))"


def _is_person(dataset: LakeDataset, digests: str) -> str:
    return "(" + " OR ".join(f"{_digest_of(e)} IN ({digests})" for e in dataset.identities) + ")"


def _table(database: str, dataset: LakeDataset) -> str:
    if not re.fullmatch(r"[a-z0-9_]+", database):
        raise ValueError(f"not a Glue database name: {database!r}")
    return f'"{database}"."{dataset.table}"'


def find_sql(dataset: LakeDataset, database: str, digests: Sequence[str]) -> str:
    """The query listing the objects of ``dataset`` that hold the person (one column,
    ``path``: the object's ``s3://`` URL)."""
    return (
        f'SELECT DISTINCT "$path" AS path FROM {_table(database, dataset)} '
        f"WHERE {_is_person(dataset, _digest_list(digests))}"
    )


def _partition_value(dataset: LakeDataset, key: str) -> str:
    found = dict(_PARTITION.findall(key))
    value = found.get(dataset.partition)
    if value is None:
        raise ValueError(f"{key!r} is not under a {dataset.partition}= partition")
    if dataset.partition_type == "bigint":
        if not value.isdigit():
            raise ValueError(f"{key!r}: {dataset.partition} is not a number")
        return value
    return _literal(value)


def rewrite_sql(
    dataset: LakeDataset,
    database: str,
    *,
    bucket: str,
    key: str,
    digests: Sequence[str],
    token: str,
    staging_url: str,
) -> str:
    """The ``UNLOAD`` writing object ``key`` of ``dataset`` without the person (or, for
    events, with the person replaced by ``token``) as Snappy Parquet under
    ``staging_url`` (which must be empty)."""
    if not key.startswith(dataset.prefix):
        raise ValueError(f"{key!r} is not under {dataset.prefix}")
    if not _TOKEN.fullmatch(token):
        raise ValueError("the token must be letters, digits, '-' or '_'")
    if not staging_url.startswith("s3://") or not staging_url.endswith("/"):
        raise ValueError(f"the staging location must be an s3:// folder, not {staging_url!r}")
    person = _is_person(dataset, _digest_list(digests))
    where = (
        f"{dataset.partition} = {_partition_value(dataset, key)} "
        f'AND "$path" = {_literal(f"s3://{bucket}/{key}")}'
    )
    if dataset.tokenise:
        columns = ", ".join(
            _tokenised(column, person, token, digests) for column in dataset.columns
        )
    else:
        columns = ", ".join(f'"{column}"' for column in dataset.columns)
        where += f" AND NOT {person}"
    select = f"SELECT {columns} FROM {_table(database, dataset)} WHERE {where}"
    return (
        f"UNLOAD ({select}) TO {_literal(staging_url)} "
        "WITH (format = 'PARQUET', compression = 'SNAPPY')"
    )


def _tokenised(column: str, person: str, token: str, digests: Sequence[str]) -> str:
    """An event column as it is stored after the erase: unchanged for everyone else."""
    quoted = f'"{column}"'
    if column == "endpoint_id":
        value = _literal(token)
    elif column == "client":
        value = (
            f'CAST(ROW({_literal(token)}, "client"."cognito_id") '
            "AS ROW(client_id varchar, cognito_id varchar))"
        )
    elif column in ("endpoint_json", "facets_json"):
        value = "CAST(NULL AS varchar)"
    elif column == "attributes":
        value = (
            f'map_filter("attributes", (k, v) -> {_digest_of("v")} '
            f"NOT IN ({_digest_list(digests)}))"
        )
    else:
        return quoted
    return f"CASE WHEN {person} THEN {value} ELSE {quoted} END AS {quoted}"
