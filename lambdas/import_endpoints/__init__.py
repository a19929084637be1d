"""The endpoint import function: S3 object created under ``imports/`` → import."""
