"""Endpoints in DynamoDB: the ``aws`` ProfileStore.

Table design (the CDK stack builds exactly this table):

- partition key ``Id`` (S), the endpoint id; no sort key;
- ``UserId`` (S), present only when the endpoint has a user id; global secondary index
  ``UserIdIndex`` with partition key ``UserId`` and projection ALL;
- ``Document`` (S), the endpoint's Pinpoint JSON, compact;
- ``LastActiveMs`` (N), epoch milliseconds of the endpoint's last activity (the later of
  its EffectiveDate and the activity recorded for it), never lowered;
- ``UpdatedAtMs`` (N), when the item was last written;
- ``ChannelAddress`` (S), ``"<ChannelType>#<Address>"``, present only when the endpoint
  has both; global secondary index ``AddressIndex`` on it with projection KEYS_ONLY, so
  delivery events without an endpoint id (a bounce, an SMS opt-out) find their endpoints
  (the ``EndpointLocator`` port);
- ``SocialHandle`` (S), ``"<attribute>#<handle>"`` from ``User.UserAttributes.<attribute>``
  (``TwitterHandle`` unless the store is told otherwise; the handle without ``@``, lower
  case), present only when the endpoint has one; global secondary index
  ``SocialHandleIndex`` on it with projection KEYS_ONLY, so the sentiment service finds a
  post author's endpoints with one Query (``clarion.adapters.aws.sentiment.social_store``).

One reserved item, ``Id = "#clarion/attribute-names"``, holds the string set ``Names``:
every attribute name (``Attributes.X``, ``User.UserAttributes.X``, ``Metrics.X``) ever
written, for Pinpoint's per-project limit. It has no ``UserId``, so it never appears in
the index, and reads skip it. The set only grows: deleting the last endpoint that used a
name does not free the name (a scan to find out would cost a full table read).

Projects: the default project's items keep these keys as they are. Another project's
store (``key_prefix="app#<id>#"``) writes every key it owns with the prefix (``Id``,
``UserId``, ``ChannelAddress``, ``SocialHandle`` and the registry item), and reads and
queries only prefixed keys, so two projects never see each other's endpoints; the
``Document`` keeps the endpoint's own id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from clarion.adapters.aws.common.project_keys import PROJECT_KEY
from clarion.adapters.aws.common.retry import backoff_delay
from clarion.adapters.aws.sentiment.social_store import (
    SOCIAL_HANDLE_FIELD,
    social_handle_index_spec,
    social_handle_value,
)
from clarion.domain.audience.endpoint import (
    ChannelType,
    Endpoint,
    checked_metric_updates,
    parse_iso8601,
)

ATTRIBUTE_NAMES_ID = "#clarion/attribute-names"
USER_ID_INDEX = "UserIdIndex"
ADDRESS_INDEX = "AddressIndex"

WRITE_BATCH_SIZE = 25  # BatchWriteItem's limit
READ_BATCH_SIZE = 100  # BatchGetItem's limit
MAX_BATCH_ATTEMPTS = 10
# Concurrent UpdateItem calls of one ``set_metrics``: each is a round trip of its own.
METRIC_WRITERS = 16


class UnprocessedItemsError(RuntimeError):
    """DynamoDB still refused part of a batch after every retry."""

    def __init__(self, table_name: str, operation: str, remaining: int) -> None:
        self.table_name = table_name
        self.operation = operation
        self.remaining = remaining
        super().__init__(
            f"{operation} on {table_name}: {remaining} item(s) still unprocessed after "
            f"{MAX_BATCH_ATTEMPTS} attempts (the table is throttling; retry later)"
        )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DynamoDBBatches:
    """BatchWriteItem and BatchGetItem on one table, chunked and retried until DynamoDB
    has processed every item (it may return part of a batch unprocessed when throttled)."""

    def __init__(
        self, client: Any, table_name: str, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep

    def write(self, requests: Sequence[dict[str, Any]]) -> None:
        """Run ``PutRequest``/``DeleteRequest`` entries, 25 a call."""
        for chunk in _chunks(requests, WRITE_BATCH_SIZE):
            pending: dict[str, Any] = {self._table: list(chunk)}
            for attempt in range(MAX_BATCH_ATTEMPTS):
                response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                self._sleep(backoff_delay(attempt))
            else:
                raise UnprocessedItemsError(
                    self._table, "BatchWriteItem", len(pending.get(self._table, []))
                )

    def get(
        self, keys: Sequence[dict[str, Any]], projection: str, names: Mapping[str, str]
    ) -> list[dict[str, Any]]:
        """The items that exist among ``keys``, 100 keys a call, strongly consistent."""
        found: list[dict[str, Any]] = []
        for chunk in _chunks(keys, READ_BATCH_SIZE):
            pending: dict[str, Any] = {
                self._table: {
                    "Keys": list(chunk),
                    "ProjectionExpression": projection,
                    "ExpressionAttributeNames": dict(names),
                    "ConsistentRead": True,
                }
            }
            for attempt in range(MAX_BATCH_ATTEMPTS):
                response = self._client.batch_get_item(RequestItems=pending)
                found.extend(response.get("Responses", {}).get(self._table, []))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                self._sleep(backoff_delay(attempt))
            else:
                raise UnprocessedItemsError(
                    self._table, "BatchGetItem", len(pending[self._table]["Keys"])
                )
        return found


def endpoints_table_spec(table_name: str) -> dict[str, Any]:
    """CreateTable arguments for the endpoints table, as designed above (the CDK stack
    declares the same; tests and local tooling create it from this)."""
    return {
        "TableName": table_name,
        "AttributeDefinitions": [
            {"AttributeName": "Id", "AttributeType": "S"},
            {"AttributeName": "UserId", "AttributeType": "S"},
            {"AttributeName": "ChannelAddress", "AttributeType": "S"},
            {"AttributeName": SOCIAL_HANDLE_FIELD, "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": USER_ID_INDEX,
                "KeySchema": [{"AttributeName": "UserId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": ADDRESS_INDEX,
                "KeySchema": [{"AttributeName": "ChannelAddress", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            social_handle_index_spec(),
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }


def attribute_names_of(endpoint: Endpoint) -> set[str]:
    """The dotted attribute names an endpoint uses, as the per-project limit counts them."""
    user_attributes = (endpoint.user.user_attributes or {}) if endpoint.user else {}
    return {
        *(f"Attributes.{name}" for name in endpoint.attributes or {}),
        *(f"User.UserAttributes.{name}" for name in user_attributes),
        *(f"Metrics.{name}" for name in endpoint.metrics or {}),
    }


def project_key_prefix(app_id: str) -> str:
    """The key prefix of a project other than the default one."""
    return f"{PROJECT_KEY}{app_id}#"


def channel_address(channel: ChannelType | str, address: str) -> str:
    """The ``ChannelAddress`` key of the address index: ``"<ChannelType>#<Address>"``."""
    return f"{channel}#{address}"


def _effective_ms(endpoint: Endpoint) -> int | None:
    if not endpoint.effective_date:
        return None
    return int(parse_iso8601(endpoint.effective_date).timestamp() * 1000)


def _document(item: Mapping[str, Any]) -> Endpoint:
    return Endpoint.model_validate(json.loads(item["Document"]["S"]))


class DynamoDBProfileStore:
    """ProfileStore on a DynamoDB table (design in the module docstring).

    Parameters
    ----------
    client
        A boto3 low-level DynamoDB client.
    table_name
        The endpoints table.
    social_handle_attribute
        The ``User.UserAttributes`` name whose first value is written as ``SocialHandle``
        (the sentiment rules' ``matching.handle_attribute``; one attribute is indexed).
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        social_handle_attribute: str = "TwitterHandle",
        key_prefix: str = "",
    ) -> None:
        self._client = client
        self._table = table_name
        self._prefix = key_prefix
        self._names_id = key_prefix + ATTRIBUTE_NAMES_ID
        self._social_handle_attribute = social_handle_attribute
        self._batches = DynamoDBBatches(client, table_name)
        # Names this process has already added to the registry item: each batch only
        # sends the new ones, so a steady import costs no registry writes at all.
        self._known_names: set[str] = set()

    # -- writes ------------------------------------------------------------------------

    def put_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        """Create or replace these endpoints.

        BatchWriteItem replaces whole items, so the stored ``LastActiveMs`` values are
        read first (BatchGetItem) and the larger of each and the new EffectiveDate is
        written. Activity
        recorded between that read and the write can be lost; the window is one batch,
        and the next activity event raises it again.
        """
        if not endpoints:
            return
        # Last write wins within a batch, and BatchWriteItem refuses duplicate keys.
        latest = {endpoint.id: endpoint for endpoint in endpoints}
        reserved = [i for i in latest if i == ATTRIBUTE_NAMES_ID or i.startswith(PROJECT_KEY)]
        if reserved:
            raise ValueError(
                f"endpoint id {reserved[0]!r} is reserved by Clarion (the registry item, or "
                f"a project's key prefix {PROJECT_KEY!r})"
            )
        existing = self._last_active(list(latest))
        now_ms = int(time.time() * 1000)
        requests = []
        names: set[str] = set()
        for endpoint in latest.values():
            item: dict[str, Any] = {
                "Id": {"S": self._key(endpoint.id)},
                "Document": {
                    "S": json.dumps(
                        endpoint.to_pinpoint(), separators=(",", ":"), ensure_ascii=False
                    )
                },
                "UpdatedAtMs": {"N": str(now_ms)},
            }
            if endpoint.user_id:
                item["UserId"] = {"S": self._key(endpoint.user_id)}
            # An index key must be a non-empty string: endpoints without a channel or an
            # address stay out of the address index.
            if endpoint.channel_type and endpoint.address:
                item["ChannelAddress"] = {
                    "S": self._key(channel_address(endpoint.channel_type, endpoint.address))
                }
            # Likewise the handle index: only endpoints whose user has a handle.
            handle = social_handle_value(endpoint, self._social_handle_attribute)
            if handle is not None:
                item[SOCIAL_HANDLE_FIELD] = {"S": self._key(handle)}
            candidates = [
                v for v in (existing.get(endpoint.id), _effective_ms(endpoint)) if v is not None
            ]
            if candidates:
                item["LastActiveMs"] = {"N": str(max(candidates))}
            requests.append({"PutRequest": {"Item": item}})
            names |= attribute_names_of(endpoint)
        # Names first: a name counted but never written is harmless to the limit; a name
        # written but not counted would let a project exceed it.
        self._register_names(names)
        self._batches.write(requests)

    def delete_endpoints(self, endpoint_ids: Sequence[str]) -> None:
        ids = [i for i in dict.fromkeys(endpoint_ids) if i != ATTRIBUTE_NAMES_ID]
        self._batches.write([{"DeleteRequest": {"Key": {"Id": {"S": self._key(i)}}}} for i in ids])

    def record_activity(self, activity_ms: Mapping[str, int]) -> None:
        """Raise ``LastActiveMs`` of each existing endpoint to at least the given time.

        One conditional UpdateItem per endpoint, a few at a time: the condition keeps the
        maximum without a read, and refuses to create items for unknown ids.
        """
        updates = [(i, int(ms)) for i, ms in activity_ms.items() if i != ATTRIBUTE_NAMES_ID]
        if not updates:
            return
        with ThreadPoolExecutor(max_workers=min(8, len(updates))) as pool:
            # list() so that the first error is raised here.
            list(pool.map(lambda update: self._raise_last_active(*update), updates))

    def set_metrics(self, metrics: Mapping[str, Mapping[str, float]]) -> int:
        """Set metrics on many endpoints: the documents are read 100 a call
        (BatchGetItem), each is merged in memory, and written back by one conditional
        UpdateItem per endpoint, ``METRIC_WRITERS`` at a time.

        UpdateItem rather than BatchWriteItem: a batch's PutRequest replaces the whole
        item, so ``LastActiveMs`` (raised by activity at any time) would have to be read
        and could be lost in the window, while UpdateItem sets only ``Document`` and
        ``UpdatedAtMs``. Its condition (the document is still the one read) means a
        concurrent write of the endpoint is never overwritten: the document is read
        again and merged again; an endpoint deleted meanwhile is skipped, and the
        condition creates no item. PartiQL's BatchExecuteStatement would save round
        trips (25 statements a call) but bills each statement as a write all the same,
        and reports conditional failures per statement, so the retry code would be the
        same with a second dialect; the thread pool gets the throughput instead. Throttling
        is retried by the client's own retry mode.
        """
        checked = checked_metric_updates(metrics)
        checked.pop(ATTRIBUTE_NAMES_ID, None)
        if not checked:
            return 0
        self._register_names({f"Metrics.{name}" for values in checked.values() for name in values})
        items = self._batches.get(
            [{"Id": {"S": self._key(i)}} for i in checked],
            "#id, #doc",
            {"#id": "Id", "#doc": "Document"},
        )
        work = [
            (endpoint_id, item["Document"]["S"], checked[endpoint_id])
            for item in items
            if (endpoint_id := self._unkey(item["Id"]["S"])) in checked
        ]
        if not work:
            return 0
        with ThreadPoolExecutor(max_workers=min(METRIC_WRITERS, len(work))) as pool:
            return sum(pool.map(lambda one: self._set_metrics_of(*one), work))

    # -- reads -------------------------------------------------------------------------

    def get_endpoints(self, endpoint_ids: Sequence[str]) -> dict[str, Endpoint]:
        ids = [i for i in dict.fromkeys(endpoint_ids) if i != ATTRIBUTE_NAMES_ID]
        items = self._batches.get(
            [{"Id": {"S": self._key(i)}} for i in ids],
            "#id, #doc",
            {"#id": "Id", "#doc": "Document"},
        )
        found = (_document(item) for item in items)
        return {endpoint.id: endpoint for endpoint in found}

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None:
        return self.get_endpoints([endpoint_id]).get(endpoint_id)

    def endpoints_for_user(self, user_id: str) -> list[Endpoint]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            IndexName=USER_ID_INDEX,
            KeyConditionExpression="UserId = :u",
            ExpressionAttributeValues={":u": {"S": self._key(user_id)}},
        )
        endpoints = [_document(item) for page in pages for item in page.get("Items", [])]
        return sorted(endpoints, key=lambda endpoint: endpoint.id)

    def endpoint_ids_for_users(self, user_ids: Sequence[str]) -> dict[str, set[str]]:
        """Endpoint ids of each user (the import service's optional batch lookup).

        One index Query per user, a few at a time: each is a round trip of its own.
        """
        distinct = list(dict.fromkeys(user_ids))
        if not distinct:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(distinct))) as pool:
            found = pool.map(self._endpoint_ids_for_user, distinct)
            return dict(zip(distinct, found, strict=True))

    def endpoint_ids_by_address(
        self, addresses: Sequence[tuple[ChannelType, str]]
    ) -> dict[tuple[ChannelType, str], list[str]]:
        """Endpoint ids for each (channel, address), sorted; missing pairs have no entry
        (the ``EndpointLocator`` port).

        One ``AddressIndex`` Query per distinct pair, a few at a time. The index is
        eventually consistent: an endpoint written a moment ago may not be found yet.
        """
        distinct = list(dict.fromkeys((ChannelType(c), a) for c, a in addresses if a))
        if not distinct:
            return {}
        with ThreadPoolExecutor(max_workers=min(8, len(distinct))) as pool:
            found = list(pool.map(lambda pair: self._endpoint_ids_at(*pair), distinct))
        return {pair: ids for pair, ids in zip(distinct, found, strict=True) if ids}

    def attribute_names(self) -> set[str]:
        response = self._client.get_item(
            TableName=self._table,
            Key={"Id": {"S": self._names_id}},
            ProjectionExpression="#names",
            ExpressionAttributeNames={"#names": "Names"},
            ConsistentRead=True,
        )
        names = set(response.get("Item", {}).get("Names", {}).get("SS", []))
        self._known_names |= names
        return names

    # -- helpers -----------------------------------------------------------------------

    def _key(self, value: str) -> str:
        return self._prefix + value

    def _unkey(self, value: str) -> str:
        return value[len(self._prefix) :]

    def _last_active(self, endpoint_ids: Sequence[str]) -> dict[str, int]:
        items = self._batches.get(
            [{"Id": {"S": self._key(i)}} for i in endpoint_ids],
            "#id, LastActiveMs",
            {"#id": "Id"},
        )
        return {
            self._unkey(item["Id"]["S"]): int(item["LastActiveMs"]["N"])
            for item in items
            if "LastActiveMs" in item
        }

    def _endpoint_ids_for_user(self, user_id: str) -> set[str]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=USER_ID_INDEX,
            KeyConditionExpression="UserId = :u",
            ProjectionExpression="#id",
            ExpressionAttributeNames={"#id": "Id"},
            ExpressionAttributeValues={":u": {"S": self._key(user_id)}},
        )
        return {self._unkey(item["Id"]["S"]) for page in pages for item in page.get("Items", [])}

    def _endpoint_ids_at(self, channel: ChannelType, address: str) -> list[str]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=ADDRESS_INDEX,
            KeyConditionExpression="ChannelAddress = :a",
            ExpressionAttributeValues={":a": {"S": self._key(channel_address(channel, address))}},
        )
        ids = {self._unkey(item["Id"]["S"]) for page in pages for item in page.get("Items", [])}
        return sorted(ids)

    def _raise_last_active(self, endpoint_id: str, active_ms: int) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"Id": {"S": self._key(endpoint_id)}},
                UpdateExpression="SET LastActiveMs = :v",
                ConditionExpression=(
                    "attribute_exists(#id) AND "
                    "(attribute_not_exists(LastActiveMs) OR LastActiveMs < :v)"
                ),
                ExpressionAttributeNames={"#id": "Id"},
                ExpressionAttributeValues={":v": {"N": str(active_ms)}},
            )
        except ClientError as exc:
            # Unknown endpoint, or already at least as recent: both are fine.
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def _set_metrics_of(self, endpoint_id: str, document: str, values: dict[str, float]) -> int:
        """Merge ``values`` into one endpoint's stored document; 1 when written, 0 when
        the endpoint was deleted meanwhile."""
        key = {"Id": {"S": self._key(endpoint_id)}}
        for _ in range(MAX_BATCH_ATTEMPTS):
            body = json.loads(document)
            body["Metrics"] = {**(body.get("Metrics") or {}), **values}
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=key,
                    UpdateExpression="SET #doc = :new, UpdatedAtMs = :now",
                    ConditionExpression="#doc = :old",
                    ExpressionAttributeNames={"#doc": "Document"},
                    ExpressionAttributeValues={
                        ":new": {"S": json.dumps(body, separators=(",", ":"), ensure_ascii=False)},
                        ":old": {"S": document},
                        ":now": {"N": str(int(time.time() * 1000))},
                    },
                )
                return 1
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            # Written (or deleted) since it was read: merge into what is there now.
            item = self._client.get_item(
                TableName=self._table,
                Key=key,
                ProjectionExpression="#doc",
                ExpressionAttributeNames={"#doc": "Document"},
                ConsistentRead=True,
            ).get("Item")
            if item is None:
                return 0
            document = item["Document"]["S"]
        raise UnprocessedItemsError(self._table, "UpdateItem", 1)

    def _register_names(self, names: set[str]) -> None:
        new = names - self._known_names
        if not new:
            return
        # ADD on a string set is idempotent and commutative: concurrent writers merge.
        self._client.update_item(
            TableName=self._table,
            Key={"Id": {"S": self._names_id}},
            UpdateExpression="ADD #names :new",
            ExpressionAttributeNames={"#names": "Names"},
            ExpressionAttributeValues={":new": {"SS": sorted(new)}},
        )
        self._known_names |= new
