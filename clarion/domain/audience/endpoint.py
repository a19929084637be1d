"""Pinpoint-compatible endpoints.

An endpoint is one destination (an email address, a phone number, a device token) with
the attributes, metrics, demographic and location Pinpoint kept for it. The JSON shape is
Pinpoint's own (PascalCase keys), so endpoint files exported from Pinpoint load unchanged.

The rules enforced here come from the Pinpoint documentation (see
docs/pinpoint-formats.md): channel types, E.164 phone numbers, email syntax, attribute
name and value lengths, the size of one endpoint. Names are case-sensitive everywhere.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from pydantic import Field, ValidationError, field_validator
from pydantic.alias_generators import to_pascal

from clarion.domain.common.errors import FieldProblem, InvalidRecordError
from clarion.domain.common.ids import id_problem
from clarion.domain.common.model import RECORD, PinpointModel, validation_problems

MAX_ATTRIBUTE_NAME_LENGTH = 50
MAX_ATTRIBUTE_VALUE_LENGTH = 100
MAX_ATTRIBUTE_NAMES_PER_PROJECT = 250
MAX_ENDPOINT_BYTES = 15 * 1024
MAX_ENDPOINTS_PER_USER = 15

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


class ChannelType(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    VOICE = "VOICE"
    APNS = "APNS"
    APNS_SANDBOX = "APNS_SANDBOX"
    APNS_VOIP = "APNS_VOIP"
    APNS_VOIP_SANDBOX = "APNS_VOIP_SANDBOX"
    GCM = "GCM"
    BAIDU = "BAIDU"
    ADM = "ADM"
    IN_APP = "IN_APP"
    CUSTOM = "CUSTOM"


PUSH_CHANNELS = frozenset(
    {
        ChannelType.APNS,
        ChannelType.APNS_SANDBOX,
        ChannelType.APNS_VOIP,
        ChannelType.APNS_VOIP_SANDBOX,
        ChannelType.GCM,
        ChannelType.BAIDU,
        ChannelType.ADM,
    }
)


class OptOut(StrEnum):
    ALL = "ALL"
    NONE = "NONE"


class EndpointStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    """The tz database names ``Demographic.Timezone`` may hold."""
    return frozenset(available_timezones())


def _check_attributes(value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    if value is None:
        return None
    for name, values in value.items():
        if not name or len(name) > MAX_ATTRIBUTE_NAME_LENGTH:
            raise ValueError(
                f"attribute name {name!r} must be 1 to {MAX_ATTRIBUTE_NAME_LENGTH} characters"
            )
        for item in values:
            if len(item) > MAX_ATTRIBUTE_VALUE_LENGTH:
                raise ValueError(
                    f"value of {name!r} is {len(item)} characters; "
                    f"the limit is {MAX_ATTRIBUTE_VALUE_LENGTH}"
                )
    return value


class Demographic(PinpointModel):
    app_version: str | None = None
    locale: str | None = None
    make: str | None = None
    model: str | None = None
    model_version: str | None = None
    platform: str | None = None
    platform_version: str | None = None
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in time_zones():
            raise ValueError(f"{value!r} is not a tz database time zone (such as Europe/Paris)")
        return value


class Location(PinpointModel):
    city: str | None = None
    country: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    postal_code: str | None = None
    region: str | None = None


class EndpointUser(PinpointModel):
    user_id: str | None = None
    user_attributes: dict[str, list[str]] | None = None

    _attrs = field_validator("user_attributes")(_check_attributes)


class Endpoint(PinpointModel):
    """One Pinpoint endpoint, as EndpointRequest/EndpointResponse carry it."""

    id: str
    channel_type: ChannelType | None = None
    address: str | None = None
    endpoint_status: EndpointStatus | None = None
    opt_out: OptOut | None = None
    effective_date: str | None = None
    creation_date: str | None = None
    request_id: str | None = None
    application_id: str | None = None
    cohort_id: str | None = None
    attributes: dict[str, list[str]] | None = None
    metrics: dict[str, float] | None = None
    demographic: Demographic | None = None
    location: Location | None = None
    user: EndpointUser | None = None

    _attrs = field_validator("attributes")(_check_attributes)

    @field_validator("metrics")
    @classmethod
    def _finite_metrics(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        for name, number in value.items():
            if not name or len(name) > MAX_ATTRIBUTE_NAME_LENGTH:
                raise ValueError(
                    f"metric name {name!r} must be 1 to {MAX_ATTRIBUTE_NAME_LENGTH} characters"
                )
            if not math.isfinite(number):
                raise ValueError(f"metric {name!r} must be a finite number")
        return value

    @field_validator("effective_date", "creation_date")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None:
            parse_iso8601(value)
        return value

    @property
    def user_id(self) -> str | None:
        return self.user.user_id if self.user else None

    @property
    def is_opted_out(self) -> bool:
        return self.opt_out == OptOut.ALL

    @property
    def is_active(self) -> bool:
        return self.endpoint_status != EndpointStatus.INACTIVE


def parse_iso8601(value: str) -> datetime:
    """Parse an ISO-8601 date or timestamp; naive values are taken as UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an ISO-8601 date") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_endpoint_id() -> str:
    return uuid.uuid4().hex


def _dotted(loc: Iterable[int | str]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            continue
        parts.append(to_pascal(part) if part.islower() or "_" in part else part)
    return ".".join(parts)


def _field_path(loc: tuple[int | str, ...]) -> str:
    """Pinpoint's dotted path of an error (``User.UserAttributes.FirstName``)."""
    return _dotted(part for part in loc if part != "__root__") or RECORD


# A plain ASCII dot-atom local part (RFC 5322 3.2.3), which email_validator accepts as
# it is: such an address is valid exactly when its domain is.
_DOT_ATOM_LOCAL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z"
)


@lru_cache(maxsize=4096)
def valid_email_domain(domain: str) -> bool:
    """Whether email_validator accepts ``domain`` (checked once a domain: the costly part
    of its work, and the same for every address of the domain)."""
    # Imported here: most handlers that import this module never validate an address.
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _plainly_valid_email(address: str) -> bool:
    """True for an address email_validator would accept, found without it: a short
    dot-atom local part and a domain it accepted before. False means "ask it"."""
    local, at, domain = address.rpartition("@")
    return (
        bool(at)
        and len(address) <= 254
        and len(local) <= 64
        and _DOT_ATOM_LOCAL.match(local) is not None
        and valid_email_domain(domain)
    )


def _address_problem(channel: ChannelType, address: str) -> str | None:
    if channel == ChannelType.EMAIL:
        if _plainly_valid_email(address):
            return None
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            return f"not a valid email address: {exc}"
    elif channel in (ChannelType.SMS, ChannelType.VOICE) and not E164.match(address):
        return "phone numbers must be in E.164 form, such as +14155550100"
    return None


# How many more characters Python's json may write for one float than pydantic's JSON
# ("1e-07" against "1e-7"; generous).
_FLOAT_SLACK = 16


def _pinpoint_json_size(endpoint: Endpoint) -> int:
    """The size the 15 KB rule measures: ``json.dumps(to_pinpoint())``, compact, in bytes.

    pydantic's own JSON (much faster) gives an upper bound, which is enough when it is
    under the limit: the same document, keys and escaping (``ensure_ascii``), except
    that floats may be written a little shorter and DEL (``\x7f``) unescaped. Only near
    the limit, or when pydantic cannot write the document, is the exact size computed.
    """
    try:
        fast = endpoint.model_dump_json(by_alias=True, exclude_none=True, ensure_ascii=True)
    except ValueError:  # lone surrogates, which json.dumps escapes
        fast = None
    if fast is not None:
        floats = len(endpoint.metrics or {}) + (2 if endpoint.location else 0)
        bound = len(fast) + _FLOAT_SLACK * floats + 5 * fast.count("\x7f")
        if bound <= MAX_ENDPOINT_BYTES:
            return len(fast)  # not always exact, but it is only compared with the limit
    return len(json.dumps(endpoint.to_pinpoint(), separators=(",", ":")).encode())


def validate_endpoint(data: Mapping[str, Any]) -> Endpoint:
    """Build an Endpoint from Pinpoint JSON, checking every rule.

    Raises
    ------
    InvalidRecordError
        With one FieldProblem per broken rule; field names are Pinpoint's dotted paths
        (``User.UserAttributes.FirstName``, ``Address``).
    """
    try:
        endpoint = Endpoint.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecordError(validation_problems(exc, _field_path)) from None
    problems = []
    id_reason = id_problem(endpoint.id)
    if id_reason is not None:
        problems.append(FieldProblem("Id", id_reason))
    if endpoint.user_id:  # an empty UserId is no user, as before
        user_reason = id_problem(endpoint.user_id)
        if user_reason is not None:
            problems.append(FieldProblem("User.UserId", user_reason))
    if endpoint.channel_type is None:
        problems.append(FieldProblem("ChannelType", "is required"))
    if not endpoint.address:
        if endpoint.channel_type is not None:
            problems.append(FieldProblem("Address", "is required"))
    elif endpoint.channel_type is not None:
        reason = _address_problem(endpoint.channel_type, endpoint.address)
        if reason:
            problems.append(FieldProblem("Address", reason))
    size = _pinpoint_json_size(endpoint)
    if size > MAX_ENDPOINT_BYTES:
        problems.append(
            FieldProblem("(record)", f"endpoint is {size} bytes; the limit is {MAX_ENDPOINT_BYTES}")
        )
    if problems:
        raise InvalidRecordError(problems)
    return endpoint


def merge_endpoint(existing: Endpoint, update: Mapping[str, Any]) -> dict[str, Any]:
    """Apply an UpdateEndpoint-style body to an existing endpoint.

    Pinpoint's UpdateEndpoint replaces each top-level object it is given and keeps the
    rest; attribute maps are merged name by name (a given name replaces its values).
    The result is Pinpoint JSON, to be validated with :func:`validate_endpoint`.
    """
    merged = existing.to_pinpoint()
    for key, value in update.items():
        if key in ("Attributes", "Metrics") and isinstance(value, Mapping):
            merged[key] = {**merged.get(key, {}), **value}
        elif key == "User" and isinstance(value, Mapping):
            user = dict(merged.get("User", {}))
            for user_key, user_value in value.items():
                if user_key == "UserAttributes" and isinstance(user_value, Mapping):
                    user[user_key] = {**user.get(user_key, {}), **user_value}
                else:
                    user[user_key] = user_value
            merged["User"] = user
        elif key in ("Demographic", "Location") and isinstance(value, Mapping):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


def checked_metric_updates(
    metrics: Mapping[str, Mapping[str, float]],
) -> dict[str, dict[str, float]]:
    """The updates of ``ProfileStore.set_metrics`` as floats, checked by the rules an
    endpoint's ``Metrics`` follow (names of 1 to 50 characters, finite numbers), so that
    a bulk write can never store what ``put_endpoints`` of a validated endpoint could
    not. Raises ValueError naming the endpoint and metric."""
    checked: dict[str, dict[str, float]] = {}
    for endpoint_id, values in metrics.items():
        row: dict[str, float] = {}
        for name, number in values.items():
            if not isinstance(name, str) or not name or len(name) > MAX_ATTRIBUTE_NAME_LENGTH:
                raise ValueError(
                    f"endpoint {endpoint_id!r}: metric name {name!r} must be 1 to "
                    f"{MAX_ATTRIBUTE_NAME_LENGTH} characters"
                )
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"endpoint {endpoint_id!r}: metric {name!r} must be a number")
            if not math.isfinite(number):
                raise ValueError(
                    f"endpoint {endpoint_id!r}: metric {name!r} must be a finite number"
                )
            row[name] = float(number)
        if row:
            checked[endpoint_id] = row
    return checked


_ATTRIBUTE_NAME_PREFIXES = ("Attributes.", "User.UserAttributes.", "Metrics.")


class AttributeNameBudget:
    """Pinpoint allows 250 distinct attribute names per project (attributes, user
    attributes and metrics together); this tracks the names in use."""

    def __init__(self, names_in_use: Iterable[str] = ()) -> None:
        self._names = set(names_in_use)

    def fits(self, names: Iterable[str]) -> bool:
        """Whether every attribute name among ``names`` (dotted, as CSV headers spell
        them; other names are ignored) could be in use at once: then no endpoint using
        only these names can go over the limit."""
        wanted = {name for name in names if name.startswith(_ATTRIBUTE_NAME_PREFIXES)}
        return len(self._names | wanted) <= MAX_ATTRIBUTE_NAMES_PER_PROJECT

    def check(self, endpoint: Endpoint) -> FieldProblem | None:
        new = {
            *(f"Attributes.{n}" for n in endpoint.attributes or {}),
            *(f"Metrics.{n}" for n in endpoint.metrics or {}),
            *(
                f"User.UserAttributes.{n}"
                for n in (endpoint.user.user_attributes or {} if endpoint.user else {})
            ),
        } - self._names
        if len(self._names) + len(new) > MAX_ATTRIBUTE_NAMES_PER_PROJECT:
            first = sorted(new)[0]
            return FieldProblem(
                first,
                f"the project would have more than {MAX_ATTRIBUTE_NAMES_PER_PROJECT} "
                "attribute names",
            )
        self._names |= new
        return None
