"""The Pinpoint event-stream record: what Clarion stores for every event.

Amazon Pinpoint streamed one JSON shape for app, campaign, journey, email and SMS events
(snake_case keys, epoch-millisecond timestamps, ``facets`` for channel detail). Clarion
stores every event it ingests in that shape, so Athena queries written against a Pinpoint
event stream keep working. See docs/events.md for the mapping of each source to it.

Besides the Pinpoint keys, each record carries ``event_id``: a stable identifier derived
from the source record (SES message id and event, SMS message id and status, the
PutEvents event key...) so that a record delivered twice is stored once. It is not part of
the Pinpoint shape: :meth:`EventRecord.to_json` leaves it out unless asked.

This module also holds the limits Pinpoint documented for event ingestion and the message
tags (SES) and context keys (SMS) through which the sender hands Clarion's campaign,
journey and endpoint ids to the delivery services, so that delivery events come back
carrying them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlencode

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
)

from clarion.domain.common.errors import FieldProblem

# Event ingestion quotas, from the "Event ingestion quotas" table of the Pinpoint
# developer guide. Pinpoint applied them to PutEvents and the mobile SDKs.
MAX_EVENTS_PER_REQUEST = 100
MAX_REQUEST_BYTES = 4 * 1024 * 1024
MAX_EVENT_BYTES = 1000 * 1024
MAX_EVENT_ATTRIBUTE_NAME_LENGTH = 50
MAX_EVENT_ATTRIBUTE_VALUE_LENGTH = 200
MAX_ATTRIBUTES_AND_METRICS_PER_EVENT = 40
# The quota table does not give one; the Pinpoint (formerly Mobile Analytics) SDKs refuse
# event types longer than 50 characters, and the same limit applies to attribute keys.
MAX_EVENT_TYPE_LENGTH = 50

PINPOINT_EVENT_VERSION = "3.1"

# Epoch milliseconds between 1973 and 5138: a number outside is almost surely seconds
# or microseconds, which Pinpoint records never hold.
_MIN_EPOCH_MS = 100_000_000_000
_MAX_EPOCH_MS = 100_000_000_000_000


def check_epoch_ms(value: int) -> int:
    """Return ``value`` if it reads as epoch milliseconds, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not an integer number of epoch milliseconds")
    if not _MIN_EPOCH_MS <= value < _MAX_EPOCH_MS:
        raise ValueError(f"{value} is not in epoch milliseconds (seconds or microseconds?)")
    return value


def make_event_id(source: str, *parts: object) -> str:
    """Derive a stable event id from the identifying parts of a source record.

    The same parts always give the same id, so a record delivered twice (Kinesis and
    SNS both retry) is recognised; different parts give different ids.
    """
    text = "\x1f".join([source, *(str(part) for part in parts)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class _Part(BaseModel):
    """A nested object of the record. Unknown keys are kept, so replayed Pinpoint
    records keep fields this model does not name. Frozen: records share their empty
    parts (see ``build_record``), so none may be changed in place."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, defer_build=True)


class Sdk(_Part):
    name: str | None = None
    version: str | None = None


class Application(_Part):
    app_id: str
    cognito_identity_pool_id: str | None = None
    package_name: str | None = None
    sdk: Sdk = Field(default_factory=Sdk)
    title: str | None = None
    version_name: str | None = None
    version_code: str | None = None


class Client(_Part):
    client_id: str | None = None
    cognito_id: str | None = None


class Platform(_Part):
    name: str | None = None
    version: str | None = None


class Locale(_Part):
    code: str | None = None
    country: str | None = None
    language: str | None = None


class Device(_Part):
    locale: Locale | None = None
    make: str | None = None
    model: str | None = None
    platform: Platform = Field(default_factory=Platform)


class Session(_Part):
    session_id: str | None = None
    start_timestamp: StrictInt | None = None
    stop_timestamp: StrictInt | None = None
    duration: StrictInt | None = None

    @field_validator("start_timestamp", "stop_timestamp")
    @classmethod
    def _epoch(cls, value: int | None) -> int | None:
        return None if value is None else check_epoch_ms(value)


class EventRecord(BaseModel):
    """One event in Pinpoint's event-stream shape.

    Build records with the normalisers in :mod:`clarion.domain.events.normalise`, or
    from stored JSON with :meth:`from_json`; write them with :meth:`to_json`.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)

    event_type: StrictStr = Field(min_length=1)
    event_timestamp: StrictInt
    arrival_timestamp: StrictInt
    event_version: str = PINPOINT_EVENT_VERSION
    application: Application
    client: Client = Field(default_factory=Client)
    device: Device = Field(default_factory=Device)
    session: Session = Field(default_factory=Session)
    attributes: dict[str, StrictStr] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    endpoint: dict[str, Any] | None = None
    aws_account_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("awsAccountId", "aws_account_id"),
        serialization_alias="awsAccountId",
    )
    facets: dict[str, Any] | None = None
    event_id: str = Field(min_length=1, exclude=True)

    @field_validator("event_timestamp", "arrival_timestamp")
    @classmethod
    def _epoch(cls, value: int) -> int:
        return check_epoch_ms(value)

    @field_validator("attributes")
    @classmethod
    def _short_values(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if len(text) > MAX_EVENT_ATTRIBUTE_VALUE_LENGTH:
                raise ValueError(
                    f"value of {name!r} is {len(text)} characters; "
                    f"the limit is {MAX_EVENT_ATTRIBUTE_VALUE_LENGTH}"
                )
        return value

    @field_validator("metrics", mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            for name, number in value.items():
                if isinstance(number, bool) or not isinstance(number, int | float):
                    raise ValueError(f"metric {name!r} must be a number, not {number!r}")
                if not math.isfinite(number):
                    raise ValueError(f"metric {name!r} must be a finite number")
        return value

    @property
    def endpoint_id(self) -> str | None:
        """The Clarion endpoint the event belongs to, when known.

        Pinpoint put the endpoint id in ``client.client_id`` for events of campaigns,
        journeys and transactional messages, and apps use the endpoint id as client id.
        """
        if self.endpoint and isinstance(self.endpoint.get("Id"), str):
            return str(self.endpoint["Id"])
        return self.client.client_id

    def to_json(self, *, with_event_id: bool = False) -> dict[str, Any]:
        """The record as Pinpoint streamed it (plus ``event_id`` when asked)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if with_event_id:
            data["event_id"] = self.event_id
        return data

    def to_json_line(self, *, with_event_id: bool = True) -> str:
        """One line of newline-delimited JSON, as Firehose and the local store write it."""
        return json.dumps(
            self.to_json(with_event_id=with_event_id), separators=(",", ":"), ensure_ascii=False
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EventRecord:
        """Read a stored record. Without an ``event_id`` key (a record from a Pinpoint
        stream), the id is derived from the record's content, so replaying the same
        stream twice stores each event once."""
        body = dict(data)
        if "event_id" not in body:
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
            body["event_id"] = make_event_id("pinpoint", canonical)
        return cls.model_validate(body)


_RECORD_FIELDS = frozenset(EventRecord.model_fields)
_M = TypeVar("_M", bound=BaseModel)


def _empty(cls: type[_M], **values: Any) -> _M:
    """``cls()``, every field its default (``values`` for those with a default
    factory), made without validating: the parts are built at import, and validating
    them would build five validators an ingestion that skips validation never uses
    (tests/unit/test_event_records.py checks they equal ``cls()``)."""
    defaults = {name: values.get(name, info.default) for name, info in cls.model_fields.items()}
    return _trusted(cls, set(), defaults)


def application_part(app_id: str) -> Application:
    """``Application(app_id=app_id)``, without validation when ``app_id`` is a str."""
    if type(app_id) is not str:
        return Application(app_id=app_id)
    return _trusted(
        Application,
        {"app_id"},
        {
            "app_id": app_id,
            "cognito_identity_pool_id": None,
            "package_name": None,
            "sdk": _EMPTY_SDK,
            "title": None,
            "version_name": None,
            "version_code": None,
        },
    )


def client_part(client_id: str | None) -> Client:
    """``Client(client_id=client_id)``, without validation for a str or None."""
    if client_id is not None and type(client_id) is not str:
        return Client(client_id=client_id)
    return _trusted(Client, {"client_id"}, {"client_id": client_id, "cognito_id": None})


def _str_keys(value: Any) -> bool:
    return type(value) is dict and all(type(key) is str for key in value)


def _already_valid(values: Mapping[str, Any]) -> bool:
    """True if ``EventRecord(**values)`` would keep every value as given: each is
    already of the exact type its field validates to and within its limits."""
    if not _RECORD_FIELDS.issuperset(values):
        return False
    event_type = values.get("event_type")
    if type(event_type) is not str or not event_type:
        return False
    for name in ("event_timestamp", "arrival_timestamp"):
        stamp = values.get(name)
        if type(stamp) is not int or not _MIN_EPOCH_MS <= stamp < _MAX_EPOCH_MS:
            return False
    event_id = values.get("event_id")
    if type(event_id) is not str or not event_id:
        return False
    if type(values.get("event_version", "")) is not str:
        return False
    if type(values.get("application")) is not Application:
        return False
    for name, kind in (("client", Client), ("device", Device), ("session", Session)):
        if name in values and type(values[name]) is not kind:
            return False
    attributes = values.get("attributes", {})
    if type(attributes) is not dict:
        return False
    for name, text in attributes.items():
        if (
            type(name) is not str
            or type(text) is not str
            or len(text) > MAX_EVENT_ATTRIBUTE_VALUE_LENGTH
        ):
            return False
    metrics = values.get("metrics", {})
    if type(metrics) is not dict:
        return False
    for name, number in metrics.items():
        if type(name) is not str or type(number) is not float or not math.isfinite(number):
            return False
    for name in ("endpoint", "facets"):
        value = values.get(name)
        if value is not None and not _str_keys(value):
            return False
    account = values.get("aws_account_id")
    return account is None or type(account) is str


def build_record(**values: Any) -> EventRecord:
    """``EventRecord(**values)`` for the normalisers, skipping pydantic's validation when
    :func:`_already_valid` finds nothing it could change or refuse. Otherwise the full
    constructor runs, so a bad value is refused with the same ValidationError."""
    if not _already_valid(values):
        return EventRecord(**values)
    get = values.get
    full = {  # in field order, as validation and model_construct leave __dict__
        "event_type": values["event_type"],
        "event_timestamp": values["event_timestamp"],
        "arrival_timestamp": values["arrival_timestamp"],
        "event_version": get("event_version", PINPOINT_EVENT_VERSION),
        "application": values["application"],
        "client": get("client", _EMPTY_CLIENT),
        "device": get("device", _EMPTY_DEVICE),
        "session": get("session", _EMPTY_SESSION),
        "attributes": get("attributes") or {},
        "metrics": get("metrics") or {},
        "endpoint": get("endpoint"),
        "aws_account_id": get("aws_account_id"),
        "facets": get("facets"),
        "event_id": values["event_id"],
    }
    return _trusted(EventRecord, set(values), full)


def _trusted(cls: type[_M], fields_set: set[str], values: dict[str, Any]) -> _M:
    """``cls.model_construct(fields_set, **values)`` for a model with no extras, private
    attributes or post-init given every field in order, without its per-field loop."""
    if cls.__pydantic_post_init__:  # pragma: no cover - none of the parts has one
        return cls.model_construct(fields_set, **values)
    model = cls.__new__(cls)
    _set = object.__setattr__
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", {})
    _set(model, "__pydantic_private__", None)
    return model


# Shared default parts for records built by :func:`build_record`. Nothing assigns to a
# record's parts (records are replaced, never edited), so one empty instance serves all.
_EMPTY_SDK = _empty(Sdk)
_EMPTY_CLIENT = _empty(Client)
_EMPTY_DEVICE = _empty(Device, platform=_empty(Platform))
_EMPTY_SESSION = _empty(Session)


@dataclass(frozen=True)
class Reject:
    """An input record that could not become an event record, and why.

    ``index`` is the record's position in the input it came in (``None`` for a problem
    with the whole input); ``record_id`` names it in the source's own terms (SES message
    id, SMS message id, ``<endpointId>/<eventId>`` for PutEvents, Kinesis sequence
    number). ``raw`` is the input record, kept for the dead-letter store.
    """

    source: str
    index: int | None
    record_id: str | None
    problems: tuple[FieldProblem, ...]
    raw: Any = None

    def __str__(self) -> str:
        where = f"{self.source} record"
        if self.index is not None:
            where += f" #{self.index}"
        if self.record_id:
            where += f" ({self.record_id})"
        return f"{where}: " + "; ".join(str(p) for p in self.problems)

    def for_log(self) -> str:
        """The reject named by position and fields only: reasons may quote the values
        (addresses among them), which logs never hold."""
        where = f"{self.source} record"
        if self.index is not None:
            where += f" #{self.index}"
        return f"{where}: " + ", ".join(p.field for p in self.problems)


class Normalised(NamedTuple):
    """What a normaliser returns: the records made, and the inputs it could not use."""

    records: list[EventRecord]
    rejects: list[Reject]


# Message tags (SES) and context keys (SMS) that carry Clarion's ids through delivery.
# SES tag names and values allow only ASCII letters, digits, "_" and "-", 256 at most.
TAG_APP_ID = "clarion-app-id"
TAG_CAMPAIGN_ID = "clarion-campaign-id"
TAG_CAMPAIGN_ACTIVITY_ID = "clarion-campaign-activity-id"
TAG_TREATMENT_ID = "clarion-treatment-id"
TAG_JOURNEY_ID = "clarion-journey-id"
TAG_JOURNEY_ACTIVITY_ID = "clarion-journey-activity-id"
TAG_JOURNEY_RUN_ID = "clarion-journey-run-id"
TAG_ENDPOINT_ID = "clarion-endpoint-id"
TAG_RUN_ID = "clarion-run-id"
# End User Messaging allows only five context entries a message, fewer than Clarion's
# ids, so SMS and voice carry them packed in this one key (see MessageContext).
SMS_CONTEXT_KEY = "clarion"

_SES_TAG_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_ENCODED_PREFIX = "b32-"
MAX_SMS_CONTEXT_VALUE_LENGTH = 800


@dataclass(frozen=True)
class MessageContext:
    """Clarion's ids for one message, carried through SES and End User Messaging.

    Each field maps to a Pinpoint event attribute of the same name (``run_id`` is
    Clarion's own: the campaign run that sent the message); ``endpoint_id`` becomes the
    record's ``client.client_id``; ``app_id`` its ``application.app_id``.
    """

    app_id: str | None = None
    campaign_id: str | None = None
    campaign_activity_id: str | None = None
    treatment_id: str | None = None
    journey_id: str | None = None
    journey_activity_id: str | None = None
    journey_run_id: str | None = None
    endpoint_id: str | None = None
    run_id: str | None = None

    @staticmethod
    def tag_names() -> dict[str, str]:
        """Field name → SES tag name."""
        return {
            "app_id": TAG_APP_ID,
            "campaign_id": TAG_CAMPAIGN_ID,
            "campaign_activity_id": TAG_CAMPAIGN_ACTIVITY_ID,
            "treatment_id": TAG_TREATMENT_ID,
            "journey_id": TAG_JOURNEY_ID,
            "journey_activity_id": TAG_JOURNEY_ACTIVITY_ID,
            "journey_run_id": TAG_JOURNEY_RUN_ID,
            "endpoint_id": TAG_ENDPOINT_ID,
            "run_id": TAG_RUN_ID,
        }

    def values(self) -> dict[str, str]:
        """The ids that are set, by field name."""
        return {
            name: value
            for name in _CONTEXT_FIELDS
            if isinstance(value := getattr(self, name), str) and value
        }

    def to_ses_tags(self) -> list[dict[str, str]]:
        """``EmailTags`` for SES v2 ``SendEmail``/``SendBulkEmail``.

        A value SES would refuse (characters outside ``[A-Za-z0-9_-]``) is base32
        encoded behind a ``b32-`` prefix, which :meth:`from_ses_tags` undoes.
        """
        names = self.tag_names()
        tags = []
        for name, value in self.values().items():
            tags.append({"Name": names[name], "Value": _tag_safe(name, value)})
        return tags

    def to_sms_context(self) -> dict[str, str]:
        """``Context`` for End User Messaging ``SendTextMessage``/``SendVoiceMessage``."""
        values = self.values()
        if not values:
            return {}
        packed = urlencode(sorted(values.items()))
        if len(packed) > MAX_SMS_CONTEXT_VALUE_LENGTH:
            raise ValueError(
                f"message context is {len(packed)} characters packed; End User Messaging "
                f"allows {MAX_SMS_CONTEXT_VALUE_LENGTH}"
            )
        return {SMS_CONTEXT_KEY: packed}

    @classmethod
    def from_ses_tags(cls, tags: Mapping[str, Any] | None) -> MessageContext:
        """Read the ids from an SES event's ``mail.tags`` (name → list of values)."""
        found: dict[str, str] = {}
        tags = tags or {}
        for name, tag in _TAG_NAMES:
            raw = tags.get(tag)
            value: Any = raw[0] if isinstance(raw, list) and raw else raw
            if isinstance(value, str) and value:
                found[name] = _tag_value(value)
        return cls(**found)

    @classmethod
    def from_sms_context(cls, context: Mapping[str, Any] | None) -> MessageContext:
        """Read the ids from an SMS v2 event's ``context``. The packed key is read, and
        so are entries named like the SES tags, for senders that set them one by one."""
        context = context or {}
        found: dict[str, str] = {}
        packed = context.get(SMS_CONTEXT_KEY)
        if isinstance(packed, str):
            for key, value in parse_qsl(packed, keep_blank_values=False):
                if key in _TAG_FIELDS and value:
                    found[key] = value
        for name, tag in _TAG_NAMES:
            entry = context.get(tag)
            if isinstance(entry, str) and entry and name not in found:
                found[name] = entry
        return cls(**found)

    def pinpoint_attributes(self) -> dict[str, str]:
        """The ids as Pinpoint event attributes (campaign_id, treatment_id, ...)."""
        return {
            name: value
            for name, value in self.values().items()
            if name not in ("app_id", "endpoint_id")
        }


_CONTEXT_FIELDS = tuple(f.name for f in fields(MessageContext))
# MessageContext.tag_names() as (field, tag) pairs, for the readers that run per event.
_TAG_NAMES = tuple(MessageContext.tag_names().items())
_TAG_FIELDS = frozenset(name for name, _ in _TAG_NAMES)


def _tag_safe(name: str, value: str) -> str:
    if _SES_TAG_VALUE.match(value) and not value.startswith(_ENCODED_PREFIX):
        return value
    encoded = _ENCODED_PREFIX + base64.b32encode(value.encode("utf-8")).decode().rstrip("=")
    if len(encoded) > 256:
        raise ValueError(f"{name} {value!r} is too long to carry in an SES message tag")
    return encoded


def _tag_value(value: str) -> str:
    if not value.startswith(_ENCODED_PREFIX):
        return value
    body = value[len(_ENCODED_PREFIX) :]
    try:
        return base64.b32decode(body + "=" * (-len(body) % 8)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value


def clip(value: str, limit: int = MAX_EVENT_ATTRIBUTE_VALUE_LENGTH) -> str:
    """Cut a value to the attribute limit; callers keep the full value in ``facets``."""
    return value if len(value) <= limit else value[:limit]


def string_attributes(pairs: Iterable[tuple[str, object]]) -> dict[str, str]:
    """Attributes from (name, value) pairs: values made strings and clipped, None skipped."""
    out: dict[str, str] = {}
    for name, value in pairs:
        if value is None:
            continue
        if type(value) is str:
            text = value
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        out[name] = text if len(text) <= MAX_EVENT_ATTRIBUTE_VALUE_LENGTH else clip(text)
    return out


# Event types only Clarion itself records (delivery, engagement, campaign and journey
# outcomes): an API caller or ``clarion events put`` may not write them, or anyone could
# opt any endpoint out with a forged ``_SMS.OPTOUT`` or ``_email.complaint``. The
# trusted delivery path (``clarion events ingest --source ...``, the SES and SMS event
# destinations) is not subject to this.
RESERVED_EVENT_PREFIXES = ("_email.", "_SMS.", "_campaign.", "_journey.", "_push.", "_voice.")


def reserved_event_problem(event_type: object, field: str = "EventType") -> FieldProblem | None:
    """Why an event of ``event_type`` from an API caller is refused, or None."""
    if isinstance(event_type, str) and event_type.startswith(RESERVED_EVENT_PREFIXES):
        return FieldProblem(
            field,
            f"{event_type!r} is a reserved system event type: only Clarion's own delivery "
            "and engagement records may carry it",
        )
    return None
