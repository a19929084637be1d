"""Social posts over HTTP (API Gateway, IAM auth) onto the posts Kinesis stream."""
