"""The ProfileStore contract: every backend behaves the same way."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from clarion.domain.audience.endpoint import Endpoint

# The ``profiles`` fixture (tests/integration/conftest.py) is a ProfileBackend.
ProfileBackend = Any

MakeEndpoint = Callable[..., Endpoint]


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).replace(tzinfo=UTC).timestamp() * 1000)


def test_round_trip_keeps_every_field(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    endpoint = make_endpoint(
        "e-1",
        user_id="user-1",
        Attributes={"Plan": ["Gold", "Trial"], "Ünïcode": ["zoë"]},
        Metrics={"Visits": 12.5},
        Demographic={"Timezone": "Europe/Paris", "Platform": "ios"},
        Location={"Country": "FR", "Latitude": 48.85, "Longitude": 2.35},
        OptOut="NONE",
        EffectiveDate="2024-05-01T10:00:00.000Z",
    )
    profiles.store.put_endpoints([endpoint])

    assert profiles.store.get_endpoint("e-1") == endpoint
    assert profiles.store.get_endpoints(["e-1"]) == {"e-1": endpoint}


def test_unknown_ids_are_absent(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    profiles.store.put_endpoints([make_endpoint("known")])

    assert profiles.store.get_endpoint("missing") is None
    assert set(profiles.store.get_endpoints(["known", "missing"])) == {"known"}
    assert profiles.store.get_endpoints([]) == {}
    assert profiles.store.endpoints_for_user("nobody") == []


def test_put_replaces_the_whole_endpoint(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    profiles.store.put_endpoints(
        [make_endpoint("e-1", user_id="old-user", Attributes={"Plan": ["Gold"]})]
    )
    replacement = make_endpoint("e-1", ChannelType="SMS", Address="+14155550100")
    profiles.store.put_endpoints([replacement])

    assert profiles.store.get_endpoint("e-1") == replacement
    # Without a user id it leaves the old user's index entry too.
    assert profiles.store.endpoints_for_user("old-user") == []


def test_last_write_in_a_batch_wins(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    first = make_endpoint("e-1", Attributes={"Plan": ["Bronze"]})
    second = make_endpoint("e-1", Attributes={"Plan": ["Gold"]})
    profiles.store.put_endpoints([first, second])

    assert profiles.store.get_endpoint("e-1") == second


def test_batches_larger_than_the_service_limits(
    profiles: ProfileBackend, make_endpoint: MakeEndpoint
):
    # 230 crosses BatchWriteItem's 25 and BatchGetItem's 100 several times, unevenly.
    endpoints = [make_endpoint(f"e-{n:03d}", user_id=f"u-{n % 7}") for n in range(230)]
    profiles.store.put_endpoints(endpoints)

    found = profiles.store.get_endpoints([e.id for e in endpoints] + ["missing"])
    assert found == {e.id: e for e in endpoints}
    assert [e.id for e in profiles.store.endpoints_for_user("u-3")] == sorted(
        e.id for e in endpoints if e.user_id == "u-3"
    )


def test_endpoints_for_user(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    mine = [make_endpoint("b", user_id="me"), make_endpoint("a", user_id="me")]
    theirs = make_endpoint("c", user_id="them")
    anonymous = make_endpoint("d")
    profiles.store.put_endpoints([*mine, theirs, anonymous])

    assert profiles.store.endpoints_for_user("me") == sorted(mine, key=lambda e: e.id)
    assert profiles.store.endpoints_for_user("them") == [theirs]
    # User ids are case-sensitive.
    assert profiles.store.endpoints_for_user("Me") == []


def test_moving_an_endpoint_to_another_user(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    profiles.store.put_endpoints([make_endpoint("e-1", user_id="before")])
    profiles.store.put_endpoints([make_endpoint("e-1", user_id="after")])

    assert profiles.store.endpoints_for_user("before") == []
    assert [e.id for e in profiles.store.endpoints_for_user("after")] == ["e-1"]


def test_delete(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    endpoints = [make_endpoint(f"e-{n:02d}", user_id="u") for n in range(40)]
    profiles.store.put_endpoints(endpoints)
    doomed = [e.id for e in endpoints[:30]]

    # More than one BatchWriteItem's worth, with a repeat and an unknown id.
    profiles.store.delete_endpoints([*doomed, doomed[0], "never-existed"])

    remaining = {e.id for e in endpoints[30:]}
    assert set(profiles.store.get_endpoints([e.id for e in endpoints])) == remaining
    assert {e.id for e in profiles.store.endpoints_for_user("u")} == remaining
    assert profiles.store.get_endpoint(doomed[0]) is None
    profiles.store.delete_endpoints([])


def test_attribute_names(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    profiles.store.put_endpoints(
        [
            make_endpoint(
                "e-1",
                Attributes={"Plan": ["Gold"]},
                Metrics={"Visits": 3},
                User={"UserId": "u", "UserAttributes": {"FirstName": ["Ana"]}},
            ),
            make_endpoint("e-2", Attributes={"plan": ["lower case is another name"]}),
        ]
    )
    profiles.store.put_endpoints([make_endpoint("e-3", Attributes={"Region": ["EU"]})])

    expected = {
        "Attributes.Plan",
        "Attributes.plan",
        "Attributes.Region",
        "Metrics.Visits",
        "User.UserAttributes.FirstName",
    }
    assert profiles.store.attribute_names() == expected
    # Names are stored, not remembered by one store object.
    assert profiles.new_store().attribute_names() == expected


def test_attribute_names_start_empty(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    assert profiles.store.attribute_names() == set()
    profiles.store.put_endpoints([make_endpoint("e-1")])
    assert profiles.store.attribute_names() == set()


def test_no_bookkeeping_item_is_visible_as_an_endpoint(
    profiles: ProfileBackend, make_endpoint: MakeEndpoint
):
    profiles.store.put_endpoints([make_endpoint("e-1", Attributes={"Plan": ["Gold"]})])

    assert profiles.store.get_endpoint("#clarion/attribute-names") is None


def test_activity_only_moves_forward(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    effective = "2024-05-01T10:00:00"
    profiles.store.put_endpoints([make_endpoint("e-1", EffectiveDate=effective + "Z")])
    assert profiles.last_active_ms("e-1") == _ms(effective)

    profiles.store.record_activity({"e-1": _ms(effective) - 1000})
    assert profiles.last_active_ms("e-1") == _ms(effective)

    later = _ms(effective) + 5000
    profiles.store.record_activity({"e-1": later})
    assert profiles.last_active_ms("e-1") == later

    # Re-writing the endpoint with its old EffectiveDate keeps the later activity.
    profiles.store.put_endpoints([make_endpoint("e-1", EffectiveDate=effective + "Z")])
    assert profiles.last_active_ms("e-1") == later

    # A newer EffectiveDate is activity too.
    newer = "2024-06-01T00:00:00"
    profiles.store.put_endpoints([make_endpoint("e-1", EffectiveDate=newer + "Z")])
    assert profiles.last_active_ms("e-1") == _ms(newer)


def test_activity_for_an_endpoint_without_dates(
    profiles: ProfileBackend, make_endpoint: MakeEndpoint
):
    profiles.store.put_endpoints([make_endpoint("e-1")])
    assert profiles.last_active_ms("e-1") is None

    profiles.store.record_activity({"e-1": 1_700_000_000_000})
    assert profiles.last_active_ms("e-1") == 1_700_000_000_000


def test_activity_never_creates_endpoints(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    profiles.store.put_endpoints([make_endpoint("e-1")])
    profiles.store.record_activity({"e-1": 5, "ghost": 1_700_000_000_000})
    profiles.store.record_activity({})

    assert profiles.store.get_endpoint("ghost") is None
    assert profiles.last_active_ms("ghost") is None
    assert profiles.last_active_ms("e-1") == 5
    # Recording activity leaves the endpoint itself alone.
    assert profiles.store.get_endpoint("e-1") == make_endpoint("e-1")


def test_put_nothing_is_a_no_op(profiles: ProfileBackend):
    profiles.store.put_endpoints([])
    assert profiles.store.attribute_names() == set()


# -- aws only: what moto never does by itself ------------------------------------------


class _Throttling:
    """A DynamoDB client that processes only half of each batch on the first try, as
    DynamoDB does under throttling, and passes everything else through."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.partial_responses = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, requests),) = RequestItems.items()
        if len(requests) < 2:
            return self._client.batch_write_item(RequestItems=RequestItems)
        half = len(requests) // 2
        self._client.batch_write_item(RequestItems={table: requests[:half]})
        self.partial_responses += 1
        return {"UnprocessedItems": {table: requests[half:]}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, request),) = RequestItems.items()
        keys = request["Keys"]
        if len(keys) < 2:
            return self._client.batch_get_item(RequestItems=RequestItems)
        half = len(keys) // 2
        response = self._client.batch_get_item(
            RequestItems={table: {**request, "Keys": keys[:half]}}
        )
        self.partial_responses += 1
        return {
            "Responses": response["Responses"],
            "UnprocessedKeys": {table: {**request, "Keys": keys[half:]}},
        }


def test_aws_retries_what_dynamodb_leaves_unprocessed(
    endpoints_table: tuple[Any, str], make_endpoint: MakeEndpoint
):
    from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore

    client, table = endpoints_table
    throttling = _Throttling(client)
    store = DynamoDBProfileStore(throttling, table)
    endpoints = [make_endpoint(f"e-{n:03d}") for n in range(120)]

    store.put_endpoints(endpoints)
    writes_and_reads = throttling.partial_responses
    found = store.get_endpoints([e.id for e in endpoints])
    store.delete_endpoints([e.id for e in endpoints[:60]])

    assert writes_and_reads > 0
    assert found == {e.id: e for e in endpoints}
    untouched = DynamoDBProfileStore(client, table)
    assert set(untouched.get_endpoints([e.id for e in endpoints])) == {e.id for e in endpoints[60:]}


def test_aws_gives_up_after_repeated_throttling():
    from clarion.adapters.aws.audience.profile_store import DynamoDBBatches, UnprocessedItemsError

    class NeverDone:
        def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
            return {"UnprocessedItems": RequestItems}

    sleeps: list[float] = []
    batches = DynamoDBBatches(NeverDone(), "test-endpoints", sleep=sleeps.append)
    request = {"PutRequest": {"Item": {"Id": {"S": "e-1"}}}}

    with pytest.raises(UnprocessedItemsError, match=r"BatchWriteItem on test-endpoints: 1 item"):
        batches.write([request])
    assert len(sleeps) > 1
    assert all(delay >= 0 for delay in sleeps)


def test_aws_refuses_the_reserved_id(endpoints_table: tuple[Any, str], make_endpoint: MakeEndpoint):
    from clarion.adapters.aws.audience.profile_store import ATTRIBUTE_NAMES_ID, DynamoDBProfileStore

    store = DynamoDBProfileStore(*endpoints_table)

    with pytest.raises(ValueError, match="must not start with '#clarion/'"):
        store.put_endpoints([make_endpoint(ATTRIBUTE_NAMES_ID)])


def test_endpoint_ids_for_users(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    lookup = profiles.store.endpoint_ids_for_users
    profiles.store.put_endpoints(
        [
            make_endpoint("a", user_id="u1"),
            make_endpoint("b", user_id="u1"),
            make_endpoint("c", user_id="u2"),
        ]
    )

    assert lookup(["u1", "u2", "u3", "u1"]) == {"u1": {"a", "b"}, "u2": {"c"}, "u3": set()}
    assert lookup([]) == {}


def test_aws_writes_the_social_handle_and_its_index_finds_it(
    endpoints_table: tuple[Any, str], make_endpoint: MakeEndpoint
):
    from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore
    from clarion.adapters.aws.sentiment.social_store import (
        SOCIAL_HANDLE_INDEX,
        DynamoDBHandleLookup,
    )

    client, table = endpoints_table

    def handle_of(endpoint_id: str) -> str | None:
        item = client.get_item(TableName=table, Key={"Id": {"S": endpoint_id}})["Item"]
        return item.get("SocialHandle", {}).get("S")

    handles = {"TwitterHandle": ["@Ana_Q"], "InstagramHandle": ["ana.insta"]}
    DynamoDBProfileStore(client, table).put_endpoints(
        [
            make_endpoint("e-1", User={"UserId": "u-1", "UserAttributes": handles}),
            make_endpoint("e-2", User={"UserId": "u-1", "UserAttributes": handles}),
            make_endpoint("e-3", user_id="u-3"),
            make_endpoint("e-4", User={"UserId": "u-4", "UserAttributes": {"TwitterHandle": [""]}}),
        ]
    )

    assert handle_of("e-1") == "TwitterHandle#ana_q"
    assert handle_of("e-3") is None  # no handle, no index entry (keys must be non-empty)
    assert handle_of("e-4") is None
    rows = client.query(
        TableName=table,
        IndexName=SOCIAL_HANDLE_INDEX,
        KeyConditionExpression="SocialHandle = :h",
        ExpressionAttributeValues={":h": {"S": "TwitterHandle#ana_q"}},
    )["Items"]
    assert sorted(row["Id"]["S"] for row in rows) == ["e-1", "e-2"]
    lookup = DynamoDBHandleLookup(client, table)
    assert lookup.endpoint_ids_by_handle("TwitterHandle", ["@ANA_q", "nobody"]) == {
        "ana_q": ["e-1", "e-2"]
    }

    # Another attribute can be indexed instead; a rewrite without a handle drops it.
    instagram = DynamoDBProfileStore(client, table, social_handle_attribute="InstagramHandle")
    instagram.put_endpoints(
        [make_endpoint("e-1", User={"UserId": "u-1", "UserAttributes": handles})]
    )
    assert handle_of("e-1") == "InstagramHandle#ana.insta"
    assert lookup.endpoint_ids_by_handle("InstagramHandle", ["ana.insta"]) == {"ana.insta": ["e-1"]}
    instagram.put_endpoints([make_endpoint("e-1", user_id="u-1")])
    assert handle_of("e-1") is None
    assert lookup.endpoint_ids_by_handle("TwitterHandle", ["ana_q"]) == {"ana_q": ["e-2"]}


# -- set_metrics: bulk metric writes ----------------------------------------------------


def _merged(endpoint: Endpoint, values: dict[str, float]) -> Endpoint:
    """The per-document path's result: read, merge into Metrics, write."""
    return endpoint.model_copy(update={"metrics": {**(endpoint.metrics or {}), **values}})


def test_set_metrics_merges_into_each_endpoint_and_keeps_the_rest(
    profiles: ProfileBackend, make_endpoint: MakeEndpoint
):
    effective = "2024-05-01T10:00:00"
    rich = make_endpoint(
        "e-1",
        user_id="u-1",
        Attributes={"Plan": ["Gold"]},
        Metrics={"Visits": 3, "ChurnRisk": 0.9},
        Location={"Country": "FR", "Latitude": 48.85},
        EffectiveDate=effective + "Z",
    )
    bare = make_endpoint("e-2", ChannelType="SMS", Address="+14155550100")
    profiles.store.put_endpoints([rich, bare])
    profiles.store.record_activity({"e-1": _ms(effective) + 5000})

    written = profiles.store.set_metrics(
        {"e-1": {"ChurnRisk": 0.123457}, "e-2": {"ChurnRisk": 1, "Score": -2.5}, "ghost": {"X": 1}}
    )

    assert written == 2
    assert profiles.store.get_endpoint("e-1") == _merged(rich, {"ChurnRisk": 0.123457})
    assert profiles.store.get_endpoint("e-2") == _merged(bare, {"ChurnRisk": 1.0, "Score": -2.5})
    assert profiles.store.get_endpoint("ghost") is None  # nothing created
    assert profiles.last_active_ms("e-1") == _ms(effective) + 5000  # activity kept
    assert [e.id for e in profiles.store.endpoints_for_user("u-1")] == ["e-1"]


def test_set_metrics_registers_the_names(profiles: ProfileBackend, make_endpoint: MakeEndpoint):
    profiles.store.put_endpoints([make_endpoint("e-1", Attributes={"Plan": ["Gold"]})])
    assert profiles.store.attribute_names() == {"Attributes.Plan"}

    profiles.store.set_metrics({"e-1": {"ChurnRisk": 0.5}})

    expected = {"Attributes.Plan", "Metrics.ChurnRisk"}
    assert profiles.store.attribute_names() == expected
    assert profiles.new_store().attribute_names() == expected


def test_set_metrics_across_the_service_limits(
    profiles: ProfileBackend, make_endpoint: MakeEndpoint
):
    endpoints = [make_endpoint(f"e-{n:03d}", Metrics={"Visits": n}) for n in range(230)]
    profiles.store.put_endpoints(endpoints)
    scores = {e.id: {"ChurnRisk": round(n / 230, 6)} for n, e in enumerate(endpoints)}

    assert profiles.store.set_metrics(scores) == 230
    # Written again: the values replace the earlier ones.
    again = {i: {"ChurnRisk": 1 - v["ChurnRisk"]} for i, v in scores.items()}
    assert profiles.store.set_metrics(again) == 230

    found = profiles.store.get_endpoints([e.id for e in endpoints])
    assert found == {e.id: _merged(e, again[e.id]) for e in endpoints}


@pytest.mark.parametrize(
    "bad",
    [{"ChurnRisk": float("nan")}, {"ChurnRisk": float("inf")}, {"": 1.0}, {"N" * 51: 1.0}],
)
def test_set_metrics_refuses_what_an_endpoint_cannot_hold(
    profiles: ProfileBackend, make_endpoint: MakeEndpoint, bad: dict[str, float]
):
    endpoint = make_endpoint("e-1", Metrics={"Visits": 1})
    profiles.store.put_endpoints([endpoint, make_endpoint("e-2")])

    with pytest.raises(ValueError, match="e-2"):
        profiles.store.set_metrics({"e-1": {"ChurnRisk": 0.5}, "e-2": bad})

    assert profiles.store.get_endpoint("e-1") == endpoint  # nothing written
    assert profiles.store.set_metrics({}) == 0


def test_local_set_metrics_leaves_the_rows_a_put_would(tmp_path: Any, make_endpoint: MakeEndpoint):
    """Locally the ``endpoints`` relation (read by segment SQL) must change as a put of
    the merged endpoint would change it, not just the document."""
    from clarion.adapters.local.audience.profile_store import DuckDBProfileStore
    from clarion.adapters.local.common.database import LocalDatabase

    endpoints = [
        make_endpoint("e-1", Metrics={"Visits": 3}, EffectiveDate="2024-05-01T10:00:00Z"),
        make_endpoint("e-2", Attributes={"Ünïcode": ["zoë"]}),
    ]
    values = {"e-1": {"ChurnRisk": 0.25, "Visits": 4.0}, "e-2": {"ChurnRisk": 0.75}}
    rows = []
    for bulk in (True, False):
        database = LocalDatabase(tmp_path / f"home-{bulk}")
        store = DuckDBProfileStore(database)
        store.put_endpoints(endpoints)
        if bulk:
            store.set_metrics(values)
        else:
            store.put_endpoints([_merged(e, values[e.id]) for e in endpoints])
        cursor = database.cursor()
        found = cursor.execute("SELECT * FROM endpoints ORDER BY id").fetchall()
        names = [c[0] for c in cursor.description]
        rows.append(
            [
                {
                    **dict(zip(names, row, strict=True)),
                    "document": json.loads(row[names.index("document")]),
                }
                for row in found
            ]
        )
        database.close()
    assert rows[0] == rows[1]


def test_aws_set_metrics_merges_into_a_write_made_since_its_read(
    endpoints_table: tuple[Any, str], make_endpoint: MakeEndpoint
):
    """The endpoint is rewritten between set_metrics' read and its UpdateItem: the
    condition fails, the new document is read and the metrics merged into it, so the
    other write is kept; an endpoint deleted in the window is skipped, not recreated."""
    from clarion.adapters.aws.audience.profile_store import DynamoDBProfileStore

    client, table = endpoints_table
    store = DynamoDBProfileStore(client, table)
    store.put_endpoints([make_endpoint("e-1", Metrics={"Visits": 1}), make_endpoint("e-2")])
    concurrent = make_endpoint("e-1", Attributes={"Plan": ["Gold"]}, Metrics={"Visits": 2})
    update_item = client.update_item
    raced: set[str] = set()

    def racing_update(**kwargs: Any) -> Any:
        endpoint_id = kwargs["Key"]["Id"]["S"]
        if endpoint_id not in raced:
            raced.add(endpoint_id)
            if endpoint_id == "e-1":
                DynamoDBProfileStore(client, table).put_endpoints([concurrent])
            else:
                DynamoDBProfileStore(client, table).delete_endpoints([endpoint_id])
        return update_item(**kwargs)

    client.update_item = racing_update
    try:
        written = store.set_metrics({"e-1": {"ChurnRisk": 0.5}, "e-2": {"ChurnRisk": 0.5}})
    finally:
        client.update_item = update_item

    assert written == 1
    assert store.get_endpoint("e-1") == _merged(concurrent, {"ChurnRisk": 0.5})
    assert store.get_endpoint("e-2") is None
