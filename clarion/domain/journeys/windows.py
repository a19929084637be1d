"""When a journey may message a participant: time zones, quiet time, open hours and
closed days.

- **Time zone**: the endpoint's ``Demographic.Timezone``; without one, the journey's
  ``TimezoneEstimationMethods`` in order: ``PHONE_NUMBER`` reads the country calling code
  of an SMS or voice address, ``POSTAL_CODE`` the endpoint's ``Location.Country``. Both
  give a zone only for countries with one time zone (the table below); elsewhere (the
  United States, Canada, Australia...) nothing is estimated. Pinpoint read postal codes
  within those countries too; Clarion has no postal-code data, and says so here.
- **Quiet time** applies, as Pinpoint documented, only when the participant's time zone
  is known (set or estimated): ``Start`` to ``End`` in that zone, crossing midnight when
  Start is after End.
- **Open hours and closed days** (``SendingSchedule`` true) are read in the
  participant's zone, else the journey schedule's ``Timezone``, else UTC. A channel with
  open hours sends only inside one of that weekday's rules; a day without rules is
  closed. A closed-days rule is a period with no sends; a time without an offset is read
  as the participant's local time.

Each check returns when the participant may next be messaged (UTC), or None when it may
be messaged now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clarion.domain.audience.endpoint import ChannelType, Endpoint
from clarion.domain.campaigns.model import parse_utc_offset
from clarion.domain.campaigns.quiet_time import QuietWindow
from clarion.domain.campaigns.schedule import _wall_to_utc
from clarion.domain.journeys.durations import parse_instant
from clarion.domain.journeys.model import (
    ClosedDays,
    ClosedDaysRule,
    DayOfWeek,
    JourneyResponse,
    OpenHours,
    OpenHoursRule,
    TimezoneEstimationMethod,
)

# Countries with a single time zone: ISO 3166 alpha-2 code -> (calling code, zone).
_SINGLE_ZONE = {
    "GB": ("44", "Europe/London"),
    "IE": ("353", "Europe/Dublin"),
    "FR": ("33", "Europe/Paris"),
    "DE": ("49", "Europe/Berlin"),
    "IT": ("39", "Europe/Rome"),
    "ES": ("34", "Europe/Madrid"),
    "PT": ("351", "Europe/Lisbon"),
    "NL": ("31", "Europe/Amsterdam"),
    "BE": ("32", "Europe/Brussels"),
    "CH": ("41", "Europe/Zurich"),
    "AT": ("43", "Europe/Vienna"),
    "DK": ("45", "Europe/Copenhagen"),
    "SE": ("46", "Europe/Stockholm"),
    "NO": ("47", "Europe/Oslo"),
    "FI": ("358", "Europe/Helsinki"),
    "PL": ("48", "Europe/Warsaw"),
    "CZ": ("420", "Europe/Prague"),
    "HU": ("36", "Europe/Budapest"),
    "GR": ("30", "Europe/Athens"),
    "RO": ("40", "Europe/Bucharest"),
    "TR": ("90", "Europe/Istanbul"),
    "IL": ("972", "Asia/Jerusalem"),
    "AE": ("971", "Asia/Dubai"),
    "SA": ("966", "Asia/Riyadh"),
    "IN": ("91", "Asia/Kolkata"),
    "JP": ("81", "Asia/Tokyo"),
    "KR": ("82", "Asia/Seoul"),
    "CN": ("86", "Asia/Shanghai"),
    "HK": ("852", "Asia/Hong_Kong"),
    "SG": ("65", "Asia/Singapore"),
    "TH": ("66", "Asia/Bangkok"),
    "PH": ("63", "Asia/Manila"),
    "NZ": ("64", "Pacific/Auckland"),
    "ZA": ("27", "Africa/Johannesburg"),
    "NG": ("234", "Africa/Lagos"),
    "KE": ("254", "Africa/Nairobi"),
    "EG": ("20", "Africa/Cairo"),
    "AR": ("54", "America/Argentina/Buenos_Aires"),
    "CO": ("57", "America/Bogota"),
    "PE": ("51", "America/Lima"),
}
_ALPHA3 = {
    "GBR": "GB", "IRL": "IE", "FRA": "FR", "DEU": "DE", "ITA": "IT", "ESP": "ES",
    "PRT": "PT", "NLD": "NL", "BEL": "BE", "CHE": "CH", "AUT": "AT", "DNK": "DK",
    "SWE": "SE", "NOR": "NO", "FIN": "FI", "POL": "PL", "CZE": "CZ", "HUN": "HU",
    "GRC": "GR", "ROU": "RO", "TUR": "TR", "ISR": "IL", "ARE": "AE", "SAU": "SA",
    "IND": "IN", "JPN": "JP", "KOR": "KR", "CHN": "CN", "HKG": "HK", "SGP": "SG",
    "THA": "TH", "PHL": "PH", "NZL": "NZ", "ZAF": "ZA", "NGA": "NG", "KEN": "KE",
    "EGY": "EG", "ARG": "AR", "COL": "CO", "PER": "PE",
}  # fmt: skip
_BY_CALLING_CODE = {code: zone for code, zone in _SINGLE_ZONE.values()}
_WEEKDAYS = list(DayOfWeek)  # Monday first, as datetime.weekday() counts


def _zone(name: str | None) -> tzinfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def estimate_zone(endpoint: Endpoint, methods: list[TimezoneEstimationMethod] | None) -> str | None:
    """The zone the estimation methods give the endpoint (module docstring), or None."""
    for method in methods or []:
        if method == TimezoneEstimationMethod.PHONE_NUMBER:
            address = endpoint.address or ""
            if endpoint.channel_type in (ChannelType.SMS, ChannelType.VOICE) and (
                address.startswith("+")
            ):
                digits = address[1:]
                for length in (3, 2, 1):
                    zone = _BY_CALLING_CODE.get(digits[:length])
                    if zone:
                        return zone
        elif method == TimezoneEstimationMethod.POSTAL_CODE:
            country = (endpoint.location.country if endpoint.location else None) or ""
            code = country.strip().upper()
            code = _ALPHA3.get(code, code)
            if code in _SINGLE_ZONE:
                return _SINGLE_ZONE[code][1]
    return None


@dataclass(frozen=True, slots=True)
class ParticipantZone:
    """The participant's zone for quiet time (``known``: None when neither set nor
    estimated) and for open hours and closed days (``local``: falls back)."""

    known: tzinfo | None
    local: tzinfo
    name: str | None


def participant_zone(endpoint: Endpoint, journey: JourneyResponse) -> ParticipantZone:
    """The zones of one participant (module docstring)."""
    given = endpoint.demographic.timezone if endpoint.demographic else None
    name = given if _zone(given) else estimate_zone(endpoint, journey.timezone_estimation_methods)
    known = _zone(name)
    if known is not None:
        return ParticipantZone(known, known, name)
    fallback: tzinfo = UTC
    schedule_zone = journey.schedule.timezone if journey.schedule else None
    if schedule_zone:
        fallback = parse_utc_offset(schedule_zone)
    return ParticipantZone(None, fallback, None)


def _hh_mm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _channel_key(channel: ChannelType) -> str:
    if channel in (ChannelType.EMAIL, ChannelType.SMS, ChannelType.VOICE, ChannelType.CUSTOM):
        return channel.value.lower()
    return "push"


def _rules(
    open_hours: OpenHours, channel: ChannelType
) -> dict[DayOfWeek, list[OpenHoursRule]] | None:
    by_day: dict[DayOfWeek, list[OpenHoursRule]] | None = getattr(open_hours, _channel_key(channel))
    return by_day


def open_hours_until(
    open_hours: OpenHours | None, channel: ChannelType, now: datetime, zone: tzinfo
) -> datetime | None:
    """None when the channel may send now; else the next moment one of its open-hours
    rules begins (UTC). A channel without open hours is always open."""
    if open_hours is None:
        return None
    by_day = _rules(open_hours, channel)
    if by_day is None:
        return None
    local = now.astimezone(zone).replace(tzinfo=None)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        rules = sorted(by_day.get(_WEEKDAYS[day.weekday()], []), key=lambda r: r.start_time or "")
        for rule in rules:
            start = datetime.combine(day, _hh_mm(rule.start_time or "00:00"))
            end = datetime.combine(day, _hh_mm(rule.end_time or "00:00"))
            if offset == 0 and start <= local < end:
                return None
            if start > local:
                return _wall_to_utc(start, zone)
    return None  # no rule in any weekday: nothing to wait for, so do not block


def _closed_instant(text: str, zone: tzinfo) -> datetime:
    stripped = text.strip()
    has_offset = stripped.endswith(("Z", "z")) or (
        len(stripped) > 19 and stripped[-6] in "+-" and stripped[-3] == ":"
    )
    if has_offset:
        return parse_instant(stripped)
    return _wall_to_utc(datetime.fromisoformat(stripped), zone)


def closed_days_until(
    closed: ClosedDays | None, channel: ChannelType, now: datetime, zone: tzinfo
) -> tuple[datetime, str | None] | None:
    """None when no closed-days rule of the channel covers ``now``; else the end of the
    covering period (UTC, the latest end of overlapping rules) and its name."""
    if closed is None:
        return None
    rules: list[ClosedDaysRule] = getattr(closed, _channel_key(channel)) or []
    found: tuple[datetime, str | None] | None = None
    moment = now.astimezone(UTC)
    for rule in rules:
        start = _closed_instant(rule.start_date_time or "", zone)
        end = _closed_instant(rule.end_date_time or "", zone)
        if start <= moment < end and (found is None or end > found[0]):
            found = (end, rule.name)
    return found


def quiet_until(journey: JourneyResponse, now: datetime, zone: ParticipantZone) -> datetime | None:
    """When the participant's quiet time ends (UTC), or None outside it (or when its time
    zone is unknown, or the journey has no quiet time)."""
    window = QuietWindow.of(journey.quiet_time)
    if window is None or zone.known is None:
        return None
    return window.until(now, zone.known)
