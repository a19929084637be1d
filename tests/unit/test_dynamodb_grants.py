"""The DynamoDB action sets infra grants (infra/grants.py) are exactly what the DynamoDB
adapters call on each table, read from the adapters' code.

Every boto3 DynamoDB call of the adapters of a table (``get_item``, ``query``, a
``get_paginator("scan")``...) is mapped to its IAM action; the items of a
``transact_write_items`` call count as the PutItem, UpdateItem, DeleteItem or
ConditionCheckItem their ``Put``/``Update``/``Delete``/``ConditionCheck`` entries are.
A new call in an adapter fails here until the table's sets (and the roles that need it)
grant it; an action no adapter calls fails here until it leaves the sets. Which role
gets which sets is asserted per function in tests/infra/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra import grants

ADAPTERS = Path(__file__).resolve().parents[2] / "clarion" / "adapters" / "aws"
OPERATIONS = {
    "get_item": "dynamodb:GetItem",
    "batch_get_item": "dynamodb:BatchGetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "transact_get_items": "dynamodb:GetItem",
}
TRANSACT_ITEMS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# The classes that call DynamoDB, by the table they use (clarion/bootstrap/aws.py builds
# each with that table's name).
TABLE_ADAPTERS: dict[str, list[tuple[str, set[str]]]] = {
    "endpoints": [
        ("audience/profile_store.py", {"DynamoDBBatches", "DynamoDBProfileStore"}),
        ("sentiment/social_store.py", {"DynamoDBHandleLookup"}),
    ],
    "definitions": [
        ("common/dynamo.py", {"VersionedDocuments"}),
        ("common/project_store.py", {"DynamoDBProjectStore"}),
        ("templates/template_repository.py", {"DynamoDBTemplateRepository"}),
        ("campaigns/campaign_repository.py", {"DynamoDBCampaignRepository"}),
        ("journeys/journey_repository.py", {"DynamoDBJourneyRepository"}),
        ("analytics/goal_store.py", {"DynamoDBConversionGoalStore"}),
        ("segments/segment_repository.py", {"DynamoDBSegmentRepository"}),
    ],
    "sends": [
        ("messaging/send_ledger.py", {"DynamoDBSendLedger"}),
        ("messaging/message_counts.py", {"DynamoDBMessageCounts"}),
    ],
    "journeys": [("journeys/participant_store.py", {"DynamoDBParticipantStore"})],
    "social": [
        ("sentiment/social_store.py", {"DynamoDBPostDedupeStore", "DynamoDBSocialAuthorStore"})
    ],
}
GRANTED = {
    "endpoints": (grants.ENDPOINTS_READ, grants.ENDPOINTS_WRITE),
    "definitions": (
        grants.DEFINITIONS_READ,
        grants.DEFINITIONS_LIST,
        grants.DEFINITIONS_WRITE,
        grants.DEFINITIONS_DELETE,
    ),
    "sends": (grants.SENDS_READ, grants.SENDS_WRITE),
    "journeys": (grants.JOURNEYS_READ, grants.JOURNEYS_WRITE, grants.JOURNEYS_DELETE),
    "social": (grants.SOCIAL_READ, grants.SOCIAL_WRITE),
}
# Tables keyed by one attribute are queried through their indexes only (granted on the
# index ARNs, not in the table's sets).
INDEX_ONLY_QUERIES = {"endpoints"}


def _calls(classes: list[ast.ClassDef]) -> list[tuple[str, bool]]:
    """(IAM action, whether the method names an ``IndexName``) for each DynamoDB call
    in the classes' methods (a paginator counts as its operation)."""
    found: list[tuple[str, bool]] = []
    for cls in classes:
        for method in [n for n in ast.walk(cls) if isinstance(n, ast.FunctionDef)]:
            names_index = any(
                (isinstance(n, ast.keyword) and n.arg == "IndexName")
                or (
                    isinstance(n, ast.Dict)
                    and any(isinstance(k, ast.Constant) and k.value == "IndexName" for k in n.keys)
                )
                for n in ast.walk(method)
            )
            for node in ast.walk(method):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                name = node.func.attr
                if name == "get_paginator" and isinstance(node.args[0], ast.Constant):
                    name = str(node.args[0].value)
                if name in OPERATIONS:
                    found.append((OPERATIONS[name], names_index))
                if name == "transact_write_items":
                    found.append(("transact", names_index))
    return found


def _transact_actions(module: ast.Module) -> set[str]:
    keys = {
        key.value
        for node in ast.walk(module)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and key.value in TRANSACT_ITEMS
    }
    return {TRANSACT_ITEMS[key] for key in keys}


def adapter_actions(table: str) -> tuple[set[str], list[bool]]:
    """The IAM actions the table's adapters need, and for each Query call whether it
    goes to an index."""
    actions: set[str] = set()
    queries: list[bool] = []
    for relative, names in TABLE_ADAPTERS[table]:
        module = ast.parse((ADAPTERS / relative).read_text(encoding="utf-8"))
        classes = [n for n in module.body if isinstance(n, ast.ClassDef) and n.name in names]
        assert {c.name for c in classes} == names, f"{relative} lost a class of {names}"
        for action, on_index in _calls(classes):
            if action == "transact":
                actions |= _transact_actions(module)
                continue
            actions.add(action)
            if action == "dynamodb:Query":
                queries.append(on_index)
    return actions, queries


@pytest.mark.parametrize("table", sorted(TABLE_ADAPTERS))
def test_each_tables_grant_sets_are_what_its_adapters_call(table: str) -> None:
    called, queries = adapter_actions(table)
    granted = {action for group in GRANTED[table] for action in group}

    if table in INDEX_ONLY_QUERIES:
        assert queries and all(queries), (
            f"a Query on the {table} table itself: grant Query on the table"
        )
        called.discard("dynamodb:Query")
    assert granted == called


def test_the_grant_sets_do_not_overlap_within_a_table() -> None:
    # Read sets hold no writes, and each action is in one set of its table, so a role
    # given a table's read set may change nothing.
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    writes.add("dynamodb:BatchWriteItem")
    for groups in GRANTED.values():
        flat = [action for group in groups for action in group]
        assert len(flat) == len(set(flat))
    for read in (
        grants.ENDPOINTS_READ,
        grants.DEFINITIONS_READ,
        grants.DEFINITIONS_LIST,
        grants.SENDS_READ,
        grants.JOURNEYS_READ,
        grants.SOCIAL_READ,
    ):
        assert not writes & set(read)


def test_no_adapter_scans_a_table_other_than_definitions() -> None:
    # Scan reads every item of a table: only the definitions' listings need it.
    for table in TABLE_ADAPTERS:
        if table != "definitions":
            assert "dynamodb:Scan" not in adapter_actions(table)[0], table
