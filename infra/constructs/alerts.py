"""Operator alerts of a stack: one encrypted SNS topic that every alarm of the stack acts
on, an alarm on every dead-letter queue, and the failure topics subscribed.

Applied as an aspect when the stack is complete (``FeatureStack``), so that an alarm or
queue a construct adds later is covered without that construct knowing about alerts.
The subscriber is the ``alert_email`` stack setting; without one the topic is still the
alarms' action (subscribe to it outside the stack) and synth warns.
"""

from __future__ import annotations

import jsii
from aws_cdk import Annotations, Duration, IAspect, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

__all__ = ["OperatorAlerts"]


class _AlertTopic(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, email: str) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Clarion: alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


@jsii.implements(IAspect)
class OperatorAlerts:
    """The aspect (module docstring): ``key`` encrypts the topic, ``email`` subscribes."""

    def __init__(self, stack: Stack, *, key: kms.IKey, email: str) -> None:
        self._stack = stack
        self._key = key
        self._email = email
        self._topic: sns.ITopic | None = None
        self._done: set[str] = set()

    def _alerts(self) -> sns.ITopic:
        if self._topic is None:
            self._topic = _AlertTopic(
                self._stack, "OperatorAlerts", key=self._key, email=self._email
            ).topic
            if not self._email:
                Annotations.of(self._stack).add_warning_v2(
                    "clarion:no-alert-email",
                    "No alert_email is configured: alarms publish to the OperatorAlerts "
                    "topic, which nobody receives until it is subscribed.",
                )
        return self._topic

    def visit(self, node: IConstruct) -> None:
        path = node.node.path
        if path in self._done or Stack.of(node) is not self._stack:
            return
        scope = node.node.scope
        if isinstance(node, sqs.Queue) and isinstance(scope, Construct):
            if type(scope).__name__ == "DeadLetterQueue":
                self._done.add(path)
                alarm = cloudwatch.Alarm(
                    scope,
                    "HasMessages",
                    alarm_description=f"Dead letters waiting in {path}",
                    metric=node.metric_approximate_number_of_messages_visible(
                        statistic=cloudwatch.Stats.MAXIMUM, period=Duration.minutes(5)
                    ),
                    threshold=1,
                    evaluation_periods=1,
                    comparison_operator=(
                        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
                    ),
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
                alarm.add_alarm_action(cloudwatch_actions.SnsAction(self._alerts()))
                self._done.add(alarm.node.path)
        elif isinstance(node, cloudwatch.Alarm):
            # Also beside an alarm's own action (the churn pipelines' failure topic):
            # the operators hear every alarm in one place.
            self._done.add(path)
            node.add_alarm_action(cloudwatch_actions.SnsAction(self._alerts()))
        elif isinstance(node, sns.Topic) and "Failure" in path and self._email:
            self._done.add(path)
            node.add_subscription(subscriptions.EmailSubscription(self._email))
