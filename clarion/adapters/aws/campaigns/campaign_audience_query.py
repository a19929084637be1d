"""The AWS CampaignAudienceQuery: Athena's StartQueryExecution, the SQL as written (no
parsing and printing again: a segment's SQL may be a couple of hundred kilobytes), with
the step's token as Athena's ClientRequestToken so that a retried step (a campaign
run's start, the journey tick's plan or entered) finds the query it started."""

from __future__ import annotations

from typing import Any


class AthenaCampaignAudienceQuery:
    """CampaignAudienceQuery on Athena.

    Parameters
    ----------
    client
        A boto3 Athena client.
    workgroup, database
        Where the query runs (the workgroup enforces the result location the campaign
        state machine and the journey tick read: ``<results prefix><QueryExecutionId>.csv``).
    output_location
        A result location to ask for, when the workgroup does not enforce one.
    """

    def __init__(
        self, client: Any, workgroup: str, database: str, output_location: str | None = None
    ) -> None:
        self._client = client
        self._workgroup = workgroup
        self._database = database
        self._output_location = output_location

    def start(self, sql: str, token: str) -> str:
        request: dict[str, Any] = {
            "QueryString": sql,
            "ClientRequestToken": token,
            "WorkGroup": self._workgroup,
            "QueryExecutionContext": {"Database": self._database},
        }
        if self._output_location:
            request["ResultConfiguration"] = {"OutputLocation": self._output_location}
        return str(self._client.start_query_execution(**request)["QueryExecutionId"])
