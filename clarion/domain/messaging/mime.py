"""The wire form of outbound messages: MIME for email, and which content each channel takes.

One MIME builder serves both backends: the local outbox writes its bytes to ``.eml``
files and the AWS adapter hands the same bytes to SES v2 as ``Content.Raw``, so what a
developer opens locally is what a recipient would have received (SES replaces the
``Message-ID`` header with its own and adds DKIM signatures; nothing else differs).

Pure: the caller passes the time, and nothing here does I/O.
"""

from __future__ import annotations

import re
from datetime import datetime
from email import policy, quoprimime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache

from clarion.domain.audience.endpoint import PUSH_CHANNELS, ChannelType
from clarion.domain.events.records import MessageContext
from clarion.domain.messaging.delivery import CustomContent, OutboundMessage
from clarion.domain.templates.model import HEADER_NAME
from clarion.domain.templates.rendered import (
    RenderedEmail,
    RenderedPush,
    RenderedSms,
    RenderedVoice,
)

# CRLF line endings and RFC 2047 headers: what SMTP and SES's raw API expect, and what
# every mail reader opens.
MIME_POLICY = policy.SMTP

# Headers the builder owns; a template setting one would break the message or spoof it.
RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "return-path",
        "sender",
    }
)
CLARION_HEADER_PREFIX = "X-Clarion-"


class MessageContentError(ValueError):
    """A message cannot be built as given (wrong content for its channel, a bad header).

    Retrying the same message can never succeed, so channels report it as
    ``PERMANENT_FAILURE``.
    """


def content_problem(message: OutboundMessage) -> str | None:
    """Why ``message`` cannot go out on its channel, or None when its content fits.

    EMAIL takes RenderedEmail, SMS RenderedSms, VOICE RenderedVoice, push channels
    RenderedPush and CUSTOM CustomContent. IN_APP messages are fetched by apps, never
    delivered, so no channel accepts them.
    """
    expected: type | None
    if message.channel == ChannelType.EMAIL:
        expected = RenderedEmail
    elif message.channel == ChannelType.SMS:
        expected = RenderedSms
    elif message.channel == ChannelType.VOICE:
        expected = RenderedVoice
    elif message.channel in PUSH_CHANNELS:
        expected = RenderedPush
    elif message.channel == ChannelType.CUSTOM:
        expected = CustomContent
    else:
        return f"{message.channel} messages are not delivered by a channel"
    if not isinstance(message.content, expected):
        return (
            f"a {message.channel} message needs {expected.__name__} content, "
            f"not {type(message.content).__name__}"
        )
    if not message.address:
        return "the message has no address"
    return None


def clarion_headers(message: OutboundMessage) -> list[tuple[str, str]]:
    """``X-Clarion-*`` headers: the message id and every MessageContext id that is set.

    ``clarion-campaign-id`` becomes ``X-Clarion-Campaign-Id``, and so on, so the ids
    survive in the mail itself (and in SES events that include headers).
    """
    headers = [(f"{CLARION_HEADER_PREFIX}Message-Id", message.message_id)]
    tag_names = message.context.tag_names()
    for name, value in message.context.values().items():
        suffix = "-".join(
            part.capitalize() for part in tag_names[name].removeprefix("clarion-").split("-")
        )
        headers.append((f"{CLARION_HEADER_PREFIX}{suffix}", value))
    return headers


def _domain_of(address: str) -> str:
    _, bare = parseaddr(address)
    domain = bare.rpartition("@")[2]
    return domain or "clarion.invalid"


def build_email(message: OutboundMessage, *, from_address: str, date: datetime) -> EmailMessage:
    """The MIME message for an EMAIL ``OutboundMessage``.

    Parameters
    ----------
    message : OutboundMessage
        With RenderedEmail content; ``message.address`` is the recipient.
    from_address : str
        ``From``: an address or ``Name <address>``.
    date : datetime
        The ``Date`` header (timezone-aware).

    Returns
    -------
    EmailMessage
        ``multipart/alternative`` (text/plain, then text/html) when both parts are set,
        else a single part; UTF-8; From, To, Subject, Date and Message-ID headers; the
        template's extra headers; ``X-Clarion-*`` headers with the ids.

    Raises
    ------
    MessageContentError
        For content of the wrong type, a template header that names a reserved header,
        or a header value with a line break (header injection).
    """
    content = message.content
    if not isinstance(content, RenderedEmail):
        raise MessageContentError(content_problem(message) or "not an email")
    mail = EmailMessage(policy=MIME_POLICY)
    try:
        mail["From"] = from_address
        mail["To"] = message.address
        mail["Subject"] = content.subject
        mail["Date"] = format_datetime(date)
        mail["Message-ID"] = f"<{message.message_id}@{_domain_of(from_address)}>"
        for name, value in content.headers:
            if not name or name.lower() in RESERVED_HEADERS:
                raise MessageContentError(f"the template may not set the {name!r} header")
            if name.lower().startswith(CLARION_HEADER_PREFIX.lower()):
                raise MessageContentError(f"{name!r}: X-Clarion-* headers are Clarion's own")
            mail[name] = value
        for name, value in clarion_headers(message):
            mail[name] = value
    except ValueError as exc:  # header values with CR or LF, malformed names
        if isinstance(exc, MessageContentError):
            raise
        raise MessageContentError(f"invalid header: {exc}") from None
    # Quoted-printable keeps the message 7-bit clean (8bit parts need 8BITMIME end to
    # end) and stays readable in the .eml files.
    text, html = content.text, content.html
    qp = "quoted-printable"
    if html is None:
        mail.set_content(text or "", subtype="plain", charset="utf-8", cte=qp)
    elif text is None:
        mail.set_content(html, subtype="html", charset="utf-8", cte=qp)
    else:
        mail.set_content(text, subtype="plain", charset="utf-8", cte=qp)
        mail.add_alternative(html, subtype="html", charset="utf-8", cte=qp)
        # A boundary from the id, not a random one: the same message, the same bytes.
        mail.set_boundary(f"clarion-alt-{message.message_id}")
    return mail


def email_bytes(message: OutboundMessage, *, from_address: str, date: datetime) -> bytes:
    """:func:`build_email` serialised (CRLF line endings, ASCII-safe transfer encodings).

    Written directly rather than through ``EmailMessage`` (whose header machinery costs
    about 2 ms a message): the same structure, headers and quoted-printable bodies, and
    the same bytes as :func:`build_email` whenever every header is plain ASCII. Header
    values with other characters become RFC 2047 encoded words (UTF-8, Q encoding);
    headers the fast writer does not handle (address lists, registered header types,
    unusual message ids) fall back to the standard library's own folding, and a message
    id unfit for a boundary to :func:`build_email` itself.
    """
    try:
        if _FAST_ID.match(message.message_id) is None:
            return build_email(message, from_address=from_address, date=date).as_bytes(
                policy=MIME_POLICY
            )
        return _fast_email_bytes(message, from_address, date)
    except (ValueError, TypeError, LookupError) as exc:
        if isinstance(exc, MessageContentError):
            raise
        raise MessageContentError(f"cannot serialise the message: {exc}") from None


# ---------------------------------------------------------------------------------------
# The fast writer. Every piece is checked against build_email in
# tests/unit/test_mime.py: byte for byte where the headers are plain ASCII, parsed back
# with policy.default otherwise.

_MAX_LINE = 78  # MIME_POLICY.max_line_length
_WORD_PAYLOAD = 75 - len("=?utf-8?q??=")  # an encoded word is at most 75 characters
# Printable ASCII words separated by single spaces: written as they are.
_PLAIN_VALUE = re.compile(r"[!-~]+(?: [!-~]+)*\Z")
# A dot-atom addr-spec (RFC 5322 3.4.1) that the standard library writes unchanged.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*\Z")
# Message ids the writer puts in a boundary and a Message-ID as they are.
_FAST_ID = re.compile(r"[A-Za-z0-9_-]{1,53}\Z")
_FIELD_NAME = HEADER_NAME  # RFC 5322 ftext, the rule templates are checked by
# Header names the standard library parses as structured headers (addresses, dates,
# parameters); their values go through its own parser and folder.
_STRUCTURED = frozenset(MIME_POLICY.header_factory.registry) - {"subject"}  # type: ignore[attr-defined]
# Q encoding (RFC 2047 4.2) of each byte, as the standard library's header encoder does it.
_Q_BYTE = [
    chr(b) if chr(b) in "-!*+/" or (chr(b).isascii() and chr(b).isalnum()) else f"={b:02X}"
    for b in range(256)
]
_Q_BYTE[ord(" ")] = "_"
_Q_CHAR: dict[str, str] = {}


def _q_char(char: str) -> str:
    encoded = _Q_CHAR.get(char)
    if encoded is None:
        encoded = "".join(_Q_BYTE[b] for b in char.encode("utf-8"))
        if len(_Q_CHAR) < 4096:
            _Q_CHAR[char] = encoded
    return encoded


def _check_value(value: str) -> None:
    # The standard library's own test (EmailPolicy.header_store_parse).
    if len(value.splitlines()) > 1:
        raise ValueError("Header values may not contain linefeed or carriage return characters")


def _stdlib_header(name: str, value: str) -> str:
    """A header as EmailMessage writes it (CRLF-terminated, folded, encoded)."""
    return str(MIME_POLICY.fold(*MIME_POLICY.header_store_parse(name, value)))


_cached_stdlib_header = lru_cache(maxsize=256)(_stdlib_header)


def _encoded_words(name: str, value: str) -> str | None:
    """``name: value`` as UTF-8 Q encoded words, folded to 78 columns; None when the
    name leaves no room for a word on the first line."""
    room = min(_WORD_PAYLOAD, _MAX_LINE - len(name) - 2 - 12)
    if room < 12:  # one character can take 12 (four bytes, each =XX)
        return None
    words: list[str] = []
    current: list[str] = []
    size = 0
    for char in value:
        piece = _Q_CHAR.get(char) or _q_char(char)
        if size + len(piece) > room:
            words.append("".join(current))
            current, size, room = [], 0, _WORD_PAYLOAD
        current.append(piece)
        size += len(piece)
    words.append("".join(current))
    return f"{name}: " + "\r\n ".join(f"=?utf-8?q?{word}?=" for word in words) + "\r\n"


def _unstructured(name: str, value: str) -> str:
    """An unstructured header (Subject, X-*, List-Unsubscribe...): as it is when it is
    plain ASCII (folded at spaces when long), else RFC 2047 encoded words."""
    _check_value(value)
    if not value:
        return _stdlib_header(name, value)
    if _PLAIN_VALUE.match(value) is not None and "=?" not in value:
        if len(name) + 2 + len(value) <= _MAX_LINE:
            return f"{name}: {value}\r\n"
        return _stdlib_header(name, value)
    return _encoded_words(name, value) or _stdlib_header(name, value)


def _header(name: str, value: str) -> str:
    """A template's (or Clarion's) header."""
    if _FIELD_NAME.match(name) is None:
        raise ValueError(f"{name!r} is not a valid header name")
    if name.lower() in _STRUCTURED:
        _check_value(value)
        return _stdlib_header(name, value)
    return _unstructured(name, value)


def _address(name: str, value: str) -> str:
    _check_value(value)
    if _SIMPLE_ADDRESS.match(value) is not None and len(name) + 2 + len(value) <= _MAX_LINE:
        return f"{name}: {value}\r\n"
    return _stdlib_header(name, value)


@lru_cache(maxsize=64)
def _from_header(from_address: str) -> tuple[str, str]:
    """(the From header, the domain for Message-IDs), for a sender."""
    _check_value(from_address)
    return _cached_stdlib_header("From", from_address), _domain_of(from_address)


@lru_cache(maxsize=64)
def _date_header(date: datetime) -> str:
    return f"Date: {format_datetime(date)}\r\n"


@lru_cache(maxsize=256)
def _clarion_header_name(field_name: str) -> str:
    tag = MessageContext.tag_names()[field_name]
    suffix = "-".join(part.capitalize() for part in tag.removeprefix("clarion-").split("-"))
    return f"{CLARION_HEADER_PREFIX}{suffix}"


def _qp_body(text: str) -> str:
    """Quoted-printable UTF-8 body with CRLF lines, as ``set_content`` encodes it."""
    lines = text.encode("utf-8").splitlines()
    normal = b"\n".join(lines) + b"\n"
    return quoprimime.body_encode(normal.decode("latin-1"), _MAX_LINE).replace("\n", "\r\n")


def _text_part(subtype: str, text: str, mime_version: bool) -> str:
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n"
    )
    if mime_version:
        head += "MIME-Version: 1.0\r\n"
    return head + "\r\n" + _qp_body(text)


def _fast_email_bytes(message: OutboundMessage, from_address: str, date: datetime) -> bytes:
    content = message.content
    if not isinstance(content, RenderedEmail):
        raise MessageContentError(content_problem(message) or "not an email")
    out: list[str] = []
    try:
        from_line, domain = _from_header(from_address)
        out.append(from_line)
        out.append(_address("To", message.address))
        out.append(_unstructured("Subject", content.subject))
        out.append(_date_header(date))
        message_id = f"<{message.message_id}@{domain}>"
        if _SIMPLE_ADDRESS.match(message_id[1:-1]) is not None and len(message_id) <= 66:
            out.append(f"Message-ID: {message_id}\r\n")
        else:
            out.append(_stdlib_header("Message-ID", message_id))
        for name, value in content.headers:
            if not name or name.lower() in RESERVED_HEADERS:
                raise MessageContentError(f"the template may not set the {name!r} header")
            if name.lower().startswith(CLARION_HEADER_PREFIX.lower()):
                raise MessageContentError(f"{name!r}: X-Clarion-* headers are Clarion's own")
            out.append(_header(name, value))
        out.append(_unstructured(f"{CLARION_HEADER_PREFIX}Message-Id", message.message_id))
        for field_name, value in message.context.values().items():
            out.append(_unstructured(_clarion_header_name(field_name), value))
    except ValueError as exc:  # header values with CR or LF, malformed names
        if isinstance(exc, MessageContentError):
            raise
        raise MessageContentError(f"invalid header: {exc}") from None
    text, html = content.text, content.html
    if html is None or text is None:
        # One part: its headers follow the message's, MIME-Version last (as set_content
        # writes them).
        subtype, body = ("plain", text or "") if html is None else ("html", html)
        out.append(
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\n"
        )
        out.append(_qp_body(body))
    else:
        boundary = f"clarion-alt-{message.message_id}"
        content_type = f'Content-Type: multipart/alternative; boundary="{boundary}"'
        if len(content_type) > _MAX_LINE:
            content_type = content_type.replace("; ", ";\r\n ", 1)
        out.append(f"MIME-Version: 1.0\r\n{content_type}\r\n\r\n--{boundary}\r\n")
        out.append(_text_part("plain", text, False))
        out.append(f"\r\n--{boundary}\r\n")
        out.append(_text_part("html", html, True))
        out.append(f"\r\n--{boundary}--\r\n")
    return "".join(out).encode("ascii")


def bare_address(address: str) -> str:
    """The ``user@domain`` part of ``Name <user@domain>`` (as SES wants in its params)."""
    _, bare = parseaddr(address)
    return bare or address
