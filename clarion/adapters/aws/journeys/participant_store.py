"""Journey participants and counters in their own DynamoDB table: the ``aws``
ParticipantStore.

Table (``CLARION_JOURNEYS_TABLE``): ``Pk``/``Sk`` strings and a sparse, keys-only
global secondary index ``DueIndex`` on (``DueShard`` S, ``DueAt`` N).

- a participant: ``Pk = "journey#<id>"``, ``Sk = "ep#<endpoint id>"``, ``Version`` (N),
  ``Document`` (S, the participant JSON); while active also ``DueShard =
  "<journey id>#<shard>"`` and ``DueAt`` (epoch ms), so the tick's workers query their
  shard for what is due and nothing else is indexed;
- counters: ``Pk = "journey#<id>#counters"``, ``Sk = "<run>#<activity>#<shard>"``, one
  number attribute per metric, increased with ``ADD`` (one item per shard, so the
  workers of different shards never contend for one item).

A commit is ``TransactWriteItems`` of at most 100 items: each participant written on
condition of its version (``attribute_not_exists(Pk)`` for a new one), with the counter
items its changes move. A participant whose condition fails is reported as a conflict
and the rest retried without it, with the counters recomputed; a transaction conflict
(another worker writing the same item) is retried with backoff. The request token is
derived from the content, so a transaction repeated within DynamoDB's ten-minute window
is applied once.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from clarion.domain.journeys.participant import Participant, ParticipantChange, shard_of
from clarion.ports.journeys import CommitResult, CounterKey

PARTICIPANT_PREFIX = "journey#"
ENDPOINT_PREFIX = "ep#"
COUNTERS_SUFFIX = "#counters"
DUE_INDEX = "DueIndex"
MAX_TRANSACTION_ITEMS = 100
_BATCH_GET = 100
_CONFLICT_RETRIES = 8


def journeys_table_spec(table_name: str) -> dict[str, Any]:
    """CreateTable arguments for the journeys table (the CDK stack declares the same)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": "Pk", "AttributeType": "S"},
            {"AttributeName": "Sk", "AttributeType": "S"},
            {"AttributeName": "DueShard", "AttributeType": "S"},
            {"AttributeName": "DueAt", "AttributeType": "N"},
        ],
        "KeySchema": [
            {"AttributeName": "Pk", "KeyType": "HASH"},
            {"AttributeName": "Sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": DUE_INDEX,
                "KeySchema": [
                    {"AttributeName": "DueShard", "KeyType": "HASH"},
                    {"AttributeName": "DueAt", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def _key(journey_id: str, endpoint_id: str) -> dict[str, Any]:
    return {
        "Pk": {"S": PARTICIPANT_PREFIX + journey_id},
        "Sk": {"S": ENDPOINT_PREFIX + endpoint_id},
    }


def _counter_pk(journey_id: str) -> str:
    return PARTICIPANT_PREFIX + journey_id + COUNTERS_SUFFIX


class DynamoDBParticipantStore:
    """ParticipantStore on the journeys table (module docstring)."""

    def __init__(
        self,
        dynamodb_client: Any,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._dynamodb = dynamodb_client
        self._table = table_name
        self._sleep = sleep

    # -- reads ------------------------------------------------------------------------

    def get(self, journey_id: str, endpoint_ids: Sequence[str]) -> dict[str, Participant]:
        found: dict[str, Participant] = {}
        ids = list(dict.fromkeys(endpoint_ids))
        for start in range(0, len(ids), _BATCH_GET):
            keys = [
                _key(journey_id, endpoint_id) for endpoint_id in ids[start : start + _BATCH_GET]
            ]
            request: dict[str, Any] = {
                self._table: {
                    "Keys": keys,
                    "ConsistentRead": True,
                    "ProjectionExpression": "#doc",
                    "ExpressionAttributeNames": {"#doc": "Document"},
                }
            }
            attempt = 0
            while request:
                answer = self._dynamodb.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    participant = Participant.from_document(json.loads(item["Document"]["S"]))
                    found[participant.endpoint_id] = participant
                request = answer.get("UnprocessedKeys") or {}
                if request:
                    attempt += 1
                    self._sleep(min(2.0, 0.05 * 2**attempt) * random.random())  # noqa: S311
        return found

    def due(self, journey_id: str, shard: int, due_by_ms: int, limit: int) -> list[Participant]:
        endpoint_ids: list[str] = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": DUE_INDEX,
            "KeyConditionExpression": "DueShard = :shard AND DueAt <= :due",
            "ExpressionAttributeValues": {
                ":shard": {"S": f"{journey_id}#{shard}"},
                ":due": {"N": str(due_by_ms)},
            },
            "Limit": limit,
        }
        while len(endpoint_ids) < limit:
            answer = self._dynamodb.query(**arguments)
            endpoint_ids += [
                item["Sk"]["S"].removeprefix(ENDPOINT_PREFIX) for item in answer["Items"]
            ]
            last = answer.get("LastEvaluatedKey")
            if not last:
                break
            arguments["ExclusiveStartKey"] = last
            arguments["Limit"] = limit - len(endpoint_ids)
        # The index is eventually consistent: read the records themselves, and keep only
        # those still active and due.
        records = self.get(journey_id, endpoint_ids[:limit])
        due = [
            p
            for p in records.values()
            if p.is_active and p.due_at is not None and p.due_at <= due_by_ms
        ]
        return sorted(due, key=lambda p: (p.due_at or 0, p.endpoint_id))

    def counters(self, journey_id: str) -> dict[CounterKey, int]:
        totals: dict[CounterKey, int] = {}
        pages = self._dynamodb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="Pk = :pk",
            ExpressionAttributeValues={":pk": {"S": _counter_pk(journey_id)}},
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                run, activity, _shard = item["Sk"]["S"].rsplit("#", 2)
                for name, value in item.items():
                    if name in ("Pk", "Sk"):
                        continue
                    key = (run, activity, name)
                    totals[key] = totals.get(key, 0) + int(value["N"])
        return totals

    # -- commits ----------------------------------------------------------------------

    def commit(self, journey_id: str, changes: Sequence[ParticipantChange]) -> CommitResult:
        if len({c.endpoint_id for c in changes}) != len(changes):
            raise ValueError("a commit changes each participant at most once")
        applied: list[str] = []
        conflicts: list[str] = []
        chunk: list[ParticipantChange] = []
        for change in changes:
            if chunk and self._size([*chunk, change]) > MAX_TRANSACTION_ITEMS:
                done, failed = self._transact(journey_id, chunk)
                applied += done
                conflicts += failed
                chunk = []
            chunk.append(change)
        if chunk:
            done, failed = self._transact(journey_id, chunk)
            applied += done
            conflicts += failed
        return CommitResult(applied=applied, conflicts=conflicts)

    @staticmethod
    def _counter_keys(
        changes: Sequence[ParticipantChange],
    ) -> dict[tuple[str, str, int], dict[str, int]]:
        items: dict[tuple[str, str, int], dict[str, int]] = {}
        for change in changes:
            shard = shard_of(change.endpoint_id)
            for inc in change.increments:
                metrics = items.setdefault((inc.run_id, inc.activity, shard), {})
                metrics[inc.metric] = metrics.get(inc.metric, 0) + inc.value
        return items

    def _size(self, changes: Sequence[ParticipantChange]) -> int:
        return len(changes) + len(self._counter_keys(changes))

    def _put(self, journey_id: str, change: ParticipantChange) -> dict[str, Any]:
        participant = change.participant
        item: dict[str, Any] = {
            **_key(journey_id, participant.endpoint_id),
            "Version": {"N": str(participant.version)},
            "Document": {
                "S": json.dumps(
                    participant.to_document(), separators=(",", ":"), ensure_ascii=False
                )
            },
        }
        if participant.is_active and participant.due_at is not None:
            item["DueShard"] = {"S": f"{journey_id}#{participant.shard}"}
            item["DueAt"] = {"N": str(participant.due_at)}
        put: dict[str, Any] = {"TableName": self._table, "Item": item}
        if change.expected == 0:
            put["ConditionExpression"] = "attribute_not_exists(Pk)"
        else:
            put["ConditionExpression"] = "Version = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(change.expected)}}
        return {"Put": put}

    def _counter_updates(
        self, journey_id: str, changes: Sequence[ParticipantChange]
    ) -> list[dict[str, Any]]:
        updates = []
        for (run, activity, shard), metrics in sorted(self._counter_keys(changes).items()):
            names = {f"#m{i}": name for i, name in enumerate(sorted(metrics))}
            values = {f":v{i}": {"N": str(metrics[name])} for i, name in enumerate(sorted(metrics))}
            updates.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {
                            "Pk": {"S": _counter_pk(journey_id)},
                            "Sk": {"S": f"{run}#{activity}#{shard}"},
                        },
                        "UpdateExpression": "ADD "
                        + ", ".join(f"#m{i} :v{i}" for i in range(len(names))),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        return updates

    def _transact(
        self, journey_id: str, changes: Sequence[ParticipantChange]
    ) -> tuple[list[str], list[str]]:
        pending = list(changes)
        conflicts: list[str] = []
        attempt = 0
        while pending:
            items = [self._put(journey_id, c) for c in pending] + self._counter_updates(
                journey_id, pending
            )
            token = hashlib.sha256(
                json.dumps(items, sort_keys=True, separators=(",", ":")).encode()
            ).hexdigest()[:36]
            try:
                self._dynamodb.transact_write_items(TransactItems=items, ClientRequestToken=token)
                return [c.endpoint_id for c in pending], conflicts
            except ClientError as exc:
                error = exc.response.get("Error", {}).get("Code")
                if error != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons") or []
                failed = {
                    index
                    for index, reason in enumerate(reasons[: len(pending)])
                    if reason.get("Code") == "ConditionalCheckFailed"
                }
                codes = {reason.get("Code") for reason in reasons} - {"None", None}
                if failed:
                    conflicts += [pending[i].endpoint_id for i in sorted(failed)]
                    pending = [c for i, c in enumerate(pending) if i not in failed]
                    continue
                if codes & {
                    "TransactionConflict",
                    "ThrottlingError",
                    "ProvisionedThroughputExceeded",
                }:
                    attempt += 1
                    if attempt > _CONFLICT_RETRIES:
                        raise
                    self._sleep(min(2.0, 0.05 * 2**attempt) * random.random())  # noqa: S311
                    continue
                raise
        return [], conflicts

    def delete(self, journey_id: str, endpoint_ids: Sequence[str] | None = None) -> int:
        if endpoint_ids is not None:
            removed = 0
            for endpoint_id in dict.fromkeys(endpoint_ids):
                answer = self._dynamodb.delete_item(
                    TableName=self._table, Key=_key(journey_id, endpoint_id), ReturnValues="ALL_OLD"
                )
                removed += 1 if answer.get("Attributes") else 0
            return removed
        removed = 0
        for partition in (PARTICIPANT_PREFIX + journey_id, _counter_pk(journey_id)):
            pages = self._dynamodb.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="Pk = :pk",
                ExpressionAttributeValues={":pk": {"S": partition}},
                ProjectionExpression="Pk, Sk",
            )
            for page in pages:
                for item in page.get("Items", []):
                    self._dynamodb.delete_item(TableName=self._table, Key=item)
                    if partition == PARTICIPANT_PREFIX + journey_id:
                        removed += 1
        return removed
