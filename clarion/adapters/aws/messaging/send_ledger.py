"""The send ledger in its own DynamoDB table: the ``aws`` SendLedger.

Table (``CLARION_SENDS_TABLE``): partition key ``Pk`` (S), sort key ``Sk`` (S), TTL on
``ExpiresAt`` (epoch seconds).

- per (run, endpoint): ``Pk = "run#<run id>"``, ``Sk = <endpoint id>``, ``Claimed``
  (BOOL), ``Outcome`` (S, a Reason), optional ``TreatmentId``, ``UntilMs`` (N), ``MessageId``,
  ``Detail``, ``Warnings`` (SS: the keys of the message's rendering warnings),
  ``ExpiresAt`` (a year on);
- send counts per (campaign, endpoint): ``Pk = "cap#<campaign id>#<endpoint id>"``,
  ``Sk = "total"`` or ``"day#<YYYY-MM-DD>"``, ``Sends`` (N) increased with ``ADD``; the
  daily items carry ``ExpiresAt`` two days after their day.

A claim is a conditional write per endpoint (``attribute_not_exists(Pk) OR Claimed =
false``), so two claimers cannot both win; outcomes other than SENT/FAILED are written
on condition that the record is not claimed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import ClientError

from clarion.adapters.aws.common.dynamo import conditional_check_failed, pk_sk_table_spec
from clarion.domain.messaging.ledger import (
    IN_DOUBT_DETAIL,
    CapCount,
    LedgerOutcome,
    Reason,
    WarningTally,
)

RUN_PREFIX = "run#"
CAP_PREFIX = "cap#"
TOTAL = "total"
RUN_RECORD_TTL_SECONDS = 366 * 24 * 3600
_BATCH_GET = 100
# A record still in doubt: claimed without an outcome, or released as not seen.
_IN_DOUBT_CONDITION = (
    "Outcome = :in_doubt_claimed OR (Outcome = :in_doubt_failed "
    "AND begins_with(Detail, :in_doubt_detail))"
)


def _in_doubt_values() -> dict[str, Any]:
    return {
        ":in_doubt_claimed": {"S": Reason.CLAIMED.value},
        ":in_doubt_failed": {"S": Reason.FAILED.value},
        ":in_doubt_detail": {"S": IN_DOUBT_DETAIL},
    }


def sends_table_spec(table_name: str) -> dict[str, Any]:
    """CreateTable arguments for the sends table (the CDK stack declares the same, with
    TimeToLiveSpecification on ``ExpiresAt``)."""
    return pk_sk_table_spec(table_name)


class DynamoDBSendLedger:
    """SendLedger on the sends table (module docstring)."""

    def __init__(self, dynamodb_client: Any, table_name: str) -> None:
        self._dynamodb = dynamodb_client
        self._table = table_name

    def _expires(self) -> str:
        return str(int(time.time()) + RUN_RECORD_TTL_SECONDS)

    def claim(self, run_id: str, endpoint_ids: Sequence[str]) -> set[str]:
        claimed = set()
        for endpoint_id in dict.fromkeys(endpoint_ids):
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"Pk": {"S": RUN_PREFIX + run_id}, "Sk": {"S": endpoint_id}},
                    UpdateExpression=(
                        "SET Claimed = :true, Outcome = :claimed, ExpiresAt = :expires "
                        "REMOVE UntilMs, Detail, Warnings"
                    ),
                    ConditionExpression="attribute_not_exists(Pk) OR Claimed = :false",
                    ExpressionAttributeValues={
                        ":true": {"BOOL": True},
                        ":false": {"BOOL": False},
                        ":claimed": {"S": Reason.CLAIMED.value},
                        ":expires": {"N": self._expires()},
                    },
                )
            except ClientError as exc:
                if conditional_check_failed(exc):
                    continue
                raise
            claimed.add(endpoint_id)
        return claimed

    def record_outcomes(self, run_id: str, outcomes: Mapping[str, LedgerOutcome]) -> None:
        for endpoint_id, outcome in outcomes.items():
            final = outcome.reason in (Reason.SENT, Reason.FAILED)
            names = ["Claimed = :claimed", "Outcome = :reason", "ExpiresAt = :expires"]
            values: dict[str, Any] = {
                ":claimed": {"BOOL": final},
                ":reason": {"S": outcome.reason.value},
                ":expires": {"N": self._expires()},
            }
            removed = []
            for attribute, value, kind in (
                ("TreatmentId", outcome.treatment_id, "S"),
                ("UntilMs", outcome.until_ms, "N"),
                ("MessageId", outcome.message_id, "S"),
                ("Detail", outcome.detail, "S"),
            ):
                if value is None:
                    removed.append(attribute)
                else:
                    names.append(f"{attribute} = :{attribute}")
                    values[f":{attribute}"] = {kind: str(value)}
            if outcome.warnings:
                names.append("Warnings = :Warnings")
                values[":Warnings"] = {"SS": sorted(set(outcome.warnings))}
            else:
                removed.append("Warnings")
            expression = "SET " + ", ".join(names)
            if removed:
                expression += " REMOVE " + ", ".join(removed)
            arguments: dict[str, Any] = {
                "TableName": self._table,
                "Key": {"Pk": {"S": RUN_PREFIX + run_id}, "Sk": {"S": endpoint_id}},
                "UpdateExpression": expression,
                "ExpressionAttributeValues": values,
            }
            if not final:
                arguments["ConditionExpression"] = "attribute_not_exists(Pk) OR Claimed = :false"
                values[":false"] = {"BOOL": False}
            try:
                self._dynamodb.update_item(**arguments)
            except ClientError as exc:
                if not conditional_check_failed(exc):
                    raise

    def _query(self, run_id: str, **extra: Any) -> list[dict[str, Any]]:
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="Pk = :pk",
            ExpressionAttributeValues={
                ":pk": {"S": RUN_PREFIX + run_id},
                **extra.pop("values", {}),
            },
            ConsistentRead=True,
            **extra,
        )
        return [item for page in pages for item in page.get("Items", [])]

    def outcomes(self, run_id: str, endpoint_ids: Sequence[str]) -> dict[str, LedgerOutcome]:
        found: dict[str, LedgerOutcome] = {}
        ids = list(dict.fromkeys(endpoint_ids))
        for start in range(0, len(ids), _BATCH_GET):
            keys = [
                {"Pk": {"S": RUN_PREFIX + run_id}, "Sk": {"S": k}}
                for k in ids[start : start + _BATCH_GET]
            ]
            for item in self._batch_get(keys):
                found[item["Sk"]["S"]] = LedgerOutcome(
                    Reason(item["Outcome"]["S"]),
                    item.get("TreatmentId", {}).get("S"),
                    int(item["UntilMs"]["N"]) if "UntilMs" in item else None,
                    item.get("MessageId", {}).get("S"),
                    item.get("Detail", {}).get("S"),
                    tuple(sorted(item.get("Warnings", {}).get("SS", []))),
                )
        return found

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
        delay = 0.05
        while request:
            response = self._dynamodb.batch_get_item(RequestItems=request)
            items.extend(response.get("Responses", {}).get(self._table, []))
            request = response.get("UnprocessedKeys") or {}
            if request:
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        return items

    def outcome_counts(self, run_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self._query(run_id, ProjectionExpression="Outcome"):
            reason = item["Outcome"]["S"]
            counts[reason] = counts.get(reason, 0) + 1
        return counts

    def warning_tally(self, run_id: str) -> WarningTally:
        messages = 0
        by_warning: dict[str, int] = {}
        for item in self._query(
            run_id,
            ProjectionExpression="Warnings",
            FilterExpression="attribute_exists(Warnings)",
        ):
            messages += 1
            for key in item["Warnings"]["SS"]:
                by_warning[key] = by_warning.get(key, 0) + 1
        return WarningTally(messages, by_warning)

    def deferred(self, run_id: str, due_by_ms: int) -> list[str]:
        items = self._query(
            run_id,
            FilterExpression=(
                "Claimed = :false AND begins_with(Outcome, :deferred) AND UntilMs <= :due"
            ),
            values={
                ":false": {"BOOL": False},
                ":deferred": {"S": "DEFERRED_"},
                ":due": {"N": str(due_by_ms)},
            },
        )
        return sorted(item["Sk"]["S"] for item in items)

    def in_doubt(self, run_id: str) -> dict[str, LedgerOutcome]:
        items = self._query(
            run_id,
            FilterExpression=_IN_DOUBT_CONDITION,
            values=_in_doubt_values(),
        )
        return {
            item["Sk"]["S"]: LedgerOutcome(
                Reason(item["Outcome"]["S"]),
                item.get("TreatmentId", {}).get("S"),
                int(item["UntilMs"]["N"]) if "UntilMs" in item else None,
                item.get("MessageId", {}).get("S"),
                item.get("Detail", {}).get("S"),
            )
            for item in sorted(items, key=lambda i: i["Sk"]["S"])
        }

    def resolve_in_doubt(self, run_id: str, outcomes: Mapping[str, LedgerOutcome]) -> set[str]:
        written: set[str] = set()
        for endpoint_id, outcome in outcomes.items():
            names = ["Claimed = :true", "Outcome = :reason", "ExpiresAt = :expires"]
            values: dict[str, Any] = {
                **_in_doubt_values(),
                ":true": {"BOOL": True},
                ":reason": {"S": outcome.reason.value},
                ":expires": {"N": self._expires()},
            }
            for attribute, value in (
                ("TreatmentId", outcome.treatment_id),
                ("MessageId", outcome.message_id),
                ("Detail", outcome.detail),
            ):
                if value is not None:
                    names.append(f"{attribute} = :{attribute}")
                    values[f":{attribute}"] = {"S": str(value)}
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key={"Pk": {"S": RUN_PREFIX + run_id}, "Sk": {"S": endpoint_id}},
                    UpdateExpression="SET " + ", ".join(names),
                    # The guard and the write are one conditional update per endpoint.
                    ConditionExpression=_IN_DOUBT_CONDITION,
                    ExpressionAttributeValues=values,
                )
            except ClientError as exc:
                if conditional_check_failed(exc):
                    continue
                raise
            written.add(endpoint_id)
        return written

    def cap_counts(
        self, campaign_id: str, endpoint_ids: Sequence[str], day: str
    ) -> dict[str, CapCount]:
        ids = list(dict.fromkeys(endpoint_ids))
        daily: dict[str, int] = {}
        total: dict[str, int] = {}
        pairs = [(k, period) for k in ids for period in (f"day#{day}", TOTAL)]
        for start in range(0, len(pairs), _BATCH_GET):
            keys = [
                {"Pk": {"S": f"{CAP_PREFIX}{campaign_id}#{k}"}, "Sk": {"S": period}}
                for k, period in pairs[start : start + _BATCH_GET]
            ]
            for item in self._batch_get(keys):
                endpoint_id = item["Pk"]["S"][len(f"{CAP_PREFIX}{campaign_id}#") :]
                target = total if item["Sk"]["S"] == TOTAL else daily
                target[endpoint_id] = int(item["Sends"]["N"])
        return {
            k: CapCount(daily.get(k, 0), total.get(k, 0)) for k in ids if k in daily or k in total
        }

    def add_sends(self, campaign_id: str, endpoint_ids: Sequence[str], day: str) -> None:
        expires = date.fromisoformat(day) + timedelta(days=2)
        expires_at = str(int(time.mktime(expires.timetuple())))
        for endpoint_id in endpoint_ids:
            pk = {"S": f"{CAP_PREFIX}{campaign_id}#{endpoint_id}"}
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"Pk": pk, "Sk": {"S": f"day#{day}"}},
                UpdateExpression="ADD Sends :one SET ExpiresAt = :expires",
                ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": expires_at}},
            )
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"Pk": pk, "Sk": {"S": TOTAL}},
                UpdateExpression="ADD Sends :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
