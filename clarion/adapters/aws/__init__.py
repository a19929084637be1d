"""The AWS backend: boto3 with standard retries (DynamoDB, S3, Kinesis, Firehose, Athena,
SES v2, End User Messaging, Pinpoint push, SageMaker, Comprehend, Step Functions,
EventBridge Scheduler).

One package per feature, each adapter named after the port it implements."""
