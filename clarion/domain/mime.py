"""The wire form of outbound messages: MIME for email, and which content each channel takes.

One MIME builder serves both backends: the local outbox writes its bytes to ``.eml``
files and the AWS adapter hands the same bytes to SES v2 as ``Content.Raw``, so what a
developer opens locally is what a recipient would have received (SES replaces the
``Message-ID`` header with its own and adds DKIM signatures; nothing else differs).

Pure: the caller passes the time, and nothing here does I/O.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from clarion.domain.endpoint import PUSH_CHANNELS, ChannelType
from clarion.domain.messages import CustomContent, OutboundMessage
from clarion.domain.rendering import RenderedEmail, RenderedPush, RenderedSms, RenderedVoice

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
    """:func:`build_email` serialised (CRLF line endings, ASCII-safe transfer encodings)."""
    try:
        return build_email(message, from_address=from_address, date=date).as_bytes(
            policy=MIME_POLICY
        )
    except (ValueError, TypeError, LookupError) as exc:
        if isinstance(exc, MessageContentError):
            raise
        raise MessageContentError(f"cannot serialise the message: {exc}") from None


def bare_address(address: str) -> str:
    """The ``user@domain`` part of ``Name <user@domain>`` (as SES wants in its params)."""
    _, bare = parseaddr(address)
    return bare or address
