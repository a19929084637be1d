"""A campaign run on AWS, end to end: ``campaigns launch`` starts the real state machine
(the ASL file, executed by moto's interpreter) whose tasks run the real handlers in
process against moto DynamoDB, S3, SES v2, Kinesis and Athena.

The campaign has two treatments, a holdout, a quiet time (one endpoint's time zone is
inside it, so it is deferred, waited for and resumed in the same execution), a daily cap
and a MessagesPerSecond that makes the audience two batches.
"""

from __future__ import annotations

import json
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest
from fakes.segments import NEAR_LIMIT_CODES, near_limit_segment

from clarion.domain.audience.endpoint import validate_endpoint
from clarion.domain.campaigns.send_rate import send_plan
from clarion.domain.messaging.ledger import cap_day

# tests/statemachines/conftest.py's CampaignDeployment (conftest modules are not importable).
CampaignDeployment = Any

SUBJECT_BASE = "Base offer for"
SUBJECT_B = "Treatment B for"
MESSAGES_PER_SECOND = 25  # batches of 25, one at a time (clarion.domain.campaigns.send_rate)
ELIGIBLE = [f"e{n:02d}" for n in range(30)]
QUIET = "quiet-bkk"  # Asia/Bangkok: inside the quiet time when the run starts
CAPPED = "capped"  # already sent to today: the daily cap (1) is reached
OPTED_OUT = "opted-out"
INACTIVE = "inactive"
SMS_ONLY = "sms-only"
GONE = "gone"  # in the audience, deleted since
NAMELESS = ELIGIBLE[0]  # no first name
# The launch's dry run, as Athena answers it: the segment's endpoints, those the email
# reaches, and how many of them lack the first name (Athena is stubbed: the figures are
# the test's own).
DRY_RUN = (37, 32, 8)


def _endpoints(deployment: CampaignDeployment) -> None:
    def email(endpoint_id: str, **fields: Any) -> dict[str, Any]:
        return {
            "Id": endpoint_id,
            "ChannelType": "EMAIL",
            "Address": f"{endpoint_id}@example.com",
            "User": {"UserId": f"u-{endpoint_id}", "UserAttributes": {"FirstName": [endpoint_id]}},
            **fields,
        }

    records = [email(k) for k in ELIGIBLE]
    records[0]["User"]["UserAttributes"] = {}  # NAMELESS: the greeting renders empty
    records += [
        email(QUIET, Demographic={"Timezone": "Asia/Bangkok"}),
        email(CAPPED),
        email(OPTED_OUT, OptOut="ALL"),
        email(INACTIVE, EndpointStatus="INACTIVE"),
        {"Id": SMS_ONLY, "ChannelType": "SMS", "Address": "+12065550123"},
    ]
    deployment.boot.adapters.profile_store.put_endpoints([validate_endpoint(r) for r in records])


def _campaign(deployment: CampaignDeployment) -> str:
    boot = deployment.boot
    boot.template_service.create(
        {
            "TemplateName": "offer",
            "EmailTemplateRequest": {
                "Subject": SUBJECT_BASE + " {{User.UserAttributes.FirstName}}",
                "HtmlPart": "<p>Hello {{User.UserAttributes.FirstName}}</p>",
                "TextPart": "Hello {{User.UserAttributes.FirstName}}",
            },
        }
    )
    segment = boot.segment_service.create_segment(
        {
            "Name": "email endpoints",
            "Dimensions": {
                "Demographic": {"Channel": {"DimensionType": "INCLUSIVE", "Values": ["EMAIL"]}}
            },
        }
    )
    # Quiet time 6 to 8 hours after the run's (UTC) time: endpoints in UTC are outside
    # it, Bangkok (UTC+7, no DST) is inside and is deferred about an hour.
    start = deployment.clock.now + timedelta(hours=6)
    end = deployment.clock.now + timedelta(hours=8)
    campaign = boot.campaign_service.create_campaign(
        {
            "Name": "spring offer",
            "SegmentId": segment["Id"],
            "HoldoutPercent": 30,
            "TemplateConfiguration": {"EmailTemplate": {"Name": "offer"}},
            "AdditionalTreatments": [
                {
                    "SizePercent": 35,
                    "TreatmentName": "B",
                    "MessageConfiguration": {
                        "EmailMessage": {
                            "Title": SUBJECT_B + " {{User.UserAttributes.FirstName}}",
                            "HtmlBody": "<p>B {{User.UserAttributes.FirstName}}</p>",
                        }
                    },
                }
            ],
            "Schedule": {
                "StartTime": "IMMEDIATE",
                "Frequency": "ONCE",
                "Timezone": "UTC",
                "QuietTime": {"Start": start.strftime("%H:%M"), "End": end.strftime("%H:%M")},
            },
            "Limits": {"Daily": 1, "MessagesPerSecond": MESSAGES_PER_SECOND},
        }
    )
    campaign_id = str(campaign["Id"])
    boot.adapters.send_ledger.add_sends(campaign_id, [CAPPED], cap_day(deployment.clock.now))
    return campaign_id


def _audience() -> list[list[str]]:
    """What the batched audience query returns: every member, in batches of the size
    the start step chose (the test's own SQL-free stand-in for Athena)."""
    members = sorted([*ELIGIBLE, QUIET, CAPPED, OPTED_OUT, INACTIVE, SMS_ONLY, GONE])
    size = send_plan(MESSAGES_PER_SECOND).batch_size
    return [members[i : i + size] for i in range(0, len(members), size)]


def _recipients(deployment: CampaignDeployment) -> list[tuple[str, str]]:
    """(address, subject) of every email SES accepted."""
    parser = BytesParser(policy=policy.default)
    found = []
    for sent in deployment.sent_mail():
        message = parser.parsebytes(sent.raw_data.encode())
        found.append((message["To"].addresses[0].addr_spec, str(message["Subject"])))
    return found


def _ledger_items(deployment: CampaignDeployment, run_id: str) -> list[dict[str, Any]]:
    return list(
        deployment.clients["dynamodb"].query(
            TableName="sm-sends",
            KeyConditionExpression="Pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"run#{run_id}"}},
            ConsistentRead=True,
        )["Items"]
    )


def _ledger(deployment: CampaignDeployment, run_id: str) -> dict[str, str]:
    return {item["Sk"]["S"]: item["Outcome"]["S"] for item in _ledger_items(deployment, run_id)}


def _failures(deployment: CampaignDeployment, run_id: str) -> dict[str, str]:
    """Each FAILED endpoint's recorded detail: what a failing assertion should show."""
    return {
        item["Sk"]["S"]: item.get("Detail", {}).get("S", "")
        for item in _ledger_items(deployment, run_id)
        if item["Outcome"]["S"] == "FAILED"
    }


@pytest.fixture
def launched(campaign_deployment: CampaignDeployment) -> tuple[str, str, dict[str, Any]]:
    """The campaign launched through the real service; its execution once ended."""
    _endpoints(campaign_deployment)
    campaign_id = _campaign(campaign_deployment)
    campaign_deployment.queue_dry_run(*DRY_RUN)
    campaign_deployment.queue_audience(_audience())
    run_id = campaign_deployment.boot.campaign_service.launch(campaign_id)
    run = campaign_deployment.boot.adapters.campaign_repository.get_run(run_id)
    described = campaign_deployment.wait_for(run["Execution"])
    return campaign_id, run_id, described


def test_launch_runs_the_state_machine_to_completion(
    campaign_deployment: CampaignDeployment, launched: tuple[str, str, dict[str, Any]]
) -> None:
    deployment = campaign_deployment
    campaign_id, run_id, described = launched

    assert described["status"] == "SUCCEEDED", described
    assert described["name"] == run_id
    output = json.loads(described["output"])
    assert output["State"] == "COMPLETED"

    outcomes = _ledger(deployment, run_id)
    sent = {k for k, v in outcomes.items() if v == "SENT"}
    held_out = {k for k, v in outcomes.items() if v == "HOLDOUT"}
    # Every eligible endpoint (the deferred one included, once resumed) is sent to or
    # held out; the holdout and both treatments are used.
    assert sent | held_out == {*ELIGIBLE, QUIET}, _failures(deployment, run_id)
    assert sent.isdisjoint(held_out)
    assert held_out and sent
    assert outcomes[OPTED_OUT] == "SKIPPED_OPT_OUT"
    assert outcomes[INACTIVE] == "SKIPPED_INACTIVE"
    assert outcomes[CAPPED] == "SKIPPED_DAILY_CAP"
    assert outcomes[SMS_ONLY] == "SKIPPED_CHANNEL"
    assert outcomes[GONE] == "SKIPPED_NOT_FOUND"

    recipients = _recipients(deployment)
    addresses = [address for address, _ in recipients]
    assert sorted(addresses) == sorted(f"{k}@example.com" for k in sent)  # each once
    assert f"{OPTED_OUT}@example.com" not in addresses
    subjects = {subject.split(" e")[0].split(" q")[0].strip() for _, subject in recipients}
    assert subjects == {SUBJECT_BASE, SUBJECT_B}

    run = deployment.boot.adapters.campaign_repository.get_run(run_id)
    assert run["State"] == "COMPLETED"
    assert run["Counts"]["SENT"] == len(sent)
    assert run["Counts"]["HOLDOUT"] == len(held_out)
    campaign = deployment.boot.adapters.campaign_repository.get_campaign(campaign_id)
    assert campaign["State"]["CampaignStatus"] == "COMPLETED"


def test_the_run_counts_rendering_warnings_and_keeps_the_dry_run(
    campaign_deployment: CampaignDeployment, launched: tuple[str, str, dict[str, Any]]
) -> None:
    deployment = campaign_deployment
    campaign_id, run_id, _ = launched
    (report,) = deployment.boot.campaign_service.runs(campaign_id)
    nameless_sent = _ledger(deployment, run_id)[NAMELESS] == "SENT"

    # The summarise step counted the warnings the send-batch steps kept in DynamoDB.
    warnings = report["RenderWarnings"]
    assert warnings["Messages"] == int(nameless_sent)
    if nameless_sent:
        assert "HtmlPart: {{User.UserAttributes.FirstName}}: missing value" in warnings["Warnings"]
    # The launch's dry run asked Athena once; its answer is on the run record, for both
    # messages (the base's template and treatment B's inline email).
    assert [
        (f["Template"], f["Kind"], f["Missing"], f["Targeted"]) for f in report["Preflight"]
    ] == [
        ("offer", "MISSING_VALUES", DRY_RUN[2], DRY_RUN[1]),
        ("Treatment 1: the inline EMAIL message", "MISSING_VALUES", DRY_RUN[2], DRY_RUN[1]),
    ]


def test_the_quiet_time_endpoint_is_deferred_then_resumed_in_the_same_execution(
    campaign_deployment: CampaignDeployment, launched: tuple[str, str, dict[str, Any]]
) -> None:
    deployment = campaign_deployment
    _, run_id, described = launched

    assert described["status"] == "SUCCEEDED"
    # One wait for the deferral, until the quiet time's end (about an hour later).
    assert len(deployment.waits) == 1
    (resume,) = deployment.invoked("resume")
    # The run's project travels to every step (the default project here).
    assert resume == {"RunId": run_id, "BatchSize": 25, "ApplicationId": "sm-app"}
    summaries = deployment.invoked("summarise")
    assert len(summaries) == 2
    assert _ledger(deployment, run_id)[QUIET] in {"SENT", "HOLDOUT"}


def test_batches_follow_messages_per_second(
    campaign_deployment: CampaignDeployment, launched: tuple[str, str, dict[str, Any]]
) -> None:
    deployment = campaign_deployment
    _, run_id, _ = launched

    (start,) = deployment.invoked("start")
    assert start["Input"]["RunId"] == run_id
    batches = deployment.invoked("send_batch")
    # Two batches from the audience query, one from the resume pass.
    assert len(batches) == 3
    assert all(b["RunId"] == run_id and b["InvocationRate"] == 25 for b in batches)
    first_pass = [json.loads(b["Batch"]["ids"]) for b in batches[:2]]
    assert sorted(len(ids) for ids in first_pass) == [11, 25]
    assert json.loads(batches[2]["Batch"]["ids"]) == [QUIET]
    # Each batch is held to the rate: at most 25 messages a second (the runner paces by
    # MessagesPerSecond, the handler by its share of it; pauses are recorded, not slept).
    assert deployment.pauses and all(0 < p <= 25 / 25 for p in deployment.pauses)


def test_a_retried_run_sends_nothing_twice(
    campaign_deployment: CampaignDeployment, launched: tuple[str, str, dict[str, Any]]
) -> None:
    deployment = campaign_deployment
    campaign_id, run_id, _ = launched
    before = _recipients(deployment)
    outcomes_before = _ledger(deployment, run_id)

    deployment.queue_audience(_audience())
    execution = deployment.start({"RunId": run_id, "CampaignId": campaign_id}, run_id + "-retry")
    described = deployment.wait_for(execution)

    assert described["status"] == "SUCCEEDED", described
    assert _recipients(deployment) == before
    assert _ledger(deployment, run_id) == outcomes_before


def test_a_failing_batch_is_retried_without_sending_twice(
    campaign_deployment: CampaignDeployment,
) -> None:
    deployment = campaign_deployment
    _endpoints(deployment)
    campaign_id = _campaign(deployment)
    deployment.queue_dry_run(*DRY_RUN)
    deployment.queue_audience(_audience())
    deployment.fail_next_call("send_batch")

    run_id = deployment.boot.campaign_service.launch(campaign_id)
    described = deployment.wait_for(
        deployment.boot.adapters.campaign_repository.get_run(run_id)["Execution"]
    )

    assert described["status"] == "SUCCEEDED", described
    assert len(deployment.invoked("send_batch")) == 4  # one retried
    addresses = [address for address, _ in _recipients(deployment)]
    assert len(addresses) == len(set(addresses))


def test_a_scheduled_run_plans_its_own_run_and_the_daily_cap_holds(
    campaign_deployment: CampaignDeployment, launched: tuple[str, str, dict[str, Any]]
) -> None:
    deployment = campaign_deployment
    campaign_id, first_run, _ = launched
    already = len(deployment.sent_mail())

    # As EventBridge Scheduler starts it: the campaign id only.
    deployment.queue_audience(_audience())
    execution = deployment.start({"CampaignId": campaign_id}, "scheduled-run-1")
    described = deployment.wait_for(execution)

    assert described["status"] == "SUCCEEDED", described
    run = deployment.boot.adapters.campaign_repository.get_run("scheduled-run-1")
    assert run["Trigger"] == "SCHEDULE"
    outcomes = _ledger(deployment, "scheduled-run-1")
    sent_before = {k for k, v in _ledger(deployment, first_run).items() if v == "SENT"}
    assert all(outcomes[k] == "SKIPPED_DAILY_CAP" for k in sent_before)
    assert outcomes[OPTED_OUT] == "SKIPPED_OPT_OUT"
    assert len(deployment.sent_mail()) == already  # nobody twice in a day


def test_a_broken_run_fails_and_notifies(campaign_deployment: CampaignDeployment) -> None:
    deployment = campaign_deployment
    sqs = deployment.boot.adapters.client("sqs")
    queue_url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    deployment.clients["sns"].subscribe(
        TopicArn=deployment.topic_arn, Protocol="sqs", Endpoint=queue_arn
    )

    execution = deployment.start({"CampaignId": "no-such-campaign"}, "broken-run")
    described = deployment.wait_for(execution)

    assert described["status"] == "FAILED"
    assert described["error"] == "CampaignRunFailed"
    (message,) = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    notice = json.loads(json.loads(message["Body"])["Message"])
    assert notice["CampaignId"] == "no-such-campaign"
    assert notice["Error"]["Error"] == "NotFoundError"
    assert not deployment.sent_mail()


def test_a_segment_just_under_the_limits_runs_with_no_sql_in_the_execution_state(
    campaign_deployment: CampaignDeployment,
) -> None:
    deployment = campaign_deployment
    boot = deployment.boot
    _endpoints(deployment)
    segment = near_limit_segment(boot)
    boot.template_service.create(
        {
            "TemplateName": "plain",
            "EmailTemplateRequest": {
                "Subject": "Hi {{User.UserAttributes.FirstName}}",
                "TextPart": "Hi",
            },
        }
    )
    campaign = boot.campaign_service.create_campaign(
        {
            "Name": "long list campaign",
            "SegmentId": segment["Id"],
            "TemplateConfiguration": {"EmailTemplate": {"Name": "plain"}},
            "Schedule": {"StartTime": "IMMEDIATE", "Frequency": "ONCE", "Timezone": "UTC"},
            "Limits": {"MessagesPerSecond": MESSAGES_PER_SECOND},
        }
    )
    deployment.queue_dry_run(*DRY_RUN)
    deployment.queue_audience(_audience())

    run_id = boot.campaign_service.launch(str(campaign["Id"]))
    execution = boot.adapters.campaign_repository.get_run(run_id)["Execution"]
    described = deployment.wait_for(execution)

    assert described["status"] == "SUCCEEDED", described
    assert _ledger(deployment, run_id)[ELIGIBLE[1]] == "SENT"
    # Athena was given the whole query by the start step...
    (start,) = [e for e in deployment.history(execution) if e["type"] == "TaskSucceeded"][:1]
    query_id = json.loads(start["taskSucceededEventDetails"]["output"])["Payload"][
        "AudienceQueryExecutionId"
    ]
    query = deployment.clients["athena"].get_query_execution(QueryExecutionId=query_id)
    assert NEAR_LIMIT_CODES[-1] in query["QueryExecution"]["Query"]
    # ...and no state's input or output ever held it. (GetQueryExecution's raw answer
    # repeats the query, under the 256 KiB task-result limit since the SQL is at most
    # MAX_SEGMENT_SQL_BYTES; its ResultSelector keeps only the query's state.)
    states_seen = set()
    for event in deployment.history(execution):
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
        if details is not None:
            states_seen.add(details["name"])
            assert NEAR_LIMIT_CODES[0] not in json.dumps(details), (event["type"], details["name"])
        result = event.get("taskSucceededEventDetails", {}).get("output", "")
        assert len(result.encode("utf-8")) < 256 * 1024
    assert {"PlanRun", "GetAudienceQuery", "SendBatches", "RunCompleted"} <= states_seen
    assert "SELECT" not in described.get("input", "") + described.get("output", "")
