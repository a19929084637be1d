"""Every function's DynamoDB actions, table by table, in the synthesized stage: exactly
the sets of infra.grants its handler's adapters need (tests/unit/test_dynamodb_grants.py
ties those sets to the adapters' calls). No function but the API's may delete by key
or scan, and no function at all may scan a table other than the definitions."""

from __future__ import annotations

from typing import Any

import pytest
from infra_helpers import dynamo, resources, table_actions

from infra.grants import (
    DEFINITIONS_DELETE,
    DEFINITIONS_LIST,
    DEFINITIONS_READ,
    DEFINITIONS_WRITE,
    ENDPOINTS_READ,
    ENDPOINTS_WRITE,
    JOURNEYS_DELETE,
    JOURNEYS_READ,
    JOURNEYS_WRITE,
    SENDS_READ,
    SENDS_WRITE,
    SOCIAL_READ,
    SOCIAL_WRITE,
)

QUERY = {"dynamodb:Query"}
ENDPOINTS_RW = dynamo(ENDPOINTS_READ, ENDPOINTS_WRITE)
DEFINITIONS_RW = dynamo(DEFINITIONS_READ, DEFINITIONS_WRITE)
SENDS_RW = dynamo(SENDS_READ, SENDS_WRITE)
JOURNEYS_RW = dynamo(JOURNEYS_READ, JOURNEYS_WRITE)
JOURNEY_TICK = {
    "journeys": JOURNEYS_RW,
    "journeys/index/DueIndex": QUERY,
}
JOURNEY_MOVER = {
    **JOURNEY_TICK,
    "definitions": DEFINITIONS_RW,
    "endpoints": dynamo(ENDPOINTS_READ),
    "sends": SENDS_RW,
}

# (stack, handler module) → table → actions.
EXPECTED: dict[tuple[str, str], dict[str, set[str]]] = {
    ("Audience", "import_endpoints"): {
        "endpoints": ENDPOINTS_RW,
        "endpoints/index/UserIdIndex": QUERY,
        "definitions": DEFINITIONS_RW,
    },
    ("Audience", "import_job_piece"): {
        "endpoints": ENDPOINTS_RW,
        "endpoints/index/UserIdIndex": QUERY,
        "definitions": DEFINITIONS_RW,
    },
    ("Audience", "import_job_finish"): {"definitions": DEFINITIONS_RW},
    ("Audience", "endpoint_change_feed"): {},
    ("Audience", "compact_endpoints"): {},
    ("Audience", "erase_lake"): {},
    ("Events", "events_consumer"): {
        "endpoints": ENDPOINTS_RW,
        "endpoints/index/UserIdIndex": QUERY,
        "endpoints/index/AddressIndex": QUERY,
    },
    ("Events", "ingest_events"): {},
    ("Messaging", "campaign_start"): {"definitions": DEFINITIONS_RW},
    ("Messaging", "campaign_send_batch"): {
        "definitions": dynamo(DEFINITIONS_READ),
        "endpoints": dynamo(ENDPOINTS_READ),
        "sends": SENDS_RW,
    },
    ("Messaging", "campaign_summarise"): {
        "definitions": DEFINITIONS_RW,
        "sends": dynamo(SENDS_READ),
    },
    ("Messaging", "campaign_resume"): {"sends": dynamo(SENDS_READ)},
    ("Journeys", "journey_plan"): {
        **JOURNEY_TICK,
        "definitions": dynamo(DEFINITIONS_READ, DEFINITIONS_LIST, DEFINITIONS_WRITE),
    },
    ("Journeys", "journey_entered"): {**JOURNEY_TICK, "definitions": DEFINITIONS_RW},
    ("Journeys", "journey_finish"): {
        **JOURNEY_TICK,
        "definitions": dynamo(DEFINITIONS_READ, DEFINITIONS_LIST, DEFINITIONS_WRITE),
    },
    ("Journeys", "journey_enter"): JOURNEY_MOVER,
    ("Journeys", "journey_advance"): JOURNEY_MOVER,
    ("Journeys", "journey_events"): {
        **JOURNEY_MOVER,
        "definitions": dynamo(DEFINITIONS_READ, DEFINITIONS_LIST, DEFINITIONS_WRITE),
    },
    ("Churn", "churn_write_scores"): {"endpoints": ENDPOINTS_RW},
    ("Churn", "churn_refresh_segment"): {
        "definitions": dynamo(DEFINITIONS_READ, DEFINITIONS_LIST, DEFINITIONS_WRITE),
        "endpoints": dynamo(ENDPOINTS_READ),
        "sends": dynamo(SENDS_READ),
    },
    ("Churn", "churn_features"): {},
    ("Churn", "churn_jobs"): {},
    ("Churn", "churn_evaluate"): {},
    ("Social", "score_posts"): {
        "endpoints": ENDPOINTS_RW,
        "endpoints/index/UserIdIndex": QUERY,
        "endpoints/index/SocialHandleIndex": QUERY,
        "social": dynamo(SOCIAL_READ, SOCIAL_WRITE),
        "social/index/ProspectIndex": QUERY,
        "sends": SENDS_RW,
        "definitions": dynamo(DEFINITIONS_READ),
    },
    ("Social", "ingest_posts"): {},
    ("Api", "api"): {
        "endpoints": ENDPOINTS_RW,
        "endpoints/index/UserIdIndex": QUERY,
        "endpoints/index/AddressIndex": QUERY,
        "definitions": dynamo(
            DEFINITIONS_READ, DEFINITIONS_LIST, DEFINITIONS_WRITE, DEFINITIONS_DELETE
        ),
        "sends": SENDS_RW,
        "journeys": dynamo(JOURNEYS_READ, JOURNEYS_WRITE, JOURNEYS_DELETE),
        "journeys/index/DueIndex": QUERY,
    },
}


def _handlers(template: dict[str, Any]) -> set[str]:
    return {
        f["Handler"].split(".")[1]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Handler"].startswith("lambdas.")
    }


def test_every_clarion_function_is_listed(synthesized: Any) -> None:
    listed = {key for key in EXPECTED}
    found = {
        (stack, handler)
        for stack, template in synthesized.templates.items()
        for handler in _handlers(template)
    }
    assert found == listed


@pytest.mark.parametrize(("stack", "handler"), sorted(EXPECTED))
def test_each_function_has_exactly_its_tables_actions(
    synthesized: Any, stack: str, handler: str
) -> None:
    template = synthesized.templates[stack]
    actions = table_actions(template, f"lambdas.{handler}.handler.handler")

    assert actions == EXPECTED[(stack, handler)]


def test_only_the_api_deletes_by_key_and_nothing_scans_people(synthesized: Any) -> None:
    for (_stack, handler), tables in EXPECTED.items():
        for table, actions in tables.items():
            if handler != "api":
                assert "dynamodb:DeleteItem" not in actions, (handler, table)
            if table != "definitions":
                assert "dynamodb:Scan" not in actions, (handler, table)
    # Read-only roles may change nothing.
    send_batch = EXPECTED[("Messaging", "campaign_send_batch")]
    assert not {"dynamodb:PutItem", "dynamodb:BatchWriteItem"} & send_batch["endpoints"]
