"""Daily compaction: fold the endpoint changes into a new snapshot with Athena."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog, TableNames
from infra.constructs.data_lake import Prefixes
from infra.constructs.lambda_runtime import ClarionFunction, LambdaRuntime
from infra.constructs.query_workgroup import QueryWorkgroup
from infra.constructs.queues import DeadLetterQueue
from infra.environment import variable
from infra.grants import grant_objects
from infra.sql_files import render_sql

COMPACTION_HANDLER = "lambdas.compact_endpoints.handler.handler"


class EndpointCompaction(Construct):
    """Runs the compaction statement once a day
    (``clarion/resources/sql/audience/compact_endpoints.sql``).

    The statement writes the current version of every live endpoint into a new
    ``endpoint_snapshot`` partition named by the run's time; the ``endpoint_latest``
    view then reads only that snapshot and the changes since. After a successful
    snapshot the function deletes the change objects older than
    ``change_retention_days`` (no lifecycle rule does: changes never expire before a
    snapshot absorbed them), and the snapshots older than ``snapshot_retention_days``
    but the newest. Two alarms act on the stack's operator alerts: a failed
    run, and no successful run for two days (a schedule that stopped, a function that
    never starts).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        runtime: LambdaRuntime,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        schedule_hour_utc: int,
        change_retention_days: int,
        snapshot_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        key, bucket_name = runtime.key, runtime.bucket_name
        self.dead_letter_queue = DeadLetterQueue(self, "DeadLetters", key=key)
        self.function = ClarionFunction(
            self,
            "Handler",
            runtime=runtime,
            handler=COMPACTION_HANDLER,
            service_name="compact_endpoints",
            description="Writes the endpoints view into a new snapshot partition (Athena)",
            memory_size=256,
            # It only waits on Athena; the query itself has the workgroup's limits.
            timeout=Duration.minutes(15),
            # Two compactions at once would write two snapshots of the same changes.
            reserved_concurrent_executions=1,
            dead_letter_queue=self.dead_letter_queue.queue,
            extra_environment={
                variable("compaction_sql"): render_sql("compact_endpoints.sql"),
                variable("change_retention_days"): str(change_retention_days),
                variable("snapshot_retention_days"): str(snapshot_retention_days),
            },
        )
        role = self.function.role
        workgroup.grant_query(role)
        catalog.grant_read(
            role,
            TableNames.ENDPOINT_CHANGES,
            TableNames.ENDPOINT_SNAPSHOT,
            TableNames.ENDPOINT_LATEST,
            TableNames.ENDPOINTS,
        )
        catalog.grant_add_partitions(role, TableNames.ENDPOINT_SNAPSHOT)
        # Athena reads and writes S3 with the caller's permissions.
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ENDPOINT_CHANGES,
            key=key,
            read=True,
            delete=True,
            reason=(
                "The endpoint_latest view reads every change object under endpoint-changes/; "
                "the function deletes those a snapshot absorbed."
            ),
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ENDPOINT_SNAPSHOT,
            key=key,
            read=True,
            write=True,
            delete=True,
            reason="INSERT INTO writes a new snapshot partition (and cleans up after failure).",
        )
        grant_objects(
            role,
            bucket_name=bucket_name,
            prefix=Prefixes.ATHENA_RESULTS,
            key=key,
            read=True,
            write=True,
            reason="Athena writes query results and manifests under athena-results/.",
        )

        self.schedule = events.Rule(
            self,
            "Daily",
            description="Daily endpoint compaction",
            schedule=events.Schedule.cron(minute="0", hour=str(schedule_hour_utc)),
        )
        self.schedule.add_target(
            targets.LambdaFunction(
                self.function.function,
                dead_letter_queue=self.dead_letter_queue.queue,
                retry_attempts=2,
            )
        )
        # A missed compaction loses nothing (changes are only deleted after a snapshot),
        # but it should be noticed: the view reads more changes every day it fails.
        self.failure_alarm = cloudwatch.Alarm(
            self,
            "Failing",
            alarm_description="Endpoint compaction failed in the last day",
            metric=self.function.function.metric_errors(period=Duration.days(1)),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        # Errors alone miss a compaction that never runs; changes are kept meanwhile
        # (nothing is lost), but the view's scans grow with every day of them.
        function = self.function.function
        successes = cloudwatch.MathExpression(
            expression="invocations - errors",
            using_metrics={
                "invocations": function.metric_invocations(
                    period=Duration.days(1), statistic=cloudwatch.Stats.SUM
                ),
                "errors": function.metric_errors(
                    period=Duration.days(1), statistic=cloudwatch.Stats.SUM
                ),
            },
            label="Successful compactions",
            period=Duration.days(1),
        )
        self.stale_alarm = cloudwatch.Alarm(
            self,
            "NoSnapshot",
            alarm_description="No successful endpoint compaction for two days",
            metric=successes,
            threshold=1,
            evaluation_periods=2,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
