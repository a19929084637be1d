"""Custom-channel webhooks: the body signature (HMAC-SHA256 over the timestamp and
body) and its verification for receivers, and an HTTPS POST that never follows
redirects (docs/channels.md)."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Clarion-Signature"
BATCH_ID_HEADER = "X-Clarion-Batch-Id"
SIGNATURE_TOLERANCE_SECONDS = 300
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_ATTEMPTS = 3
# The hosts a plain http:// webhook may name, when the channel allows it (tests only).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

HttpPost = Callable[[str, bytes, Mapping[str, str], float], int]
"""``http_post(url, body, headers, timeout) -> HTTP status``; raises OSError when no
response came (connection refused, timeout)."""


# --------------------------------------------------------------------- webhook signatures


def sign_webhook_body(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Clarion-Signature`` header value: ``t=<unix seconds>,v1=<hex>``.

    ``v1`` is HMAC-SHA256, keyed with the secret's UTF-8 bytes, over
    ``"<t>." + body`` (the exact bytes sent).
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance``
    seconds old (or ahead): what a receiver checks before trusting a delivery."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign_webhook_body(secret, body, timestamp).partition(",v1=")[2]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect could carry a signed body somewhere the operator never configured.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST with the standard library; the HTTP status (3xx are returned, not followed)."""
    if urlsplit(url).scheme not in ("https", "http"):
        raise ValueError(f"not an HTTP URL: {url!r}")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - scheme checked above
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
