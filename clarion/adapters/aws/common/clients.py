"""boto3 clients with the standard retry mode, made in one place."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8})


def make_client(service: str, region: str | None = None) -> Any:
    return boto3.session.Session().client(service, region_name=region, config=RETRY_CONFIG)


def make_client_with_credentials(
    service: str, region: str | None, credentials: dict[str, str]
) -> Any:
    """A client on other credentials (an assumed role's), standard retries."""
    session = boto3.session.Session(**credentials)
    return session.client(service, region_name=region, config=RETRY_CONFIG)
