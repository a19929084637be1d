"""A stand-in for the Lambda context object handlers receive."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FakeLambdaContext:
    """What Powertools' ``inject_lambda_context`` reads of the Lambda context."""

    function_name: str = "clarion-test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:clarion-test-function"
    )
    aws_request_id: str = "0b1c2d3e-0000-4000-8000-000000000001"
