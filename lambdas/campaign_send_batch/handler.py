"""One batch of a campaign run: the Distributed Map's item processor.

Input, one row of the batched audience query (or of a resume pass) as the Map's
ItemSelector hands it over::

    {"RunId": "...", "InvocationRate": 50.0, "Batch": {"batch": "0", "ids": "[\\"e1\\", ...]"}}

An ItemBatcher-shaped input (``{"Items": [{"id": ...}, ...], "BatchInput": {"RunId":
...}}``) is accepted too. The batch goes through ``CampaignRunSteps.send_batch``, which
claims endpoints in the send ledger before delivering, so a retried invocation sends
nothing twice; infrastructure errors (DynamoDB, Kinesis) are raised so Step Functions
retries the batch. Throttled and temporary delivery failures are retried with backoff
within the invocation's remaining time (less ``RETRY_MARGIN_S``), then recorded as
failures with their reason. Afterwards the invocation is held to ``InvocationRate`` messages a
second (the campaign's MessagesPerSecond divided by the Map's concurrency).

Returns ``{"RunId", "Batch", "Endpoints", "Counts"}``.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, field_validator, model_validator

from lambdas._runtime import LazyBootstrap, MetricCounts, for_project, parse_event, powertools

logger, tracer, metrics = powertools()
counts = MetricCounts(metrics, "campaign_send_batch")

bootstrap = LazyBootstrap()

# Left for recording outcomes and events after the last retry, and for the pacing wait.
RETRY_MARGIN_S = 30.0


def retry_budget_s(remaining_ms: int) -> float:
    """How long throttled and temporary failures may be retried in this invocation: the
    remaining time less a margin (a third of it when less than twice the margin is
    left), so the outcomes are recorded before Lambda's timeout."""
    remaining = remaining_ms / 1000
    return remaining - RETRY_MARGIN_S if remaining > 2 * RETRY_MARGIN_S else remaining / 3


class BatchRow(BaseModel):
    """A row of the batched audience: its number and the ids (a JSON array)."""

    batch: Any = ""
    ids: list[Any]

    @field_validator("ids", mode="before")
    @classmethod
    def _json_array(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"is not JSON: {exc}") from exc
        if not isinstance(value, list):
            raise ValueError("must be a JSON array")
        return value


class BatchEvent(BaseModel):
    """A batch: a row of the audience (``Batch``) or ItemBatcher's ``Items``."""

    run_id: str = Field(alias="RunId", min_length=1)
    application_id: str | None = Field(default=None, alias="ApplicationId")
    invocation_rate: float | None = Field(default=None, alias="InvocationRate")
    batch: BatchRow | None = Field(default=None, alias="Batch")
    items: list[Any] | None = Field(default=None, alias="Items")
    batch_label: Any = Field(default="", alias="BatchLabel")

    @model_validator(mode="before")
    @classmethod
    def _with_batch_input(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        batch_input = data.get("BatchInput") or {}
        merged = {
            k: v for k, v in data.items() if k not in ("RunId", "InvocationRate", "ApplicationId")
        }
        run_id = data.get("RunId") or batch_input.get("RunId")
        if run_id:
            merged["RunId"] = run_id
        application_id = data.get("ApplicationId") or batch_input.get("ApplicationId")
        if application_id:
            merged["ApplicationId"] = application_id
        # 0 (the start step's "not paced") and absent alike: no pacing.
        merged["InvocationRate"] = (
            data.get("InvocationRate", batch_input.get("InvocationRate")) or None
        )
        if "Items" not in data and not isinstance(data.get("Batch"), dict):
            merged["Batch"] = {}  # reported as Batch.ids is required
        return merged

    @property
    def label(self) -> str:
        if self.items is not None or self.batch is None:
            return str(self.batch_label)
        return str(self.batch.batch)

    @property
    def endpoint_ids(self) -> list[str]:
        if self.items is not None:
            return [str(i["id"] if isinstance(i, dict) else i) for i in self.items]
        assert self.batch is not None  # the validator made one
        return [str(value) for value in self.batch.ids]


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_event(event, BatchEvent)
    sent = for_project(bootstrap(), request.application_id).campaign_run_steps.send_batch(
        request.run_id,
        request.endpoint_ids,
        invocation_rate=request.invocation_rate,
        label=request.label,
        time_budget_s=retry_budget_s(context.get_remaining_time_in_millis()),
    )
    if sent.counts.get("SENT"):
        counts.count("sent", sent.counts["SENT"])
    if sent.counts.get("FAILED"):
        counts.count("failed", sent.counts["FAILED"])
    logger.info(
        "campaign batch sent",
        extra={
            "run_id": sent.run_id,
            "batch": sent.label,
            "endpoints": sent.endpoints,
            "counts": sent.counts,
        },
    )
    return sent.to_json()
