"""The campaign-run state machine under moto's Step Functions interpreter, with the real
Lambda handlers running in process.

``campaign_deployment`` gives a moto account holding what the campaign stack deploys
(endpoints, definitions and sends tables, the data bucket, the events stream, the
failure topic, a verified SES domain) and the state machine created from
``infra/statemachines/campaign_run.asl.json`` with the substitutions CDK makes. Lambda
invocations from the interpreter are dispatched by function name to the handler modules
(``LambdaSimpleBackend.invoke`` is patched), which share one ``Bootstrap`` built on
moto clients, as a Lambda container would.

Time: the run's clock is frozen (``CampaignClock``) and only moves when the state
machine waits: the Wait states are patched to advance the clock to their timestamp
instead of sleeping, so a quiet-time deferral of an hour takes no time in the test.

moto specifics handled here (docs/testing-notes.md): Athena succeeds at once with the
results queued through ``/moto-api/static/athena/query-results``, and moto writes them
as the CSV result object at ``<OutputLocation><QueryExecutionId>.csv`` (where the Map's
ItemReader reads it); moto's CSV writer quotes each field but does not double the quotes
inside, so ``queue_audience`` doubles them as Athena does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests
from fakes.step_functions import wait_for_execution
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Clarion")

REGION = "us-east-1"
ASL_FILE = Path(__file__).resolve().parents[2] / "infra" / "statemachines" / "campaign_run.asl.json"
CAMPAIGN_STATE_MACHINE = "clarion-campaign-run"
ENDPOINTS_TABLE = "sm-endpoints"
DEFINITIONS_TABLE = "sm-definitions"
SENDS_TABLE = "sm-sends"
DATA_BUCKET = "sm-data"
EVENTS_STREAM = "sm-events"
WORKGROUP = "sm-workgroup"
DATABASE = "sm_clarion"
RESULTS_PREFIX = "athena-results/"
FROM_ADDRESS = "Clarion <news@example.com>"
SES_CONFIGURATION_SET = "sm-email"
FUNCTION_NAMES = {
    "start": "clarion-campaign-start",
    "send_batch": "clarion-campaign-send-batch",
    "summarise": "clarion-campaign-summarise",
    "resume": "clarion-campaign-resume",
}
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:{name}"


def campaign_substitutions(topic_arn: str) -> dict[str, str]:
    """What the CDK construct substitutes into the ASL, for this moto account."""
    return {
        "StartFunctionArn": function_arn(FUNCTION_NAMES["start"]),
        "SendBatchFunctionArn": function_arn(FUNCTION_NAMES["send_batch"]),
        "SummariseFunctionArn": function_arn(FUNCTION_NAMES["summarise"]),
        "ResumeFunctionArn": function_arn(FUNCTION_NAMES["resume"]),
        "DataBucket": DATA_BUCKET,
        "AthenaResultsPrefix": RESULTS_PREFIX,
        "FailureTopicArn": topic_arn,
    }


def render_campaign_asl(substitutions: dict[str, str]) -> str:
    """The ASL file with ``${Name}`` replaced, as ``DefinitionBody`` does on deploy."""
    text = ASL_FILE.read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "a substitution is missing"
    return text


@dataclass
class CampaignClock:
    """A frozen clock the state machine's Wait states move forward."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)


@dataclass
class FakeContext:
    function_name: str
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    @property
    def invoked_function_arn(self) -> str:
        return function_arn(self.function_name)

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass
class CampaignDeployment:
    """The moto account, the state machine and the Bootstrap its handlers share."""

    boot: Any
    clients: dict[str, Any]
    state_machine_arn: str
    topic_arn: str
    clock: CampaignClock
    invocations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    pauses: list[float] = field(default_factory=list)
    waits: list[str] = field(default_factory=list)
    fail_next: dict[str, int] = field(default_factory=dict)
    fail_after: dict[str, int] = field(default_factory=dict)

    def queue_audience(self, batches: Sequence[Sequence[str]]) -> None:
        """Queue the next Athena query's result: the batched audience (``batch``, ``ids``
        rows, ids a JSON array), as the start step's SQL would produce it."""
        rows = [{"Data": [{"VarCharValue": "batch"}, {"VarCharValue": "ids"}]}]
        for number, ids in enumerate(batches):
            value = json.dumps(list(ids), separators=(",", ":")).replace('"', '""')
            rows.append({"Data": [{"VarCharValue": str(number)}, {"VarCharValue": value}]})
        response = requests.post(
            "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
            json={
                "account_id": DEFAULT_ACCOUNT_ID,
                "region": REGION,
                "results": [
                    {
                        "rows": rows,
                        "column_info": [
                            {"Name": "batch", "Type": "varchar"},
                            {"Name": "ids", "Type": "varchar"},
                        ],
                    }
                ],
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def queue_dry_run(self, members: int, reached: int, *missing: int) -> None:
        """Queue the next Athena query's result: the launch's dry run (one row: the
        segment's endpoints, those the message reaches, then how many of them lack each
        printed field)."""
        columns = ["members", "reached", *(f"missing_{n}" for n in range(len(missing)))]
        rows = [
            {"Data": [{"VarCharValue": name} for name in columns]},
            {"Data": [{"VarCharValue": str(v)} for v in (members, reached, *missing)]},
        ]
        response = requests.post(
            "http://motoapi.amazonaws.com/moto-api/static/athena/query-results",
            json={
                "account_id": DEFAULT_ACCOUNT_ID,
                "region": REGION,
                "results": [
                    {
                        "rows": rows,
                        "column_info": [{"Name": name, "Type": "bigint"} for name in columns],
                    }
                ],
            },
            timeout=10,
        )
        assert response.status_code == 201, response.text

    def start(self, execution_input: dict[str, Any], name: str) -> str:
        return str(
            self.clients["stepfunctions"].start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name,
                input=json.dumps(execution_input),
            )["executionArn"]
        )

    def wait_for(self, execution_arn: str, timeout_s: float = 60.0) -> dict[str, Any]:
        """The execution once it has ended (describe_execution)."""
        return wait_for_execution(self.clients["stepfunctions"], execution_arn, timeout_s)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.clients["stepfunctions"].get_execution_history(
            executionArn=execution_arn, maxResults=1000
        )["events"]
        return events

    def sent_mail(self) -> list[Any]:
        from moto.backends import get_backend

        return list(get_backend("ses")[DEFAULT_ACCOUNT_ID][REGION].sent_messages)

    def fail_next_call(self, key: str, times: int = 1) -> None:
        """Make the next ``times`` invocations of a function fail as an infrastructure
        error would (before the handler runs)."""
        self.fail_next[FUNCTION_NAMES[key]] = times

    def invoked(self, key: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.invocations if name == FUNCTION_NAMES[key]]


def _handler_modules() -> dict[str, ModuleType]:
    from lambdas.campaign_resume import handler as resume
    from lambdas.campaign_send_batch import handler as send_batch
    from lambdas.campaign_start import handler as start
    from lambdas.campaign_summarise import handler as summarise

    return {
        FUNCTION_NAMES["start"]: start,
        FUNCTION_NAMES["send_batch"]: send_batch,
        FUNCTION_NAMES["summarise"]: summarise,
        FUNCTION_NAMES["resume"]: resume,
    }


def _patch_lambda(
    monkeypatch: pytest.MonkeyPatch,
    deployment: CampaignDeployment | JourneyDeployment,
    modules: dict[str, ModuleType] | None = None,
) -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    modules = modules or _handler_modules()

    def invoke(
        backend: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        name = function_name.rsplit(":", 1)[-1] if ":" in function_name else function_name
        module = modules[name]
        payload = json.loads(body or "{}")
        deployment.invocations.append((name, payload))
        try:
            if deployment.fail_next.get(name):
                deployment.fail_next[name] -= 1
                raise ConnectionError(f"{name}: injected infrastructure failure")
            result = module.handler(payload, FakeContext(name))
            if deployment.fail_after.get(name):
                deployment.fail_after[name] -= 1
                raise TimeoutError(f"{name}: injected failure after the handler ran")
        except Exception as exc:
            # What Lambda answers for an unhandled error: Step Functions names the
            # error after errorType.
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
        return json.dumps(result).encode()

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)


def _patch_waits(
    monkeypatch: pytest.MonkeyPatch, deployment: CampaignDeployment | JourneyDeployment
) -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
        timestamp as timestamp_wait,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    def get_wait_seconds(self: Any, env: Any) -> int:
        self.string.eval(env=env)
        value = env.stack.pop()
        parsed = self._from_timestamp_string(timestamp=value)
        assert parsed is not None, f"not a Step Functions timestamp: {value!r}"
        deployment.waits.append(value)
        deployment.clock.advance_to(parsed.replace(tzinfo=UTC))
        return 0

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            deployment.clock.advance_to(deployment.clock.now + timedelta(seconds=wait_seconds))

    monkeypatch.setattr(timestamp_wait.Timestamp, "_get_wait_seconds", get_wait_seconds)
    monkeypatch.setattr(WaitFunction, "_wait_interval", wait_interval)


@pytest.fixture
def campaign_aws_credentials(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Clarion")


@pytest.fixture
def campaign_deployment(
    monkeypatch: pytest.MonkeyPatch, campaign_aws_credentials: None
) -> Iterator[CampaignDeployment]:
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.messaging.send_ledger import sends_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import AwsSettings, Settings
    from clarion.services.campaigns import CampaignRunner, CampaignRunSteps
    from lambdas._runtime import LazyBootstrap

    with mock_aws(config=MOTO_CONFIG):
        clients = {
            name: boto3.client(name, region_name=REGION)
            for name in (
                "dynamodb",
                "s3",
                "sesv2",
                "ses",
                "kinesis",
                "athena",
                "sns",
                "stepfunctions",
                "iam",
            )
        }
        dynamodb = clients["dynamodb"]
        dynamodb.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        dynamodb.create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        dynamodb.create_table(**sends_table_spec(SENDS_TABLE))
        clients["s3"].create_bucket(Bucket=DATA_BUCKET)
        clients["kinesis"].create_stream(StreamName=EVENTS_STREAM, ShardCount=1)
        clients["ses"].verify_domain_identity(Domain="example.com")
        clients["athena"].create_work_group(
            Name=WORKGROUP,
            Configuration={
                "ResultConfiguration": {"OutputLocation": f"s3://{DATA_BUCKET}/{RESULTS_PREFIX}"}
            },
        )
        topic_arn = clients["sns"].create_topic(Name="sm-campaign-failures")["TopicArn"]
        role_arn = clients["iam"].create_role(
            RoleName="sm-campaign-run",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "states.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        state_machine_arn = clients["stepfunctions"].create_state_machine(
            name=CAMPAIGN_STATE_MACHINE,
            definition=render_campaign_asl(campaign_substitutions(topic_arn)),
            roleArn=role_arn,
        )["stateMachineArn"]

        settings = Settings(
            backend="aws",
            app_id="sm-app",
            aws=AwsSettings(
                region=REGION,
                endpoints_table=ENDPOINTS_TABLE,
                definitions_table=DEFINITIONS_TABLE,
                data_bucket=DATA_BUCKET,
                glue_database=DATABASE,
                athena_workgroup=WORKGROUP,
                # What the campaign stack gives the start function (the ASL reads there).
                athena_output=f"s3://{DATA_BUCKET}/{RESULTS_PREFIX}",
                ses_configuration_set=SES_CONFIGURATION_SET,
                from_address=FROM_ADDRESS,
                events_stream=EVENTS_STREAM,
                sends_table=SENDS_TABLE,
                campaign_state_machine_arn=state_machine_arn,
                # One delivery at a time: moto documents that its backends do not support
                # concurrent access from threads, and the state machine's own threads
                # already call into it. The channel's thread pool is tested on its own
                # (tests/integration/test_delivery_channel_contract.py).
                delivery_threads=1,
            ),
        )
        boot = Bootstrap(settings, **clients)
        # Today, in the day's first half: a run's waits (a quiet time's deferral is
        # about an hour) must not carry it into the next UTC day, which would reset the
        # daily cap the tests count on.
        started = datetime.now(UTC).replace(microsecond=0)
        clock = CampaignClock(started.replace(hour=started.hour % 12))
        pauses: list[float] = []
        # The runner the handlers use, on the frozen clock (Bootstrap builds the same
        # one on the wall clock).
        boot.__dict__["campaign_runner"] = CampaignRunner(
            boot.adapters.campaign_repository,
            boot.adapters.template_repository,
            boot.adapters.profile_store,
            boot.adapters.send_ledger,
            boot.adapters.delivery_channel,
            boot.adapters.event_sink,
            boot.segment_service,
            app_id=boot.app_id,
            clock=clock,
            sleep=pauses.append,  # MessagesPerSecond pacing, recorded instead of slept
            # A stopped stopwatch: every batch looks instant, so the pause each batch
            # owes its rate is recorded however slow the machine running the test is.
            monotonic=lambda: 0.0,
        )
        # The steps the handlers run, on the same clock and pacing.
        boot.__dict__["campaign_run_steps"] = CampaignRunSteps(
            boot.campaign_runner,
            boot.campaign_service,
            boot.adapters.campaign_repository,
            boot.adapters.send_ledger,
            boot.adapters.campaign_batch_store,
            audience_query=boot.adapters.campaign_audience_query,
            clock=clock,
            sleep=pauses.append,  # InvocationRate pacing, recorded instead of slept
            monotonic=lambda: 0.0,
        )
        deployment = CampaignDeployment(
            boot=boot,
            clients=clients,
            state_machine_arn=state_machine_arn,
            topic_arn=topic_arn,
            clock=clock,
            pauses=pauses,
        )
        modules = _handler_modules()
        for module in modules.values():
            monkeypatch.setattr(module, "bootstrap", LazyBootstrap(boot))
        _patch_lambda(monkeypatch, deployment)
        _patch_waits(monkeypatch, deployment)
        yield deployment


# -- the journey tick ----------------------------------------------------------------------

JOURNEY_ASL_FILE = ASL_FILE.with_name("journey_tick.asl.json")
JOURNEY_STATE_MACHINE = "clarion-journey-tick"
JOURNEYS_TABLE = "sm-journeys"
JOURNEY_FUNCTIONS = {
    "plan": "clarion-journey-plan",
    "enter": "clarion-journey-enter",
    "entered": "clarion-journey-entered",
    "advance": "clarion-journey-advance",
    "finish": "clarion-journey-finish",
}


def journey_substitutions(topic_arn: str) -> dict[str, str]:
    """What the journeys stack substitutes into the tick's ASL, for this moto account."""
    return {
        "PlanFunctionArn": function_arn(JOURNEY_FUNCTIONS["plan"]),
        "EnterFunctionArn": function_arn(JOURNEY_FUNCTIONS["enter"]),
        "EnteredFunctionArn": function_arn(JOURNEY_FUNCTIONS["entered"]),
        "AdvanceFunctionArn": function_arn(JOURNEY_FUNCTIONS["advance"]),
        "FinishFunctionArn": function_arn(JOURNEY_FUNCTIONS["finish"]),
        "DataBucket": DATA_BUCKET,
        "AthenaResultsPrefix": RESULTS_PREFIX,
        "FailureTopicArn": topic_arn,
    }


def render_journey_asl(substitutions: dict[str, str]) -> str:
    text = JOURNEY_ASL_FILE.read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, "a substitution is missing"
    return text


@dataclass
class JourneyDeployment(CampaignDeployment):
    """The moto account, the journey tick state machine and the handlers' Bootstrap."""

    ticks: int = 0

    def invoked(self, key: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.invocations if name == JOURNEY_FUNCTIONS[key]]

    def fail_next_call(self, key: str, times: int = 1) -> None:
        self.fail_next[JOURNEY_FUNCTIONS[key]] = times

    def fail_after_call(self, key: str, times: int = 1) -> None:
        """Make the next ``times`` invocations of a function fail once its handler has
        run (a timeout after its writes: the retry finds them done)."""
        self.fail_after[JOURNEY_FUNCTIONS[key]] = times

    def tick(self, timeout_s: float = 120.0) -> dict[str, Any]:
        """One tick execution (as the schedule starts it), run to its end."""
        self.ticks += 1
        execution = self.clients["stepfunctions"].start_execution(
            stateMachineArn=self.state_machine_arn, name=f"tick-{self.ticks}", input="{}"
        )["executionArn"]
        return self.wait_for(execution, timeout_s)


def _journey_modules() -> dict[str, ModuleType]:
    from lambdas.journey_advance import handler as advance
    from lambdas.journey_enter import handler as enter
    from lambdas.journey_entered import handler as entered
    from lambdas.journey_finish import handler as finish
    from lambdas.journey_plan import handler as plan

    return {
        JOURNEY_FUNCTIONS["plan"]: plan,
        JOURNEY_FUNCTIONS["enter"]: enter,
        JOURNEY_FUNCTIONS["entered"]: entered,
        JOURNEY_FUNCTIONS["advance"]: advance,
        JOURNEY_FUNCTIONS["finish"]: finish,
    }


@pytest.fixture
def journey_deployment(
    monkeypatch: pytest.MonkeyPatch, campaign_aws_credentials: None
) -> Iterator[JourneyDeployment]:
    """What the journeys stack deploys on moto (module docstring), the tick state machine
    from its ASL file, and the handlers running in process on one Bootstrap whose clock
    the test moves."""
    from clarion.adapters.aws.audience.profile_store import endpoints_table_spec
    from clarion.adapters.aws.journeys import journeys_table_spec
    from clarion.adapters.aws.messaging.send_ledger import sends_table_spec
    from clarion.adapters.aws.segments.segment_repository import definitions_table_spec
    from clarion.bootstrap import Bootstrap
    from clarion.bootstrap.settings import AwsSettings, Settings
    from lambdas._runtime import LazyBootstrap

    with mock_aws(config=MOTO_CONFIG):
        clients = {
            name: boto3.client(name, region_name=REGION)
            for name in (
                "dynamodb",
                "s3",
                "sesv2",
                "ses",
                "kinesis",
                "athena",
                "sns",
                "stepfunctions",
                "iam",
            )
        }
        dynamodb = clients["dynamodb"]
        dynamodb.create_table(**endpoints_table_spec(ENDPOINTS_TABLE))
        dynamodb.create_table(**definitions_table_spec(DEFINITIONS_TABLE))
        dynamodb.create_table(**sends_table_spec(SENDS_TABLE))
        dynamodb.create_table(**journeys_table_spec(JOURNEYS_TABLE))
        clients["s3"].create_bucket(Bucket=DATA_BUCKET)
        clients["kinesis"].create_stream(StreamName=EVENTS_STREAM, ShardCount=1)
        clients["ses"].verify_domain_identity(Domain="example.com")
        clients["athena"].create_work_group(
            Name=WORKGROUP,
            Configuration={
                "ResultConfiguration": {"OutputLocation": f"s3://{DATA_BUCKET}/{RESULTS_PREFIX}"}
            },
        )
        topic_arn = clients["sns"].create_topic(Name="sm-journey-failures")["TopicArn"]
        role_arn = clients["iam"].create_role(
            RoleName="sm-journey-tick",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "states.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        state_machine_arn = clients["stepfunctions"].create_state_machine(
            name=JOURNEY_STATE_MACHINE,
            definition=render_journey_asl(journey_substitutions(topic_arn)),
            roleArn=role_arn,
        )["stateMachineArn"]
        settings = Settings(
            backend="aws",
            app_id="sm-app",
            aws=AwsSettings(
                region=REGION,
                endpoints_table=ENDPOINTS_TABLE,
                definitions_table=DEFINITIONS_TABLE,
                data_bucket=DATA_BUCKET,
                glue_database=DATABASE,
                athena_workgroup=WORKGROUP,
                # What the journeys stack gives plan and entered (the ASL reads there).
                athena_output=f"s3://{DATA_BUCKET}/{RESULTS_PREFIX}",
                ses_configuration_set=SES_CONFIGURATION_SET,
                from_address=FROM_ADDRESS,
                events_stream=EVENTS_STREAM,
                sends_table=SENDS_TABLE,
                journeys_table=JOURNEYS_TABLE,
                delivery_threads=1,  # moto's backends are not safe across threads
            ),
        )
        boot = Bootstrap(settings, **clients)
        clock = CampaignClock(datetime(2025, 3, 3, 9, 0, tzinfo=UTC))
        boot.clock = clock
        deployment = JourneyDeployment(
            boot=boot,
            clients=clients,
            state_machine_arn=state_machine_arn,
            topic_arn=topic_arn,
            clock=clock,
        )
        modules = _journey_modules()
        for module in modules.values():
            monkeypatch.setattr(module, "bootstrap", LazyBootstrap(boot))
        _patch_lambda(monkeypatch, deployment, modules)
        _patch_waits(monkeypatch, deployment)
        yield deployment
