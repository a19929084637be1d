"""The local DeliveryChannel: every message lands in ``<home>/outbox/`` instead of going out.

Layout::

    outbox/email/<message_id>.eml   one real MIME message each (the bytes SES would get)
    outbox/sms.jsonl                one JSON object a line
    outbox/voice.jsonl
    outbox/push.jsonl               APNS*, GCM, BAIDU and ADM messages
    outbox/custom.jsonl
    outbox/.delivered               the ids written so far, one a line

A message whose id was written before is answered ``DUPLICATE`` and not written again.
The campaign engine's ledger is the real guard against sending twice; this index makes
the outbox agree with it cheaply (a set in memory, loaded once from the index file).

Given an event sink, the outbox also records the send event the real service would
publish for each message it writes (``_email.send``, ``_SMS.BUFFERED``,
``_VOICE.BUFFERED``; see :mod:`~clarion.adapters.local.messaging.send_events`), so
analytics right after a local launch count the messages as sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clarion.adapters.local.messaging.send_events import send_events
from clarion.domain.audience.endpoint import PUSH_CHANNELS, ChannelType
from clarion.domain.messaging.delivery import (
    CustomContent,
    DeliveryResult,
    DeliveryStatus,
    OutboundMessage,
)
from clarion.domain.messaging.mime import MessageContentError, content_problem, email_bytes
from clarion.domain.templates.rendered import RenderedPush, RenderedSms, RenderedVoice
from clarion.ports.events import EventSink

# Used when neither the message nor the caller names a sender: the outbox delivers
# nothing, so a placeholder on a reserved domain is honest.
DEFAULT_FROM_ADDRESS = "clarion@example.invalid"
INDEX_FILE = ".delivered"


def _line_file(channel: ChannelType) -> str:
    if channel in PUSH_CHANNELS:
        return "push.jsonl"
    return f"{channel.value.lower()}.jsonl"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _content_fields(message: OutboundMessage) -> dict[str, Any]:
    content = message.content
    if isinstance(content, RenderedSms):
        return {"body": content.body, "message_type": message.sender.sms_message_type}
    if isinstance(content, RenderedVoice):
        return {
            "body": content.body,
            "language_code": content.language_code,
            "voice_id": content.voice_id,
        }
    if isinstance(content, RenderedPush):
        platform = content.for_platform(message.channel.value)
        return {k: v for k, v in asdict(platform).items() if v is not None}
    if isinstance(content, CustomContent):
        return {"data": content.data}
    raise MessageContentError(f"no JSON form for {type(content).__name__}")


def json_line(message: OutboundMessage, timestamp: datetime) -> str:
    """The outbox line for a non-email message (without the trailing newline)."""
    sender = {k: v for k, v in asdict(message.sender).items() if v is not None}
    record = {
        "message_id": message.message_id,
        "channel": message.channel.value,
        "address": message.address,
        "content": _content_fields(message),
        "context": message.context.values(),
        "sender": sender,
        "timestamp": _iso(timestamp),
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


class OutboxChannel:
    """A DeliveryChannel that writes to files under ``<home>/outbox/``.

    Parameters
    ----------
    home : Path
        CLARION_HOME; the outbox is its ``outbox`` folder, created on first write.
    write : bool
        False renders every message (MIME bytes, JSON lines) but writes nothing, for
        dry runs and benchmarks; duplicates are then recognised within the process only.
    from_address : str
        ``From`` for email messages whose sender names none.
    clock : callable, optional
        Returns the current time (timezone-aware); for tests.
    events : EventSink, optional
        Where the send events of the messages written go (none in a dry run).
    app_id : str
        The project id of send events whose message context names none.

    Thread-safe: concurrent ``deliver`` calls never write one id twice or interleave
    lines.
    """

    def __init__(
        self,
        home: Path,
        *,
        write: bool = True,
        from_address: str = DEFAULT_FROM_ADDRESS,
        clock: Callable[[], datetime] | None = None,
        events: EventSink | None = None,
        app_id: str = "clarion",
    ) -> None:
        self.root = Path(home) / "outbox"
        self._write = write
        self._from_address = from_address
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._delivered: set[str] | None = None  # loaded on first use
        self._events = events
        self._app_id = app_id

    def _index(self) -> set[str]:
        if self._delivered is None:
            index = self.root / INDEX_FILE
            if self._write and index.exists():
                lines = index.read_text(encoding="utf-8").splitlines()
                self._delivered = {line for line in lines if line}
            else:
                self._delivered = set()
        return self._delivered

    def deliver(self, messages: Sequence[OutboundMessage]) -> list[DeliveryResult]:
        """Write each message to the outbox; one result per message, in input order."""
        now = self._clock()
        results: list[DeliveryResult | None] = [None] * len(messages)
        # Render outside the lock: the costly part, and pure.
        rendered: list[tuple[int, str, bytes | str]] = []  # (index, file, payload)
        for index, message in enumerate(messages):
            problem = content_problem(message)
            if problem is not None:
                results[index] = _failed(message, problem)
                continue
            try:
                if message.channel == ChannelType.EMAIL:
                    sender = message.sender.from_address or self._from_address
                    data = email_bytes(message, from_address=sender, date=now)
                    rendered.append((index, f"email/{message.message_id}.eml", data))
                else:
                    line = json_line(message, now)
                    rendered.append((index, _line_file(message.channel), line))
            except MessageContentError as exc:
                results[index] = _failed(message, str(exc))

        with self._lock:
            delivered = self._index()
            lines: dict[str, list[str]] = {}
            emails: list[tuple[str, bytes]] = []
            new_ids: list[str] = []
            written: list[OutboundMessage] = []
            for index, target, payload in rendered:
                message = messages[index]
                if message.message_id in delivered:
                    results[index] = DeliveryResult(
                        message.message_id, DeliveryStatus.DUPLICATE, reason="already delivered"
                    )
                    continue
                delivered.add(message.message_id)
                new_ids.append(message.message_id)
                written.append(message)
                if isinstance(payload, bytes):
                    emails.append((target, payload))
                else:
                    lines.setdefault(target, []).append(payload)
                results[index] = DeliveryResult(
                    message.message_id,
                    DeliveryStatus.SUCCESSFUL,
                    provider_message_id=f"outbox:{target}",
                )
            if self._write and new_ids:
                self._flush(emails, lines, new_ids, written, now)
        return [result for result in results if result is not None]

    def _flush(
        self,
        emails: list[tuple[str, bytes]],
        lines: dict[str, list[str]],
        new_ids: list[str],
        written: list[OutboundMessage],
        now: datetime,
    ) -> None:
        # Content first, then the send events, then the index: a crash in between
        # re-delivers (at least once) rather than reporting a message that was never
        # written as DUPLICATE; a re-recorded send event names the same message id, which
        # analytics count once.
        if emails:
            (self.root / "email").mkdir(parents=True, exist_ok=True)
        else:
            self.root.mkdir(parents=True, exist_ok=True)
        for target, data in emails:
            (self.root / target).write_bytes(data)
        for target, batch in lines.items():
            with (self.root / target).open("a", encoding="utf-8") as handle:
                handle.write("\n".join(batch) + "\n")
        if self._events is not None:
            records = send_events(
                written, app_id=self._app_id, from_address=self._from_address, now=now
            )
            if records:
                self._events.put_records(records)
        with (self.root / INDEX_FILE).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(new_ids) + "\n")


def _failed(message: OutboundMessage, reason: str) -> DeliveryResult:
    return DeliveryResult(message.message_id, DeliveryStatus.PERMANENT_FAILURE, reason=reason)
