"""The monthly AWS cost of Clarion for a workload, itemised, beside Amazon Pinpoint's
price for the same workload.

A workload is endpoints and, per endpoint a month, messages on each channel and events.
Clarion's cost is the AWS usage those cause, line by line: what a campaign run does for
each message (:class:`UsageProfile`, derived from the code paths in docs/cost.md and
checked by bench/bench_cost_model.py), priced with one price list
(``clarion/resources/pricing/prices.json``, with the date it was read). Pinpoint's is
its published meters: monthly targeted endpoints, events, messages, each after its free
allowance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from clarion.domain.common.errors import FieldProblem, InvalidRecordError

GB = 1e9
HOURS_A_MONTH = 730

AWS_PRICE_KEYS = (
    "dynamodb_write_request_unit",
    "dynamodb_read_request_unit",
    "dynamodb_storage_gb_month",
    "kinesis_on_demand_stream_hour",
    "kinesis_on_demand_ingest_gb",
    "kinesis_on_demand_retrieval_gb",
    "firehose_ingest_gb",
    "firehose_format_conversion_gb",
    "firehose_dynamic_partitioning_gb",
    "s3_standard_gb_month",
    "s3_put_request",
    "athena_tb_scanned",
    "step_functions_standard_transition",
    "lambda_request",
    "lambda_gb_second",
    "api_gateway_rest_request",
    "cloudwatch_logs_ingest_gb",
    "ses_email",
    "sms_message",
    "push_message",
)
PINPOINT_PRICE_KEYS = (
    "monthly_targeted_endpoint",
    "free_monthly_targeted_endpoints",
    "event",
    "free_events",
    "email",
    "push",
    "free_push",
    "sms_message",
)


@dataclass(frozen=True, slots=True)
class Workload:
    """A month of use: endpoints, and per endpoint the messages on each channel and the
    events (PutEvents) recorded. Every endpoint is targeted at least once when any
    message is sent (Pinpoint's monthly targeted audience)."""

    endpoints: int
    emails_per_endpoint: float = 0.0
    sms_per_endpoint: float = 0.0
    push_per_endpoint: float = 0.0
    events_per_endpoint: float = 0.0

    def __post_init__(self) -> None:
        problems = [
            FieldProblem(name, f"must be a finite number at least 0, not {value!r}")
            for name, value in asdict(self).items()
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0
        ]
        if problems:
            raise InvalidRecordError(problems)

    @property
    def emails(self) -> float:
        return self.endpoints * self.emails_per_endpoint

    @property
    def sms(self) -> float:
        return self.endpoints * self.sms_per_endpoint

    @property
    def push(self) -> float:
        return self.endpoints * self.push_per_endpoint

    @property
    def messages(self) -> float:
        return self.emails + self.sms + self.push

    @property
    def events(self) -> float:
        return self.endpoints * self.events_per_endpoint

    @property
    def campaign_runs(self) -> int:
        """Runs a month: each sends at most one message to an endpoint, so as many as
        the busiest channel sends an endpoint (whole runs)."""
        most = max(self.emails_per_endpoint, self.sms_per_endpoint, self.push_per_endpoint)
        return math.ceil(most)


@dataclass(frozen=True, slots=True)
class PriceList:
    """Unit prices (USD) read on ``priced_on``: AWS's and Pinpoint's."""

    priced_on: date
    region: str
    aws: Mapping[str, float]
    pinpoint: Mapping[str, float]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PriceList:
        """The price list of ``prices.json``.

        Raises
        ------
        InvalidRecordError
            A price missing or not a number at least 0, or no ISO ``priced_on`` date.
        """
        problems: list[FieldProblem] = []
        try:
            priced_on = date.fromisoformat(str(data.get("priced_on")))
        except ValueError:
            problems.append(FieldProblem("priced_on", "must be a date such as 2026-12-04"))
            priced_on = date.min
        tables: dict[str, dict[str, float]] = {}
        for table, keys in (("aws", AWS_PRICE_KEYS), ("pinpoint", PINPOINT_PRICE_KEYS)):
            given = data.get(table)
            given = given if isinstance(given, Mapping) else {}
            tables[table] = {}
            for key in keys:
                value = given.get(key)
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    problems.append(FieldProblem(f"{table}.{key}", "must be a price at least 0"))
                else:
                    tables[table][key] = float(value)
        if problems:
            raise InvalidRecordError(problems)
        return cls(priced_on, str(data.get("region", "")), tables["aws"], tables["pinpoint"])


@dataclass(frozen=True, slots=True)
class UsageProfile:
    """What Clarion uses on AWS per unit of work (docs/cost.md derives each figure
    from the code path; bench/bench_cost_model.py counts the DynamoDB and Kinesis ones
    under moto).

    Per message a campaign run sends: DynamoDB request units (endpoint read, cap and
    idempotency reads; the ledger's claim, outcome and cap writes), Kinesis records (its
    send event), Lambda time in the send-batch function. Per batch of ``batch_size``:
    one invocation and the Distributed Map child's transitions. Per delivery event (SES
    and End User Messaging report each message's send, delivery, opens...): one
    invocation of the ingest function (EventBridge and SNS invoke it once an event), one
    Kinesis record. Per PutEvents request of ``events_per_request`` events: one API
    Gateway request and one ingest invocation; each event one Kinesis record and its
    effects' writes. Every record on the stream is read by the consumer (batches of 100)
    and by Firehose, which writes Parquet by day.
    """

    message_wru: float = 2.0
    message_rru: float = 0.5
    message_kinesis_records: float = 1.0
    message_lambda_s: float = 0.01
    batch_size: int = 500
    batch_transitions: float = 3.0
    run_transitions: float = 14.0
    send_lambda_gb: float = 1.0
    delivery_events_per_email: float = 2.25
    delivery_events_per_sms: float = 1.0
    delivery_events_per_push: float = 1.0
    events_per_request: float = 10.0
    event_wru: float = 0.35
    ingest_lambda_s: float = 0.05
    ingest_lambda_gb: float = 0.5
    consumer_batch: float = 100.0
    consumer_lambda_s: float = 0.2
    consumer_lambda_gb: float = 0.5
    record_bytes: float = 1000.0
    parquet_bytes_per_record: float = 200.0
    lake_retention_months: float = 12.0
    endpoint_item_bytes: float = 1500.0
    endpoint_updates_per_month: float = 1.0
    ledger_item_bytes: float = 300.0
    audience_bytes_per_endpoint: float = 300.0
    athena_min_bytes: float = 10e6
    queries_per_run: float = 2.0
    log_bytes_per_invocation: float = 1000.0


DEFAULT_USAGE = UsageProfile()


@dataclass(frozen=True, slots=True)
class CostLine:
    """One priced quantity: ``quantity`` ``unit`` at ``unit_price`` each."""

    service: str
    item: str
    quantity: float
    unit: str
    unit_price: float
    cost: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cost", self.quantity * self.unit_price)

    def to_json(self) -> dict[str, Any]:
        return {
            "Service": self.service,
            "Item": self.item,
            "Quantity": self.quantity,
            "Unit": self.unit,
            "UnitPrice": self.unit_price,
            "Cost": self.cost,
        }


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """A month of the workload on Clarion and on Pinpoint, itemised."""

    workload: Workload
    priced_on: date
    region: str
    clarion: tuple[CostLine, ...]
    pinpoint: tuple[CostLine, ...]

    @property
    def clarion_total(self) -> float:
        return math.fsum(line.cost for line in self.clarion)

    @property
    def pinpoint_total(self) -> float:
        return math.fsum(line.cost for line in self.pinpoint)

    @property
    def ratio(self) -> float | None:
        """Clarion's total over Pinpoint's; None when Pinpoint's is nothing."""
        return self.clarion_total / self.pinpoint_total if self.pinpoint_total else None

    def to_json(self) -> dict[str, Any]:
        return {
            "Workload": {
                "Endpoints": self.workload.endpoints,
                "EmailsPerEndpoint": self.workload.emails_per_endpoint,
                "SmsPerEndpoint": self.workload.sms_per_endpoint,
                "PushPerEndpoint": self.workload.push_per_endpoint,
                "EventsPerEndpoint": self.workload.events_per_endpoint,
            },
            "PricedOn": self.priced_on.isoformat(),
            "Region": self.region,
            "Currency": "USD",
            "Clarion": {
                "Lines": [line.to_json() for line in self.clarion],
                "Total": self.clarion_total,
            },
            "Pinpoint": {
                "Lines": [line.to_json() for line in self.pinpoint],
                "Total": self.pinpoint_total,
            },
            "Ratio": self.ratio,
        }


def estimate(
    workload: Workload, prices: PriceList, usage: UsageProfile = DEFAULT_USAGE
) -> CostEstimate:
    """The workload's month on Clarion and on Pinpoint, priced with ``prices``."""
    return CostEstimate(
        workload,
        prices.priced_on,
        prices.region,
        _clarion_lines(workload, prices.aws, usage),
        _pinpoint_lines(workload, prices.pinpoint),
    )


def _clarion_lines(
    w: Workload, price: Mapping[str, float], u: UsageProfile
) -> tuple[CostLine, ...]:
    delivery_events = (
        w.emails * u.delivery_events_per_email
        + w.sms * u.delivery_events_per_sms
        + w.push * u.delivery_events_per_push
    )
    requests = w.events / u.events_per_request
    records = w.messages * u.message_kinesis_records + delivery_events + w.events
    batches = sum(math.ceil(n / u.batch_size) for n in (w.emails, w.sms, w.push))
    runs = w.campaign_runs
    consumer_invocations = records / u.consumer_batch
    ingest_invocations = delivery_events + requests
    invocations = batches + ingest_invocations + consumer_invocations + 4 * runs
    gb_s = (
        w.messages * u.message_lambda_s * u.send_lambda_gb
        + ingest_invocations * u.ingest_lambda_s * u.ingest_lambda_gb
        + consumer_invocations * u.consumer_lambda_s * u.consumer_lambda_gb
    )
    # Kinesis on-demand meters each record rounded up to a whole KB; Firehose bills
    # ingestion in 5 KB steps.
    record_gb = records * max(1000.0, math.ceil(u.record_bytes / 1000) * 1000) / GB
    firehose_gb = records * max(5000.0, math.ceil(u.record_bytes / 5000) * 5000) / GB
    scanned = (
        runs
        * u.queries_per_run
        * max(u.athena_min_bytes, w.endpoints * u.audience_bytes_per_endpoint)
    )
    lake_gb = records * u.parquet_bytes_per_record * u.lake_retention_months / GB
    stored_gb = (w.endpoints * u.endpoint_item_bytes + w.messages * u.ledger_item_bytes) / GB
    wru = (
        w.messages * u.message_wru
        + w.events * u.event_wru
        + w.endpoints * u.endpoint_updates_per_month
    )
    lines = [
        CostLine(
            "DynamoDB", "write request units", wru, "WRU", price["dynamodb_write_request_unit"]
        ),
        CostLine(
            "DynamoDB",
            "read request units",
            w.messages * u.message_rru,
            "RRU",
            price["dynamodb_read_request_unit"],
        ),
        CostLine(
            "DynamoDB",
            "storage (endpoints, send ledger)",
            stored_gb,
            "GB-month",
            price["dynamodb_storage_gb_month"],
        ),
        CostLine(
            "Kinesis",
            "on-demand stream",
            HOURS_A_MONTH if (records or w.endpoints) else 0,
            "stream-hours",
            price["kinesis_on_demand_stream_hour"],
        ),
        CostLine("Kinesis", "data in", record_gb, "GB", price["kinesis_on_demand_ingest_gb"]),
        CostLine(
            "Kinesis",
            "data out (consumer and Firehose)",
            2 * record_gb,
            "GB",
            price["kinesis_on_demand_retrieval_gb"],
        ),
        CostLine("Firehose", "ingestion", firehose_gb, "GB", price["firehose_ingest_gb"]),
        CostLine(
            "Firehose",
            "Parquet conversion",
            firehose_gb,
            "GB",
            price["firehose_format_conversion_gb"],
        ),
        CostLine(
            "Firehose",
            "dynamic partitioning",
            record_gb,
            "GB",
            price["firehose_dynamic_partitioning_gb"],
        ),
        CostLine("S3", "event lake storage", lake_gb, "GB-month", price["s3_standard_gb_month"]),
        CostLine(
            "Athena",
            "audience and dry-run queries",
            scanned / 1e12,
            "TB scanned",
            price["athena_tb_scanned"],
        ),
        CostLine(
            "Step Functions",
            "campaign run transitions",
            runs * u.run_transitions + batches * u.batch_transitions,
            "transitions",
            price["step_functions_standard_transition"],
        ),
        CostLine("Lambda", "requests", invocations, "requests", price["lambda_request"]),
        CostLine("Lambda", "compute", gb_s, "GB-seconds", price["lambda_gb_second"]),
        CostLine(
            "API Gateway",
            "PutEvents requests",
            requests,
            "requests",
            price["api_gateway_rest_request"],
        ),
        CostLine(
            "CloudWatch Logs",
            "function logs",
            invocations * u.log_bytes_per_invocation / GB,
            "GB",
            price["cloudwatch_logs_ingest_gb"],
        ),
        CostLine("SES", "emails", w.emails, "emails", price["ses_email"]),
        CostLine("End User Messaging", "SMS", w.sms, "messages", price["sms_message"]),
        CostLine("End User Messaging", "push", w.push, "messages", price["push_message"]),
    ]
    return tuple(lines)


def _pinpoint_lines(w: Workload, price: Mapping[str, float]) -> tuple[CostLine, ...]:
    targeted = w.endpoints if w.messages > 0 else 0
    return (
        CostLine(
            "Pinpoint",
            "monthly targeted endpoints (after the free ones)",
            max(0.0, targeted - price["free_monthly_targeted_endpoints"]),
            "endpoints",
            price["monthly_targeted_endpoint"],
        ),
        CostLine(
            "Pinpoint",
            "events (after the free ones)",
            max(0.0, w.events - price["free_events"]),
            "events",
            price["event"],
        ),
        CostLine("Pinpoint", "emails", w.emails, "emails", price["email"]),
        CostLine("End User Messaging", "SMS", w.sms, "messages", price["sms_message"]),
        CostLine(
            "Pinpoint",
            "push (after the free ones)",
            max(0.0, w.push - price["free_push"]),
            "messages",
            price["push"],
        ),
    )
