"""Sample customer files for demos, tests and benchmarks.

The file uses exactly the header of the customer file in the Pinpoint whitepaper
(docs/pinpoint-formats.md, "Import files"). Values look real but are safe: email
addresses use the reserved example domains, phone numbers use the 555 exchange, and the
same seed always gives the same file. Rows are written as they are made, so a million
rows take no more memory than ten.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

WHITEPAPER_HEADER = (
    "ChannelType",
    "Address",
    "Attributes.Address",
    "Location.Country",
    "User.UserAttributes.FirstName",
    "User.UserAttributes.LastName",
    "User.UserAttributes.Company",
    "User.UserAttributes.MailingStreet1",
    "User.UserAttributes.MailingStreet2",
    "User.UserAttributes.MailingCity",
    "User.UserAttributes.MailingRegion",
    "User.UserAttributes.MailingCountry",
    "User.UserAttributes.PostalCode",
    "OptOut",
    "Demographic.Timezone",
    "Demographic.Locale",
    "User.UserId",
    "User.UserAttributes.RefNumber",
)

# The kinds of bad row a demo can ask for, in the order they are injected, with the
# field each one breaks.
BAD_ROW_KINDS = (
    ("bad_email", "Address"),
    ("bad_phone", "Address"),
    ("bad_timezone", "Demographic.Timezone"),
)

_FIRST_NAMES = (
    "Zoë", "José", "Søren", "Amelia", "Liam", "Olivia", "Noah", "Mateo", "Sofía", "Hiroshi",
    "Yuki", "Priya", "Arjun", "Chloé", "Lukas", "Emma", "Ananya", "Carlos", "Fatima", "Oliver",
    "Mia", "Lucas", "Isabella", "Ethan", "Aoife", "Björn", "Léa", "Kwame", "Mei", "Diego",
)  # fmt: skip
_LAST_NAMES = (
    "Müller", "García", "Smith", "Johnson", "Nakamura", "Okafor", "Dubois", "Rossi", "Kowalski",
    "Silva", "Patel", "Nguyen", "O'Brien", "Jensen", "Schmidt", "Brown", "Martin", "Tanaka",
    "Fernández", "Wilson", "Andersson", "Moreau", "Kim", "Santos", "Walker", "Ivanova",
)  # fmt: skip
_COMPANIES = (
    "AnyCompany", "Example Corp", "Octank", "AnyCompany Financial", "Example Logistics",
    "Octank Health", "AnyCompany Retail", "Example Travel, Inc.",
)  # fmt: skip
_STREETS = (
    "Main St", "Market St", "High Street", "Oak Avenue", "Station Road", "Rue de Rivoli",
    "Calle Mayor", "Hauptstraße", "King Street", "Harbour Road",
)  # fmt: skip
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


@dataclass(frozen=True, slots=True)
class _Country:
    code: str
    locale: str
    cities: tuple[tuple[str, str, str, str], ...]  # city, region, time zone, postal prefix
    weight: int


_COUNTRIES = (
    _Country(
        "US",
        "en_US",
        (
            ("Seattle", "WA", "America/Los_Angeles", "981"),
            ("New York", "NY", "America/New_York", "100"),
            ("Chicago", "IL", "America/Chicago", "606"),
            ("Denver", "CO", "America/Denver", "802"),
        ),
        40,
    ),
    _Country("GB", "en_GB", (("London", "England", "Europe/London", "EC1"),), 10),
    _Country(
        "DE",
        "de_DE",
        (("Berlin", "BE", "Europe/Berlin", "10"), ("Munich", "BY", "Europe/Berlin", "80")),
        10,
    ),
    _Country("FR", "fr_FR", (("Paris", "IDF", "Europe/Paris", "75"),), 8),
    _Country("ES", "es_ES", (("Madrid", "MD", "Europe/Madrid", "28"),), 6),
    _Country("JP", "ja_JP", (("Tokyo", "Tokyo", "Asia/Tokyo", "100"),), 6),
    _Country("IN", "en_IN", (("Bengaluru", "KA", "Asia/Kolkata", "560"),), 6),
    _Country("BR", "pt_BR", (("São Paulo", "SP", "America/Sao_Paulo", "01"),), 5),
    _Country("AU", "en_AU", (("Sydney", "NSW", "Australia/Sydney", "20"),), 5),
    _Country("CA", "en_CA", (("Toronto", "ON", "America/Toronto", "M5"),), 4),
)
_COUNTRY_WEIGHTS = tuple(c.weight for c in _COUNTRIES)


def _zipf_cumulative(count: int) -> tuple[float, ...]:
    # Names and employers are skewed in real customer lists (a few are common, most
    # rare); a Zipf-like weighting also gives the demo's refined segment a useful size.
    total, cumulative = 0.0, []
    for rank in range(1, count + 1):
        total += 1.0 / rank
        cumulative.append(total)
    return tuple(cumulative)


_FIRST_NAME_CUMULATIVE = _zipf_cumulative(len(_FIRST_NAMES))
_COMPANY_CUMULATIVE = _zipf_cumulative(len(_COMPANIES))

_SMS_SHARE = 0.15
_OPT_OUT_SHARE = 0.02
_SAME_CUSTOMER_SMS_SHARE = 0.5  # SMS rows that are a second endpoint of the row before


@dataclass
class SampleFile:
    """What was written: the row count, and the file lines (header is line 1) of the
    injected bad rows with the field each one breaks."""

    path: Path
    rows: int
    bad_rows: dict[int, str] = field(default_factory=dict)


def bad_row_positions(count: int, bad_rows: int) -> list[int]:
    """The 0-based row indexes where bad rows go: spread evenly through the file."""
    if bad_rows < 0 or bad_rows > count:
        raise ValueError(f"bad_rows must be between 0 and the row count ({count})")
    return [(k + 1) * count // (bad_rows + 1) for k in range(bad_rows)]


def _ascii(text: str) -> str:
    replacements = {"ë": "e", "é": "e", "ø": "o", "í": "i", "ö": "o", "ü": "u", "á": "a"}
    folded = "".join(replacements.get(ch, ch) for ch in text.lower())
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


# North American area codes (N11 codes are service numbers, not areas).
_AREA_CODES = tuple(code for code in range(201, 1000) if code % 100 != 11)


def _phone(index: int) -> str:
    # The 555 exchange, with the area code varying so that every row's number is distinct.
    area = _AREA_CODES[(index // 10_000) % len(_AREA_CODES)]
    return f"+1{area}555{index % 10_000:04d}"


def customer_rows(count: int, *, seed: int = 0, bad_rows: int = 0) -> Iterator[list[str]]:
    """Yield ``count`` customer rows (header excluded) in WHITEPAPER_HEADER order."""
    rng = random.Random(seed)  # noqa: S311 (repeatable sample data, not secrets)
    bad_at = {
        position: BAD_ROW_KINDS[k % len(BAD_ROW_KINDS)][0]
        for k, position in enumerate(bad_row_positions(count, bad_rows))
    }
    previous: list[str] | None = None
    for index in range(count):
        kind = bad_at.get(index)
        sms = kind == "bad_phone" or (kind is None and rng.random() < _SMS_SHARE)
        if (
            sms
            and previous is not None
            and kind is None
            and rng.random() < _SAME_CUSTOMER_SMS_SHARE
        ):
            row = list(previous)  # the same customer's phone, beside their email
            row[0], row[1] = "SMS", _phone(index)
            previous = None
            yield row
            continue
        country = rng.choices(_COUNTRIES, weights=_COUNTRY_WEIGHTS)[0]
        city, region, zone, postal = rng.choice(country.cities)
        first = rng.choices(_FIRST_NAMES, cum_weights=_FIRST_NAME_CUMULATIVE)[0]
        last = rng.choice(_LAST_NAMES)
        street = f"{rng.randint(1, 999)} {rng.choice(_STREETS)}"
        unit = f"Apt {rng.randint(1, 60)}" if rng.random() < 0.3 else ""
        if sms:
            channel, address = "SMS", _phone(index)
        else:
            channel = "EMAIL"
            address = f"{_ascii(first)}.{_ascii(last)}{index}@{rng.choice(_EMAIL_DOMAINS)}"
        if kind == "bad_email":
            address = f"{_ascii(first)}.{_ascii(last)}{index}@"
        elif kind == "bad_phone":
            address = f"555-{index % 10_000:04d}"
        elif kind == "bad_timezone":
            zone = "Mars/Olympus_Mons"
        row = [
            channel,
            address,
            f"{street}, {city}",
            country.code,
            first,
            last,
            rng.choices(_COMPANIES, cum_weights=_COMPANY_CUMULATIVE)[0],
            street,
            unit,
            city,
            region,
            country.code,
            f"{postal}{rng.randint(0, 99):02d}",
            "ALL" if rng.random() < _OPT_OUT_SHARE else "NONE",
            zone,
            country.locale,
            f"cust-{index:08d}",
            f"REF-{rng.randint(0, 99_999_999):08d}",
        ]
        previous = row if channel == "EMAIL" and kind is None else None
        yield row


def write_customers(
    out: Path | IO[str], count: int, *, seed: int = 0, bad_rows: int = 0
) -> SampleFile:
    """Write a whitepaper-format customer CSV, streaming.

    Parameters
    ----------
    out
        A path (created or replaced, UTF-8) or an open text stream (opened with
        ``newline=""``).
    count
        Data rows to write (the header comes on top).
    seed
        The same seed gives the same file.
    bad_rows
        How many rows to break (a bad email, a bad phone number, a bad time zone, in
        turn), spread evenly; their lines are in the result.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    positions = bad_row_positions(count, bad_rows)
    kinds = {
        position + 2: BAD_ROW_KINDS[k % len(BAD_ROW_KINDS)][1]
        for k, position in enumerate(positions)
    }
    rows = customer_rows(count, seed=seed, bad_rows=bad_rows)
    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8", newline="") as handle:
            _write(handle, rows)
        return SampleFile(out, count, kinds)
    _write(out, rows)
    return SampleFile(Path(getattr(out, "name", "-")), count, kinds)


def _write(handle: IO[str], rows: Iterator[list[str]]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(WHITEPAPER_HEADER)
    writer.writerows(rows)
