"""AWS event adapters: the Kinesis EventSink and the S3 DeadLetterSink."""

from clarion.adapters.aws.events.dead_letter_sink import S3DeadLetterSink
from clarion.adapters.aws.events.event_sink import KinesisEventSink

__all__ = ["KinesisEventSink", "S3DeadLetterSink"]
