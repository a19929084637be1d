"""Custom-channel webhooks: the host allowlist, the per-host signing secrets, the body
signature (HMAC-SHA256 over the timestamp, the delivery id and the body) and its
verification for receivers, and an HTTPS POST that never follows redirects
(docs/channels.md).

Each receiving host has its own secret, so one receiver that leaks its secret cannot
forge deliveries to another, and the delivery id is inside the signed text, so a
receiver that remembers the ids it has accepted within the timestamp window rejects
every replay (a replayed request with another id header fails the signature)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Clarion-Signature"
BATCH_ID_HEADER = "X-Clarion-Batch-Id"
SIGNATURE_VERSION = "v2"
SIGNATURE_TOLERANCE_SECONDS = 300
WEBHOOK_TIMEOUT_SECONDS = 10.0
WEBHOOK_ATTEMPTS = 3
# The hosts a plain http:// webhook may name, when the channel allows it (tests only).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

HttpPost = Callable[[str, bytes, Mapping[str, str], float], int]
"""``http_post(url, body, headers, timeout) -> HTTP status``; raises OSError when no
response came (connection refused, timeout)."""


# --------------------------------------------------------------------- webhook signatures


def sign_webhook_body(secret: str, body: bytes, timestamp: int, delivery_id: str) -> str:
    """The ``X-Clarion-Signature`` header value: ``t=<unix seconds>,id=<delivery id>,v2=<hex>``.

    ``v2`` is HMAC-SHA256, keyed with the target's secret (its UTF-8 bytes), over
    ``"<t>.<id>." + body`` (the exact bytes sent).
    """
    if "," in delivery_id or "=" in delivery_id:
        raise ValueError("a delivery id may hold neither ',' nor '='")
    message = f"{timestamp}.{delivery_id}.".encode() + body
    mac = hmac.new(secret.encode("utf-8"), message, hashlib.sha256)
    return f"t={timestamp},id={delivery_id},{SIGNATURE_VERSION}={mac.hexdigest()}"


def verify_webhook_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> str | None:
    """The delivery id when ``header`` signs ``body`` with ``secret`` and is at most
    ``tolerance`` seconds old (or ahead), else None: what a receiver checks before
    trusting a delivery. The receiver then rejects an id it has already accepted within
    the window (a replay), and may forget ids older than the window."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
        [delivery_id] = parts["id"]
    except (KeyError, ValueError):
        return None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance or not delivery_id:
        return None
    expected = sign_webhook_body(secret, body, timestamp, delivery_id).rpartition("=")[2]
    if any(hmac.compare_digest(expected, given) for given in parts.get(SIGNATURE_VERSION, [])):
        return delivery_id
    return None


# ------------------------------------------------------------------ hosts and secrets


def parse_allowed_hosts(setting: str) -> frozenset[str]:
    """The hosts of ``CLARION_WEBHOOK_ALLOWED_HOSTS`` (comma-separated, case-insensitive;
    ``*.example.com`` allows every subdomain of example.com, not example.com itself)."""
    return frozenset(host.strip().lower() for host in setting.split(",") if host.strip())


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether ``host`` is one of ``allowed`` or under one of its ``*.`` entries."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


def target_secrets(secret_string: str) -> dict[str, str]:
    """The per-host signing secrets of the webhook secret's ``SecretString``: a JSON
    object of host (lower case) to that host's secret.

    Raises
    ------
    ValueError
        The string is not such an object (the message never holds the string).
    """
    try:
        document = json.loads(secret_string)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in document.items()
    ):
        raise ValueError(
            "the webhook secret must be a JSON object of host to that host's signing secret"
        )
    return {host.strip().lower(): value for host, value in document.items()}


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
