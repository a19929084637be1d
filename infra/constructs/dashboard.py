"""The events dashboard and alarms: the counts the consumer and the ingest function
publish (CloudWatch embedded metrics, namespace ``Clarion``), stream lag, lake freshness
and dead letters.

The metric names and the namespace come from the metrics contract
(``clarion/resources/contracts/metrics.json``), which the handlers publish by.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.event_stream import EventStream
from infra.constructs.lambda_runtime import ClarionFunction
from infra.paths import RESOURCES_DIR

METRICS_CONTRACT = RESOURCES_DIR / "contracts" / "metrics.json"
_CONTRACT: dict[str, Any] = json.loads(METRICS_CONTRACT.read_text(encoding="utf-8"))
_CONSUMER = _CONTRACT["functions"]["events_consumer"]
_INGEST = _CONTRACT["functions"]["ingest_events"]

NAMESPACE: str = _CONTRACT["namespace"]
# Powertools adds the service name (POWERTOOLS_SERVICE_NAME) as the dimension `service`.
SERVICE_DIMENSION = "service"


def _event_type_metrics(prefix: str) -> tuple[str, ...]:
    """The consumer's metrics for event types starting with ``prefix``, in the
    contract's order, each once (both bounce types count as EmailBounced)."""
    names = (n for t, n in _CONSUMER["event_types"].items() if t.startswith(prefix))
    return tuple(dict.fromkeys(names))


EMAIL_METRICS = _event_type_metrics("_email.")
SMS_METRICS = _event_type_metrics("_SMS.")
CONSUMER_METRICS = (*_event_type_metrics("_campaign."), *_CONSUMER["counts"].values())
INGEST_METRICS: tuple[str, ...] = tuple(_INGEST["counts"].values())
PERIOD = Duration.minutes(5)


def clarion_metric(name: str, service: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={SERVICE_DIMENSION: service},
        statistic=cloudwatch.Stats.SUM,
        period=PERIOD,
        label=name,
    )


class EventsDashboard(Construct):
    """Dashboard ``<name>``: email and SMS counts, campaign sends, events in and out,
    effects applied, the consumer's iterator age and errors, Firehose freshness and the
    dead-letter queues; alarms when the consumer lags or a dead-letter queue fills."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dashboard_name: str,
        consumer: ClarionFunction,
        consumer_service: str,
        ingest: ClarionFunction,
        ingest_service: str,
        stream: EventStream,
        delivery_stream_name: str,
        dead_letter_queues: dict[str, sqs.IQueue],
        iterator_age_alarm: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        consumer_fn, ingest_fn = consumer.function, ingest.function

        iterator_age = consumer_fn.metric(
            "IteratorAge", statistic=cloudwatch.Stats.MAXIMUM, period=Duration.minutes(1)
        )
        freshness = cloudwatch.Metric(
            namespace="AWS/Firehose",
            metric_name="DeliveryToS3.DataFreshness",
            dimensions_map={"DeliveryStreamName": delivery_stream_name},
            statistic=cloudwatch.Stats.MAXIMUM,
            period=PERIOD,
        )
        queue_depths = {
            name: queue.metric_approximate_number_of_messages_visible(
                statistic=cloudwatch.Stats.MAXIMUM, period=PERIOD
            )
            for name, queue in dead_letter_queues.items()
        }

        self.iterator_age_alarm = cloudwatch.Alarm(
            self,
            "ConsumerLagging",
            alarm_description=(
                "The events consumer lags the stream: opt-outs and triggers are late"
            ),
            metric=iterator_age,
            threshold=iterator_age_alarm.to_milliseconds(),
            evaluation_periods=5,
            datapoints_to_alarm=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.dead_letter_alarms = {
            name: cloudwatch.Alarm(
                self,
                f"{name}DeadLetters",
                alarm_description=f"Events dead-letter queue ({name}) has messages",
                metric=metric,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for name, metric in queue_depths.items()
        }

        def counts(title: str, names: tuple[str, ...], service: str) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(
                title=title,
                left=[clarion_metric(name, service) for name in names],
                width=12,
                stacked=False,
            )

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name,
            default_interval=Duration.days(1),
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=(
                    "# Clarion engagement events\nCounts are at-least-once (from the "
                    "stream); the Athena views `campaign_metrics` and `event_counts` are "
                    "exact (distinct messages)."
                ),
                width=24,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            counts("Email", EMAIL_METRICS, consumer_service),
            counts("SMS", SMS_METRICS, consumer_service),
        )
        self.dashboard.add_widgets(
            counts("Consumer: events and effects", CONSUMER_METRICS, consumer_service),
            counts("Ingest: accepted and rejected", INGEST_METRICS, ingest_service),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Stream lag: iterator age (ms)",
                left=[
                    iterator_age,
                    stream.stream.metric_get_records_iterator_age_milliseconds(
                        statistic=cloudwatch.Stats.MAXIMUM, period=PERIOD
                    ),
                ],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(
                        value=iterator_age_alarm.to_milliseconds(), label="alarm"
                    )
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Lake freshness (s)",
                left=[freshness],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queues",
                left=[metric.with_(label=name) for name, metric in queue_depths.items()],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Functions: errors and throttles",
                left=[
                    consumer_fn.metric_errors(period=PERIOD, label="consumer errors"),
                    ingest_fn.metric_errors(period=PERIOD, label="ingest errors"),
                    consumer_fn.metric_throttles(period=PERIOD, label="consumer throttles"),
                    ingest_fn.metric_throttles(period=PERIOD, label="ingest throttles"),
                ],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=[self.iterator_age_alarm, *self.dead_letter_alarms.values()],
                width=12,
            ),
        )
