"""The message governor's counts in the sends table: the ``aws`` MessageCounts.

One item per (project, endpoint): ``Pk = "gov#<app id>#<endpoint id>"``,
``Sk = "counts"``, ``Total`` (N), ``Days`` (M: UTC day → N, the last 31 days) and
``Version`` (N). ``admit`` reads the item (strongly consistent), decides with the
domain's rules and writes the new counts on condition that ``Version`` is still the one
read; a lost race reads again, so two senders cannot both take an endpoint's last
message. Endpoints are admitted a few at a time, each on its own item.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from clarion.adapters.aws.common.dynamo import conditional_check_failed
from clarion.domain.messaging.governor import EndpointCounts, GovernorCaps, verdict
from clarion.domain.messaging.ledger import Reason

PREFIX = "gov#"
SORT_KEY = "counts"
MAX_ATTEMPTS = 10


class DynamoDBMessageCounts:
    """MessageCounts on the sends table (module docstring)."""

    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = table_name

    def _key(self, app_id: str, endpoint_id: str) -> dict[str, Any]:
        return {"Pk": {"S": f"{PREFIX}{app_id}#{endpoint_id}"}, "Sk": {"S": SORT_KEY}}

    def _read(self, app_id: str, endpoint_id: str) -> tuple[EndpointCounts, int]:
        item = self._dynamodb.get_item(
            TableName=self._table, Key=self._key(app_id, endpoint_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return EndpointCounts(), 0
        days = {day: int(value["N"]) for day, value in item.get("Days", {}).get("M", {}).items()}
        return EndpointCounts(int(item["Total"]["N"]), days), int(item["Version"]["N"])

    def counts(self, app_id: str, endpoint_ids: Sequence[str]) -> dict[str, EndpointCounts]:
        found = {}
        for endpoint_id in dict.fromkeys(endpoint_ids):
            counts, version = self._read(app_id, endpoint_id)
            if version:
                found[endpoint_id] = counts
        return found

    def _admit_one(
        self, app_id: str, endpoint_id: str, caps: GovernorCaps, day: str
    ) -> Reason | None:
        for _ in range(MAX_ATTEMPTS):
            counts, version = self._read(app_id, endpoint_id)
            reason = verdict(caps, counts, day)
            if reason is not None:
                return reason
            updated = counts.counted(day)
            condition = "attribute_not_exists(Pk)" if version == 0 else "Version = :read"
            values: dict[str, Any] = {
                ":total": {"N": str(updated.total)},
                ":days": {"M": {d: {"N": str(c)} for d, c in updated.days.items()}},
                ":version": {"N": str(version + 1)},
            }
            if version:
                values[":read"] = {"N": str(version)}
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key=self._key(app_id, endpoint_id),
                    UpdateExpression="SET Total = :total, #days = :days, Version = :version",
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#days": "Days"},
                    ExpressionAttributeValues=values,
                )
                return None
            except ClientError as exc:
                if not conditional_check_failed(exc):
                    raise
        raise RuntimeError(
            f"message counts of endpoint {endpoint_id!r}: still contended after "
            f"{MAX_ATTEMPTS} attempts"
        )

    def admit(
        self, app_id: str, endpoint_ids: Sequence[str], caps: GovernorCaps, day: str
    ) -> dict[str, Reason | None]:
        ids = list(dict.fromkeys(endpoint_ids))
        if not ids:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(ids))) as pool:
            found = list(pool.map(lambda i: self._admit_one(app_id, i, caps, day), ids))
        return dict(zip(ids, found, strict=True))
