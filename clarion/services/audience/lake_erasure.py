"""The steps of the Parquet lake's erase workflow (AWS), each one Lambda invocation of
``lambdas/erase_lake``: the find queries to run, the objects a find query listed with
the UNLOAD that rewrites each, and an object replaced by its rewritten copy. The state
machine (``infra/statemachines/erase_lake.asl.json``) runs the queries on Athena.

The workflow's input carries only the digests of the person's values and the erase's
token (clarion.domain.audience.lake_erasure says why).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from clarion.domain.audience.lake_erasure import LAKE_DATASETS, LakeDataset, find_sql, rewrite_sql
from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.ports import LakeRewriter

__all__ = ["STAGING_PREFIX", "LakeErasureSteps"]

# Where the UNLOADs write, one folder per execution and object (expired by lifecycle
# should a run stop half way).
STAGING_PREFIX = "erase-staging/"
_EXECUTION = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class LakeErasureSteps:
    """The workflow's Lambda steps (module docstring).

    Parameters
    ----------
    rewriter
        The S3 and Athena-results side.
    database
        The Glue database of the lake's tables.
    """

    def __init__(self, rewriter: LakeRewriter, database: str) -> None:
        self._rewriter = rewriter
        self._database = database

    def plan(self, digests: Sequence[str]) -> list[dict[str, Any]]:
        """One find query per dataset: ``{"Table", "FindSql"}``."""
        return [
            {"Table": d.table, "FindSql": find_sql(d, self._database, digests)}
            for d in LAKE_DATASETS
        ]

    def objects(
        self,
        table: str,
        query_execution_id: str,
        digests: Sequence[str],
        token: str,
        execution: str,
    ) -> list[dict[str, Any]]:
        """Each object the find query listed, with the UNLOAD that rewrites it and its
        staging folder: ``{"Key", "RewriteSql", "Staging"}``."""
        dataset = _dataset(table)
        if not _EXECUTION.fullmatch(execution):
            raise InvalidRecordError([FieldProblem("Execution", "must be an execution name")])
        bucket = self._rewriter.bucket
        found = self._rewriter.found_objects(query_execution_id, dataset.prefix)
        steps = []
        for number, key in enumerate(found):
            staging = f"{STAGING_PREFIX}{execution}/{dataset.table}/{number}/"
            sql = rewrite_sql(
                dataset,
                self._database,
                bucket=bucket,
                key=key,
                digests=digests,
                token=token,
                staging_url=f"s3://{bucket}/{staging}",
            )
            steps.append({"Key": key, "RewriteSql": sql, "Staging": staging})
        return steps

    def replace(self, key: str, staging: str) -> dict[str, Any]:
        """Put the rewritten copy in place of ``key``: ``{"Key", "Action", "Files"}``."""
        if not staging.startswith(STAGING_PREFIX):
            raise InvalidRecordError([FieldProblem("Staging", f"must be under {STAGING_PREFIX}")])
        if not any(key.startswith(d.prefix) for d in LAKE_DATASETS):
            raise InvalidRecordError([FieldProblem("Key", "is not in a lake dataset")])
        item = self._rewriter.replace_object(key, staging)
        return {"Key": key, "Action": item.action, "Files": item.count}


def _dataset(table: str) -> LakeDataset:
    for dataset in LAKE_DATASETS:
        if dataset.table == table:
            return dataset
    raise InvalidRecordError([FieldProblem("Table", f"is not a lake table: {table!r}")])
