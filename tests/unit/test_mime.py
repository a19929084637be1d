"""The fast MIME writer (``email_bytes``) against the standard library's (``build_email``).

``build_email`` is the reference: an ``EmailMessage`` built and serialised by the
standard library. ``email_bytes`` writes the same structure directly; where every header
is plain ASCII its bytes are the reference's, and otherwise (RFC 2047 encoded words for
non-ASCII text) both parse back to the same message.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clarion.domain.audience.endpoint import ChannelType
from clarion.domain.events.records import MessageContext
from clarion.domain.messaging.delivery import OutboundMessage, message_id_for
from clarion.domain.messaging.mime import (
    MIME_POLICY,
    MessageContentError,
    build_email,
    email_bytes,
)
from clarion.domain.templates.rendered import RenderedEmail

DATE = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
SENDER = "Clarion Team <news@example.com>"
CONTEXT = MessageContext(
    app_id="app-123", campaign_id="camp-1", treatment_id="0", endpoint_id="ep-1", run_id="r-1"
)


def message(
    subject: str = "Hello",
    html: str | None = "<p>Hello</p>",
    text: str | None = "Hello",
    headers: tuple[tuple[str, str], ...] = (("List-Unsubscribe", "<https://example.com/u>"),),
    address: str = "user@example.net",
    message_id: str | None = None,
    context: MessageContext = CONTEXT,
) -> OutboundMessage:
    return OutboundMessage(
        message_id=message_id or message_id_for("run-1", subject, address),
        channel=ChannelType.EMAIL,
        address=address,
        content=RenderedEmail(subject=subject, html=html, text=text, headers=headers),
        context=context,
    )


def reference(msg: OutboundMessage, sender: str = SENDER, date: datetime = DATE) -> bytes:
    return build_email(msg, from_address=sender, date=date).as_bytes(policy=MIME_POLICY)


def fast(msg: OutboundMessage, sender: str = SENDER, date: datetime = DATE) -> bytes:
    return email_bytes(msg, from_address=sender, date=date)


def parse(data: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(parsed, EmailMessage)
    return parsed


def summary(mail: EmailMessage) -> dict[str, Any]:
    """What a reader sees: every header's decoded value, the structure and the bodies."""
    parts = list(mail.iter_parts()) if mail.is_multipart() else [mail]
    return {
        "headers": [(name, str(value)) for name, value in mail.items()],
        "type": mail.get_content_type(),
        "parts": [
            (
                part.get_content_type(),
                part.get_content_charset(),
                part["Content-Transfer-Encoding"],
                part.get_content(),
            )
            for part in parts
        ],
        "defects": [type(d).__name__ for d in mail.defects],
    }


def assert_lines_fit(data: bytes) -> None:
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 78, line


# -------------------------------------------------------------------- same bytes, ASCII


@pytest.mark.parametrize(
    ("html", "text"),
    [("<p>Hi</p>", "Hi"), (None, "Hi"), ("<p>Hi</p>", None), (None, None), (None, "")],
)
def test_plain_ascii_messages_are_the_reference_bytes(html: str | None, text: str | None):
    msg = message(html=html, text=text)
    assert fast(msg) == reference(msg)


def test_bodies_of_every_kind_are_the_reference_bytes():
    long_line = "word " * 40 + "x" * 200
    text = f"Zoë\r\nline = 2 \t\n\n{long_line}\rlast  "
    html = f"<p>Zoë — {long_line}</p>\n<p>=3D already</p>\n.\nFrom here"
    msg = message(subject="Plain subject", html=html, text=text)
    assert fast(msg) == reference(msg)


def test_a_long_message_id_folds_the_content_type_as_the_reference_does():
    for length in (40, 53, 54, 70):  # from 54 the reference splits it (RFC 2231)
        msg = message(message_id="a" * length)
        data = fast(msg)
        assert data == reference(msg)
        assert b"Content-Type: multipart/alternative;\r\n boundary" in data


@pytest.mark.parametrize(
    "sender",
    ["news@example.com", "Clarion Team <news@example.com>", '"Doe, Jane" <jane@example.com>'],
)
def test_senders_are_written_as_the_reference_writes_them(sender: str):
    msg = message()
    assert fast(msg, sender) == reference(msg, sender)


def test_dates_in_any_zone_are_the_reference_bytes():
    msg = message()
    for zone in (UTC, timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(hours=9))):
        date = datetime(2025, 1, 2, 3, 4, 5, tzinfo=zone)
        assert fast(msg, date=date) == reference(msg, date=date)


def test_structured_template_headers_go_through_the_standard_library():
    headers = (("Reply-To", "Zoë <help@example.com>"), ("X-Mailer", "Clarion"))
    msg = message(headers=headers)
    assert fast(msg) == reference(msg)


def test_an_unusual_message_id_is_built_by_the_reference():
    msg = message(message_id="weird id/with:chars")
    assert fast(msg) == reference(msg)


# ----------------------------------------------------------------- same parse, non-ASCII

TRICKY = [
    message(subject="Bonjour Zoë #5", text="Hello Zoë", html="<p>Hello <b>Zoë</b></p>"),
    message(subject="Ünïcödé " * 20, text="x" * 500, html="é" * 300),
    message(subject="Your copy, " + "very " * 30 + "soon"),
    message(subject="日本語のお知らせ 🎉 emoji and CJK", text="こんにちは\n🎉"),
    message(subject="a" * 120, html=None),
    message(subject="tab\there", html=None),
    message(address='"Zoë Müller" <zoe@example.net>'),
    message(address="zoë@exämple.net"),
    message(headers=(("X-Note", "Grüße aus Köln " * 6),)),
    message(context=MessageContext(campaign_id="café", run_id="r" * 100)),
]


@pytest.mark.parametrize("msg", TRICKY, ids=lambda m: m.content.subject[:20])
def test_tricky_messages_parse_back_as_the_reference_does(msg: OutboundMessage):
    data = fast(msg)
    assert_lines_fit(data)
    ours, theirs = summary(parse(data)), summary(parse(reference(msg)))
    assert ours == theirs


@pytest.mark.parametrize("subject", ["=?utf-8?q?looks_encoded?=", "  leading and trailing  "])
def test_subjects_the_reference_alters_are_kept_as_they_are(subject: str):
    # The reference decodes encoded-word look-alikes in the text it is given and drops
    # surrounding spaces; the fast writer encodes such subjects, so they arrive intact.
    msg = message(subject=subject, html=None)
    ours, theirs = summary(parse(fast(msg))), summary(parse(reference(msg)))
    assert dict(ours["headers"])["Subject"] == subject
    assert dict(theirs["headers"])["Subject"] != subject
    for summary_ in (ours, theirs):
        summary_["headers"] = [h for h in summary_["headers"] if h[0] != "Subject"]
    assert ours == theirs


@pytest.mark.parametrize(
    "headers",
    [
        (("X-Note", "a\r\nBcc: victim@example.org"),),
        (("X-Note", "a\nBcc: victim@example.org"),),
        (("X-Note", "a\rBcc: victim@example.org"),),
        (("X-Note", "a\u2028Bcc: victim@example.org"),),
        (("X-Note", "a\x0bBcc: victim@example.org"),),
        (("From", "ceo@example.com"),),
        (("content-type", "text/plain"),),
        (("X-Clarion-Run-Id", "forged"),),
        (("", "empty name"),),
    ],
)
def test_injections_and_reserved_headers_are_refused_by_both(headers: Any):
    msg = message(headers=headers)
    with pytest.raises(MessageContentError):
        fast(msg)
    with pytest.raises(MessageContentError):
        build_email(msg, from_address=SENDER, date=DATE)


@pytest.mark.parametrize(
    ("subject", "address", "sender"),
    [
        ("Hi\r\nBcc: victim@example.org", "user@example.net", SENDER),
        ("Hi", "user@example.net\r\nBcc: victim@example.org", SENDER),
        ("Hi", "user@example.net", "news@example.com\nBcc: victim@example.org"),
    ],
)
def test_line_breaks_in_subject_or_addresses_are_refused(subject: str, address: str, sender: str):
    with pytest.raises(MessageContentError):
        fast(message(subject=subject, address=address), sender)


def test_a_header_name_with_a_colon_or_space_is_refused():
    for name in ("X-Bad: Name", "X Bad"):
        with pytest.raises(MessageContentError):
            fast(message(headers=((name, "v"),)))


def test_a_trailing_line_break_in_the_subject_is_encoded_not_written_raw():
    data = fast(message(subject="Hi\n"))
    assert_lines_fit(data)
    assert parse(data)["Subject"] == "Hi\n"


# --------------------------------------------------------------------------- properties

SIMPLE_WORD = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12
).filter(lambda word: "=?" not in word)
SIMPLE_SUBJECT = st.lists(SIMPLE_WORD, min_size=1, max_size=6).map(" ".join)
ATOM = st.text(alphabet="abcXYZ019!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=10)
SIMPLE_ADDRESS = st.builds(lambda local, domain: f"{local}@{domain}.example", ATOM, ATOM)
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
SUBJECT_TEXT = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=200).filter(
    lambda s: len(s.splitlines()) <= 1
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=SIMPLE_SUBJECT, address=SIMPLE_ADDRESS, text=ANY_TEXT, html=ANY_TEXT)
def test_ascii_headers_give_the_reference_bytes(subject: str, address: str, text: str, html: str):
    msg = message(subject=subject, address=address, text=text, html=html)
    assert fast(msg) == reference(msg)


def _normalised_body(text: str) -> str:
    body = re.sub(r"\r\n|\r", "\n", text)
    return body if body.endswith("\n") else body + "\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=SUBJECT_TEXT, text=ANY_TEXT, html=ANY_TEXT)
def test_random_subjects_and_bodies_round_trip(subject: str, text: str, html: str):
    data = fast(message(subject=subject, text=text, html=html))
    assert_lines_fit(data)
    mail = parse(data)
    assert mail["Subject"] == subject
    assert not mail.defects
    plain, rich = mail.get_body(("plain",)), mail.get_body(("html",))
    assert plain is not None and rich is not None
    # The parser keeps the wire's CRLF line endings.
    assert plain.get_content().replace("\r\n", "\n") == _normalised_body(text)
    assert rich.get_content().replace("\r\n", "\n") == _normalised_body(html)
