"""Pinpoint's date helpers: ``dateFormat`` and ``now`` with Java date patterns and
styles (Pinpoint's helpers are handlebars.java's), time zones by name."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clarion.domain.templates.engine.runtime import HelperCall, helper
from clarion.domain.templates.engine.values import HelperError, as_scalar, as_text

# ---- dates

_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
# Pinpoint's examples abbreviate September as "Sept"; the other months take three letters.
_MONTH_ABBREVIATIONS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec",
)  # fmt: skip
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DATE_STYLES = {
    "full": "EEEE, MMMM d, yyyy",
    "long": "MMMM d, yyyy",
    "medium": "MMM d, yyyy",
    "short": "M/d/yy",
}
_PATTERN_TOKEN = re.compile(r"'([^']*)'|([A-Za-z])\2*|(.)", re.DOTALL)


def _offset_text(moment: datetime, colon: bool, z_for_utc: bool) -> str:
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    if z_for_utc and minutes == 0:
        return "Z"
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


def format_java_date(moment: datetime, pattern: str) -> str:
    """Format a datetime with a java.text.SimpleDateFormat pattern (Pinpoint's)."""
    out: list[str] = []
    for match in _PATTERN_TOKEN.finditer(pattern):
        quoted, letter, other = match.groups()
        if quoted is not None:
            out.append(quoted if quoted else "'")
            continue
        if other is not None:
            out.append(other)
            continue
        width = len(match.group(0))
        out.append(_format_field(moment, letter, width))
    return "".join(out)


def _format_field(moment: datetime, letter: str, width: int) -> str:
    hour = moment.hour
    simple = {
        "d": moment.day,
        "H": hour,
        "k": hour or 24,
        "K": hour % 12,
        "h": hour % 12 or 12,
        "m": moment.minute,
        "s": moment.second,
        "D": moment.timetuple().tm_yday,
        "u": moment.isoweekday(),
        "w": moment.isocalendar()[1],
        "F": (moment.day - 1) // 7 + 1,
    }
    if letter in simple:
        return str(simple[letter]).zfill(width)
    if letter in "yY":
        return f"{moment.year % 100:02d}" if width == 2 else str(moment.year).zfill(width)
    if letter in "ML":
        if width >= 4:
            return _MONTHS[moment.month - 1]
        if width == 3:
            return _MONTH_ABBREVIATIONS[moment.month - 1]
        return str(moment.month).zfill(width)
    if letter == "E":
        day = _DAYS[moment.weekday()]
        return day if width >= 4 else day[:3]
    if letter == "a":
        return "AM" if hour < 12 else "PM"
    if letter == "S":
        return str(moment.microsecond // 1000).zfill(width)
    if letter == "G":
        return "AD"
    if letter == "z":
        zone = moment.tzinfo
        if width >= 4 and isinstance(zone, ZoneInfo):
            return zone.key
        return moment.tzname() or ""
    if letter == "Z":
        return _offset_text(moment, colon=False, z_for_utc=False)
    if letter == "X":
        text = _offset_text(moment, colon=width >= 3, z_for_utc=True)
        return text[:3] if width == 1 and text != "Z" else text
    raise HelperError(f"date pattern letter {letter!r} is not supported")


_STRPTIME = {
    "yyyy": "%Y", "yy": "%y", "y": "%Y", "MMMM": "%B", "MMM": "%b", "MM": "%m", "M": "%m",
    "dd": "%d", "d": "%d", "HH": "%H", "H": "%H", "hh": "%I", "h": "%I", "mm": "%M",
    "m": "%M", "ss": "%S", "s": "%S", "SSS": "%f", "a": "%p", "EEEE": "%A", "EEE": "%a",
    "E": "%a", "Z": "%z", "X": "%z", "XX": "%z", "XXX": "%z",
}  # fmt: skip


def _parse_java_date(text: str, pattern: str) -> datetime:
    parts: list[str] = []
    for match in _PATTERN_TOKEN.finditer(pattern):
        quoted, _, other = match.groups()
        if quoted is not None:
            parts.append((quoted or "'").replace("%", "%%"))
        elif other is not None:
            parts.append(other.replace("%", "%%"))
        else:
            directive = _STRPTIME.get(match.group(0))
            if directive is None:
                raise HelperError(f"inputFormat {match.group(0)!r} is not supported")
            parts.append(directive)
    value = text.replace("Sept", "Sep")
    try:
        return datetime.strptime(value, "".join(parts))  # the zone is applied by the caller
    except ValueError:
        raise HelperError(f"{text!r} does not match inputFormat {pattern!r}") from None


def _parse_date(value: Any, input_format: str | None) -> datetime:
    text = as_text(as_scalar(value)).strip()
    if not text:
        raise HelperError("no date to format")
    if input_format:
        return _parse_java_date(text, input_format)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HelperError(f"{text!r} is not an ISO-8601 date; give inputFormat") from None
    return datetime(day.year, day.month, day.day)  # the zone is applied by the caller


def _zone(call: HelperCall) -> tzinfo:
    raw = call.raw_hash.get("tz")
    name = call.literal_or_value(call.hash.get("tz"), raw) if raw is not None else None
    name = name or call.state.timezone or "UTC"
    try:
        return ZoneInfo(as_text(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise HelperError(f"{as_text(name)!r} is not a tz database time zone") from None


def _format_in_style(moment: datetime, style: str | None) -> str:
    chosen = style or "medium"
    return format_java_date(moment, _DATE_STYLES.get(chosen, chosen))


def _in_zone(moment: datetime, zone: tzinfo) -> datetime:
    # A date or time without an offset is taken as wall time where it will be read.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


@helper("dateFormat", "formatDate", word_keys=("tz",))
def _date_format(call: HelperCall) -> Any:
    input_format = call.hash.get("inputFormat")
    output = call.hash.get("outputFormat", call.hash.get("format", call.param(1)))
    moment = _parse_date(call.param(0), as_text(input_format) if input_format else None)
    return _format_in_style(_in_zone(moment, _zone(call)), as_text(output) if output else None)


@helper("now", word_keys=("tz",))
def _now(call: HelperCall) -> Any:
    current = call.state.now or datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    style = call.param(0, call.hash.get("format"))
    return _format_in_style(current.astimezone(_zone(call)), as_text(style) if style else None)
