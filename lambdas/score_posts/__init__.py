"""Scores social posts from the posts Kinesis stream and applies the trigger rules."""
