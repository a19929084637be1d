"""Athena queries started without waiting (the churn state machines poll)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clarion.adapters.aws.analytics.analytics_query import bind_trino


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
