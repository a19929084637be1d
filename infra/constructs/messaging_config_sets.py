"""Where delivery events come from: the SES v2 and End User Messaging SMS configuration
sets, and the topics they (and two-way SMS) publish to."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ses as ses
from aws_cdk import aws_smsvoice as smsvoice
from aws_cdk import aws_sns as sns
from constructs import Construct

# Every event type SES v2 publishes.
SES_EVENTS = (
    ses.EmailSendingEvent.SEND,
    ses.EmailSendingEvent.DELIVERY,
    ses.EmailSendingEvent.OPEN,
    ses.EmailSendingEvent.CLICK,
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
    ses.EmailSendingEvent.REJECT,
    ses.EmailSendingEvent.RENDERING_FAILURE,
    ses.EmailSendingEvent.DELIVERY_DELAY,
    ses.EmailSendingEvent.SUBSCRIPTION,
)
SMS_SERVICE_PRINCIPAL = "sms-voice.amazonaws.com"
# SES v2 tags every event of a configuration set with its name.
SES_CONFIGURATION_SET_TAG = "ses:configuration-set"


class MessagingConfigurationSets(Construct):
    """The SES configuration set (every event to the default EventBridge bus), the SMS
    configuration set (every TEXT_*/MEDIA_*/VOICE_* event to an SNS topic), and the topic
    that receives inbound two-way SMS (opt-out keywords).

    Messages sent with these configuration sets (``CLARION_SES_CONFIGURATION_SET``,
    ``CLARION_SMS_CONFIGURATION_SET``) come back as events to the ingest function. The
    phone numbers' two-way channel is set where the numbers are managed: point
    ``TwoWayChannelArn`` at ``inbound_sms_topic``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        ses_configuration_set_name: str,
        sms_configuration_set_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._key = key
        self.ses_configuration_set_name = ses_configuration_set_name
        self.sms_configuration_set_name = sms_configuration_set_name

        self.ses_configuration_set = ses.ConfigurationSet(
            self,
            "Ses",
            configuration_set_name=ses_configuration_set_name,
            reputation_metrics=True,
            sending_enabled=True,
        )
        # SES v2 publishes to the default bus only.
        self.default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        self.ses_event_destination = self.ses_configuration_set.add_event_destination(
            "EventBridge",
            configuration_set_event_destination_name="clarion-events",
            destination=ses.EventDestination.event_bus(self.default_bus),
            events=list(SES_EVENTS),
            enabled=True,
        )

        self.sms_events_topic = self._topic("SmsEvents", "End User Messaging SMS/voice events")
        self.inbound_sms_topic = self._topic("InboundSms", "Inbound two-way SMS (opt-outs)")
        # Publishing to an encrypted topic needs a data key under the publisher's
        # identity: End User Messaging publishes as its service principal.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEndUserMessagingEncryptedTopics",
                principals=[iam.ServicePrincipal(SMS_SERVICE_PRINCIPAL)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(key).account}},
            )
        )
        self.sms_configuration_set = smsvoice.CfnConfigurationSet(
            self,
            "Sms",
            configuration_set_name=sms_configuration_set_name,
            event_destinations=[
                smsvoice.CfnConfigurationSet.EventDestinationProperty(
                    event_destination_name="clarion-events",
                    enabled=True,
                    matching_event_types=["ALL"],
                    sns_destination=smsvoice.CfnConfigurationSet.SnsDestinationProperty(
                        topic_arn=self.sms_events_topic.topic_arn
                    ),
                )
            ],
        )
        # The destination is checked when created: the topic policy must be in place.
        topic_policy = self.sms_events_topic.node.find_child("Policy")
        self.sms_configuration_set.node.add_dependency(topic_policy)

    def _topic(self, construct_id: str, display_name: str) -> sns.Topic:
        topic = sns.Topic(
            self,
            construct_id,
            display_name=f"Clarion: {display_name}",
            master_key=self._key,
            enforce_ssl=True,
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowEndUserMessagingPublish",
                principals=[iam.ServicePrincipal(SMS_SERVICE_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        return topic

    def ses_event_pattern(self) -> events.EventPattern:
        """EventBridge pattern of the SES events of this configuration set only (other
        configuration sets of the account publish to the same bus)."""
        return events.EventPattern(
            source=["aws.ses"],
            detail={
                "mail": {"tags": {SES_CONFIGURATION_SET_TAG: [self.ses_configuration_set_name]}}
            },
        )
