"""JSON lines of mixed event records ingested as columns: the local ColumnarEventIngest.

The per-record path (:func:`~clarion.domain.events.normalise.normalise_json_lines`, then
:meth:`DuckDBEventStore.put_records`) builds a pydantic ``EventRecord`` for every line,
checks it field by field, and then walks the records again to make the Arrow table the
store inserts. This adapter makes the table's columns straight from the decoded lines:

1. each line is decoded once (``json.loads``);
2. the common shapes (SES v2 event records, SMS/MMS/voice v2 delivery records, and
   Pinpoint event-stream records of the plain kind apps and PutEvents produce) go
   through a *fast row*: preconditions at least as strict as the reference's rules,
   then the reference's own helpers for the values (event type, attributes, facets,
   ids), appended to flat column lists;
3. every other line (envelopes, PutEvents bodies, inbound SMS, unusual fields, anything
   broken, anything a precondition doubts, anything that raises) is *deferred*: handed to
   the per-record normaliser (``normalise_payload``) as it is, which gives it exactly the
   records or rejects it always did, and its records are appended to the same columns in
   line order;
4. one batch of columns goes into DuckDB as one Arrow table, the first copy of an event
   id winning within the batch and ``ON CONFLICT DO NOTHING`` across batches, as
   ``put_records`` does.

So the per-record normaliser stays the reference: a line this adapter turns into a row
itself is one the reference would have turned into the same row, and a line it doubts
costs only speed. Every reject comes from the reference, so errors name the same line,
field and reason. The differential test (tests/unit/test_columnar_ingest_differential.py)
runs both on random mixed lines, valid and broken, and requires the same stored rows and
the same rejects.

Written here rather than with a library because no JSON or Arrow library knows the
mapping from SES and SMS records to Pinpoint's; pyarrow and DuckDB do the table work.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Callable, Iterable
from typing import Any

import pyarrow as pa

from clarion.adapters.local.common.arrow import map_array
from clarion.adapters.local.common.database import LocalDatabase
from clarion.adapters.local.events.event_sink import ARROW_SCHEMA, COLUMNS
from clarion.domain.common.json_input import MAX_JSON_DEPTH
from clarion.domain.events.normalise.common import _ms
from clarion.domain.events.normalise.kinesis import normalise_payload
from clarion.domain.events.normalise.lines import line_not_json
from clarion.domain.events.normalise.ses import (
    _SES_DETAIL,
    _SNAKE_NAMES,
    _VERBATIM_KEYS,
    SES_HARD_BOUNCE_TYPES,
    SES_SOFT_BOUNCE_TYPES,
    _joined,
    _mail_facet,
    _ses_attributes,
    ses_event_type,
    snake_case,
)
from clarion.domain.events.normalise.sms import _SMS_FAMILIES, _millicents, sms_event_type
from clarion.domain.events.records import (
    _MAX_EPOCH_MS,
    _MIN_EPOCH_MS,
    MAX_EVENT_ATTRIBUTE_VALUE_LENGTH,
    PINPOINT_EVENT_VERSION,
    EventRecord,
    MessageContext,
    Normalised,
    make_event_id,
    string_attributes,
)
from clarion.domain.events.rows import compact_json, event_date
from clarion.ports.events import ColumnarIngestResult

DEFAULT_BATCH = 10_000
# The database's checkpoint threshold while an ingestion runs (see ingest_lines).
CHECKPOINT_THRESHOLD = "256MiB"
_BOUNCE_TYPES = SES_HARD_BOUNCE_TYPES | SES_SOFT_BOUNCE_TYPES
_SMS_PREFIXES = tuple(_SMS_FAMILIES)
# The keys of the Pinpoint records the fast row takes (no device, endpoint or facets:
# records with those, or with keys of their own, are deferred).
_PINPOINT_KEYS = frozenset(
    {
        "event_type",
        "event_timestamp",
        "arrival_timestamp",
        "event_version",
        "application",
        "client",
        "session",
        "attributes",
        "metrics",
        "event_id",
    }
)
_SESSION_KEYS = frozenset({"session_id", "start_timestamp", "stop_timestamp", "duration"})
# What a fast row may raise on odd input: the line is deferred, and the reference decides.
_DOUBTS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError)


class _DeferredError(Exception):
    """A precondition of the fast row does not hold: the reference decides."""


def _epoch_ok(value: Any) -> bool:
    return type(value) is int and _MIN_EPOCH_MS <= value < _MAX_EPOCH_MS


def _iso_ms(value: Any) -> int:
    """Epoch ms of an SES ISO-8601 time, as the reference reads and checks it."""
    if type(value) is not str:
        raise _DeferredError
    ms = _ms(value)
    if not _MIN_EPOCH_MS <= ms < _MAX_EPOCH_MS:
        raise _DeferredError
    return ms


class _Columns:
    """The events table's columns for one batch, as flat lists (nested parts by leaf)."""

    _LEAVES = (
        "event_id",
        "event_type",
        "event_timestamp",
        "arrival_timestamp",
        "event_version",
        "app_id",
        "package_name",
        "title",
        "version_name",
        "version_code",
        "sdk_name",
        "sdk_version",
        "client_id",
        "cognito_id",
        "locale_code",
        "locale_country",
        "locale_language",
        "locale_null",
        "make",
        "model",
        "platform_name",
        "platform_version",
        "session_id",
        "start_timestamp",
        "stop_timestamp",
        "duration",
        "attributes",
        "metrics",
        "awsaccountid",
        "endpoint_id",
        "endpoint_json",
        "facets_json",
    )

    def __init__(self, keep: Callable[[str], bool] | None = None) -> None:
        self.col: dict[str, list[Any]] = {name: [] for name in self._LEAVES}
        self.seen: set[str] = set()
        # Records of the types the caller keeps: never fast rows, and collected here
        # (first copies in the batch) to be returned when the insert finds them new.
        self.keep = keep
        self.candidates: list[EventRecord] = []

    def __len__(self) -> int:
        return len(self.seen)

    def add_delivery(
        self,
        event_id: str,
        event_type: str,
        event_timestamp: int,
        arrival_timestamp: int,
        app_id: str,
        client_id: str | None,
        attributes: dict[str, str],
        metrics: dict[str, float],
        account: str | None,
        facets: dict[str, Any],
    ) -> None:
        """A row of an SES or SMS record: no device, session, endpoint or SDK."""
        if self.keep is not None and self.keep(event_type):
            raise _DeferredError
        if event_id in self.seen:  # the first copy in a batch wins, as in put_records
            return
        self.seen.add(event_id)
        self._append(
            {
                "event_id": event_id,
                "event_type": event_type,
                "event_timestamp": event_timestamp,
                "arrival_timestamp": arrival_timestamp,
                "event_version": PINPOINT_EVENT_VERSION,
                "app_id": app_id,
                "client_id": client_id,
                "locale_null": True,
                "attributes": attributes,
                "metrics": metrics,
                "awsaccountid": account,
                "endpoint_id": client_id,
                "facets_json": compact_json(facets),
            }
        )

    def add_pinpoint(
        self,
        record: dict[str, Any],
        application: dict[str, Any],
        sdk: dict[str, Any],
        client: dict[str, Any],
        session: dict[str, Any],
        attributes: dict[str, str],
        metrics: dict[str, float],
    ) -> None:
        """A row of a plain Pinpoint record (checked by :func:`_pinpoint_row`)."""
        if self.keep is not None and self.keep(record["event_type"]):
            raise _DeferredError
        event_id = record["event_id"]
        if event_id in self.seen:
            return
        self.seen.add(event_id)
        client_id = client.get("client_id")
        self._append(
            {
                "event_id": event_id,
                "event_type": record["event_type"],
                "event_timestamp": record["event_timestamp"],
                "arrival_timestamp": record["arrival_timestamp"],
                "event_version": record.get("event_version", PINPOINT_EVENT_VERSION),
                "app_id": application["app_id"],
                "sdk_name": sdk.get("name"),
                "sdk_version": sdk.get("version"),
                "client_id": client_id,
                "locale_null": True,
                "session_id": session.get("session_id"),
                "start_timestamp": session.get("start_timestamp"),
                "stop_timestamp": session.get("stop_timestamp"),
                "duration": session.get("duration"),
                "attributes": attributes,
                "metrics": metrics,
                "endpoint_id": client_id,
            }
        )

    def add_record(self, record: EventRecord) -> None:
        """A row of a record the reference normaliser made (a deferred line)."""
        if record.event_id in self.seen:
            return
        self.seen.add(record.event_id)
        if self.keep is not None and self.keep(record.event_type):
            self.candidates.append(record)
        app, device, session = record.application, record.device, record.session
        locale, platform = device.locale, device.platform
        values = {
            "event_id": record.event_id,
            "event_type": record.event_type,
            "event_timestamp": record.event_timestamp,
            "arrival_timestamp": record.arrival_timestamp,
            "event_version": record.event_version,
            "app_id": app.app_id,
            "package_name": app.package_name,
            "title": app.title,
            "version_name": app.version_name,
            "version_code": app.version_code,
            "sdk_name": app.sdk.name,
            "sdk_version": app.sdk.version,
            "client_id": record.client.client_id,
            "cognito_id": record.client.cognito_id,
            "locale_code": locale.code if locale else None,
            "locale_country": locale.country if locale else None,
            "locale_language": locale.language if locale else None,
            "locale_null": locale is None,
            "make": device.make,
            "model": device.model,
            "platform_name": platform.name,
            "platform_version": platform.version,
            "session_id": session.session_id,
            "start_timestamp": session.start_timestamp,
            "stop_timestamp": session.stop_timestamp,
            "duration": session.duration,
            "attributes": dict(record.attributes),
            "metrics": {name: float(value) for name, value in record.metrics.items()},
            "awsaccountid": record.aws_account_id,
            "endpoint_id": record.endpoint_id,
            "endpoint_json": compact_json(record.endpoint),
            "facets_json": compact_json(record.facets),
        }
        self._append(values)

    def _append(self, values: dict[str, Any]) -> None:
        """One row: every leaf from ``values``, null where it has none."""
        for name, column in self.col.items():
            column.append(values.get(name))

    def table(self) -> pa.Table:
        """The batch as the Arrow table :func:`records_to_arrow` makes of its records."""
        types = {name: ARROW_SCHEMA.field(name).type for name in COLUMNS}
        col = self.col

        def strings(name: str) -> pa.Array:
            return pa.array(col[name], type=pa.string())

        def ints(name: str) -> pa.Array:
            return pa.array(col[name], type=pa.int64())

        def struct(kind: pa.DataType, children: dict[str, pa.Array], mask: Any = None) -> Any:
            fields = [kind.field(i) for i in range(kind.num_fields)]
            return pa.StructArray.from_arrays(
                [children[f.name] for f in fields], fields=fields, mask=mask
            )

        device = types["device"]
        columns = {
            "event_id": strings("event_id"),
            "event_type": strings("event_type"),
            "event_timestamp": ints("event_timestamp"),
            "arrival_timestamp": ints("arrival_timestamp"),
            "event_version": strings("event_version"),
            "application": struct(
                types["application"],
                {
                    "app_id": strings("app_id"),
                    "package_name": strings("package_name"),
                    "title": strings("title"),
                    "version_name": strings("version_name"),
                    "version_code": strings("version_code"),
                    "sdk": struct(
                        types["application"].field("sdk").type,
                        {"name": strings("sdk_name"), "version": strings("sdk_version")},
                    ),
                },
            ),
            "client": struct(
                types["client"],
                {"client_id": strings("client_id"), "cognito_id": strings("cognito_id")},
            ),
            "device": struct(
                device,
                {
                    "locale": struct(
                        device.field("locale").type,
                        {
                            "code": strings("locale_code"),
                            "country": strings("locale_country"),
                            "language": strings("locale_language"),
                        },
                        pa.array(col["locale_null"], type=pa.bool_()),
                    ),
                    "make": strings("make"),
                    "model": strings("model"),
                    "platform": struct(
                        device.field("platform").type,
                        {
                            "name": strings("platform_name"),
                            "version": strings("platform_version"),
                        },
                    ),
                },
            ),
            "session": struct(
                types["session"],
                {
                    "session_id": strings("session_id"),
                    "start_timestamp": ints("start_timestamp"),
                    "stop_timestamp": ints("stop_timestamp"),
                    "duration": ints("duration"),
                },
            ),
            "attributes": map_array(col["attributes"], types["attributes"]),
            "metrics": map_array(col["metrics"], types["metrics"]),
            "awsaccountid": strings("awsaccountid"),
            "endpoint_id": strings("endpoint_id"),
            "endpoint_json": strings("endpoint_json"),
            "facets_json": strings("facets_json"),
            "dt": pa.array([event_date(ms) for ms in col["event_timestamp"]], type=pa.string()),
        }
        return pa.Table.from_arrays([columns[name] for name in COLUMNS], schema=ARROW_SCHEMA)


def _snake_keys(value: Any) -> Any:
    """The reference's ``snake_keys`` for decoded JSON (dicts with string keys, lists and
    scalars only), with the name cache read inline and scalars never passed to a call."""
    kind = type(value)
    if kind is dict:
        out = {}
        names = _SNAKE_NAMES
        for key, item in value.items():
            name = names.get(key)
            if name is None:
                name = snake_case(key)
            inner = type(item)
            if (inner is dict or inner is list) and key not in _VERBATIM_KEYS:
                item = _snake_keys(item)
            out[name] = item
        return out
    if kind is list:
        return [
            _snake_keys(item) if type(item) is dict or type(item) is list else item
            for item in value
        ]
    return value


# -- fast rows: the common shapes ----------------------------------------------------


def _ses_row(
    record: dict[str, Any], columns: _Columns, app_id: str, arrival: int, account: str | None
) -> None:
    """An SES v2 record as the reference's ``_ses_record`` makes it, or _DeferredError."""
    kind = record.get("eventType")
    if type(kind) is not str or kind not in _SES_DETAIL:
        raise _DeferredError
    event_type = ses_event_type(record)
    if columns.keep is not None and columns.keep(event_type):
        raise _DeferredError  # before the work: the caller's normaliser makes the record
    mail = record["mail"]
    message_id = mail.get("messageId")
    if type(message_id) is not str or not message_id:
        raise _DeferredError
    key, facet_key = _SES_DETAIL[kind]
    detail = record.get(key, {}) if kind == "Send" else record.get(key)
    if type(detail) is not dict:
        raise _DeferredError
    mail_ms = _iso_ms(mail.get("timestamp"))
    if "timestamp" in detail:
        stamp = detail["timestamp"]
        event_ms = _iso_ms(stamp)
    else:
        stamp, event_ms = mail["timestamp"], mail_ms
    if not stamp:  # the reference falls back on mail.timestamp
        stamp, event_ms = mail["timestamp"], mail_ms
    if kind == "Bounce" and detail.get("bounceType") not in _BOUNCE_TYPES:
        raise _DeferredError
    owner = mail.get("sendingAccountId") or account
    if owner is not None and type(owner) is not str:
        raise _DeferredError
    context = MessageContext.from_ses_tags(mail.get("tags"))
    attributes = string_attributes(
        [
            *context.pinpoint_attributes().items(),
            ("message_id", message_id),
            ("from_address", mail.get("source")),
            ("destination", _joined(mail.get("destination"))),
            *_ses_attributes(kind, detail),
        ]
    )
    distinguishing = detail.get("link") or detail.get("feedbackId") or ""
    facets = {
        "email_channel": {"mail_event": {"mail": _mail_facet(mail), facet_key: _snake_keys(detail)}}
    }
    columns.add_delivery(
        make_event_id("ses", message_id, kind, stamp, distinguishing),
        event_type,
        event_ms,
        arrival,
        _app(context.app_id or app_id),
        _client(context.endpoint_id),
        attributes,
        {},
        owner,
        facets,
    )


def _sms_row(
    record: dict[str, Any], columns: _Columns, app_id: str, arrival: int, account: str | None
) -> None:
    """An SMS/MMS/voice v2 record as the reference's ``_sms_record`` makes it."""
    kind = record["eventType"]
    event_type = sms_event_type(kind)  # ValueError: deferred
    if columns.keep is not None and columns.keep(event_type):
        raise _DeferredError
    message_id = record.get("messageId")
    if type(message_id) is not str or not message_id:
        raise _DeferredError
    stamp: Any = record.get("eventTimestamp")
    if not _epoch_ok(stamp):
        raise _DeferredError
    context_in = record.get("context")
    if context_in is not None and type(context_in) is not dict:
        raise _DeferredError
    metrics = {}
    for name, source in (
        ("price_in_millicents_usd", "totalMessagePrice"),
        ("carrier_fee_in_millicents_usd", "totalCarrierFee"),
    ):
        value = record.get(source)
        if value is None:
            continue
        if type(value) is not int and type(value) is not float:
            raise _DeferredError
        millicents = _millicents(value)
        if millicents is None or not math.isfinite(millicents):
            raise _DeferredError
        metrics[name] = millicents
    prefix = next(p for p in _SMS_PREFIXES if kind.startswith(p))
    context = MessageContext.from_sms_context(context_in)
    message_type = record.get("messageType")
    attributes = string_attributes(
        [
            *context.pinpoint_attributes().items(),
            ("message_id", message_id),
            ("destination_phone_number", record.get("destinationPhoneNumber")),
            ("origination_phone_number", record.get("originationPhoneNumber")),
            ("record_status", record.get("messageStatus") or kind[len(prefix) :]),
            ("record_status_description", record.get("messageStatusDescription")),
            ("iso_country_code", record.get("isoCountryCode")),
            ("number_of_message_parts", record.get("totalMessageParts")),
            ("message_type", message_type.capitalize() if isinstance(message_type, str) else None),
            ("carrier_name", record.get("carrierName")),
            ("mcc", record.get("mcc")),
            ("mnc", record.get("mnc")),
            ("is_final", record.get("isFinal")),
        ]
    )
    if account is not None and type(account) is not str:
        raise _DeferredError
    facets = {_SMS_FAMILIES[prefix][1]: _snake_keys(record)}
    columns.add_delivery(
        make_event_id("sms_v2", message_id, kind, stamp),
        event_type,
        stamp,
        arrival,
        _app(context.app_id or app_id),
        _client(context.endpoint_id),
        attributes,
        metrics,
        account,
        facets,
    )


def _pinpoint_row(record: dict[str, Any], columns: _Columns) -> None:
    """A plain Pinpoint record, stored as ``EventRecord.from_json`` would keep it."""
    if not _PINPOINT_KEYS.issuperset(record):
        raise _DeferredError
    event_type, event_id = record.get("event_type"), record.get("event_id")
    if columns.keep is not None and type(event_type) is str and columns.keep(event_type):
        raise _DeferredError
    if type(event_type) is not str or not event_type or type(event_id) is not str or not event_id:
        raise _DeferredError
    if not _epoch_ok(record.get("event_timestamp")) or not _epoch_ok(
        record.get("arrival_timestamp")
    ):
        raise _DeferredError
    if type(record.get("event_version", "")) is not str:
        raise _DeferredError
    application = record.get("application")
    if (
        type(application) is not dict
        or not {"app_id", "sdk"}.issuperset(application)
        or type(application.get("app_id")) is not str
    ):
        raise _DeferredError
    sdk = application.get("sdk", {})
    if type(sdk) is not dict or not _optional_strings(sdk, ("name", "version")):
        raise _DeferredError
    client = record.get("client", {})
    if type(client) is not dict or not _optional_strings(client, ("client_id",)):
        raise _DeferredError
    session = record.get("session", {})
    if type(session) is not dict or not _SESSION_KEYS.issuperset(session):
        raise _DeferredError
    session_id = session.get("session_id")
    if session_id is not None and type(session_id) is not str:
        raise _DeferredError
    for name in ("start_timestamp", "stop_timestamp"):
        if session.get(name) is not None and not _epoch_ok(session[name]):
            raise _DeferredError
    if session.get("duration") is not None and type(session["duration"]) is not int:
        raise _DeferredError
    attributes = record.get("attributes", {})
    if type(attributes) is not dict:
        raise _DeferredError
    for text in attributes.values():
        if type(text) is not str or len(text) > MAX_EVENT_ATTRIBUTE_VALUE_LENGTH:
            raise _DeferredError
    metrics = record.get("metrics", {})
    if type(metrics) is not dict:
        raise _DeferredError
    floats = {}
    for name, number in metrics.items():
        if type(number) is not float and type(number) is not int:
            raise _DeferredError
        value = float(number)
        if not math.isfinite(value):
            raise _DeferredError
        floats[name] = value
    columns.add_pinpoint(record, application, sdk, client, session, dict(attributes), floats)


def _optional_strings(part: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Only these keys, each a string or null."""
    for name, value in part.items():
        if name not in names or (value is not None and type(value) is not str):
            return False
    return True


def _app(app_id: Any) -> str:
    if type(app_id) is not str:
        raise _DeferredError
    return app_id


def _client(client_id: Any) -> str | None:
    if client_id is not None and type(client_id) is not str:
        raise _DeferredError
    return client_id


def fast_row(
    payload: Any,
    columns: _Columns,
    app_id: str,
    arrival: int,
    account: str | None,
    source: str | None = None,
) -> bool:
    """Append ``payload``'s row if it has a common shape the fast rows take (of
    ``source`` only, when given); False when the reference must decide (nothing
    appended then)."""
    if type(payload) is not dict or "BatchItem" in payload:
        return False
    if "Type" in payload or "detail-type" in payload:  # an SNS or EventBridge envelope
        return False
    try:
        if "event_type" in payload and "event_timestamp" in payload:
            if source not in (None, "pinpoint"):
                return False
            _pinpoint_row(payload, columns)
        elif type(payload.get("mail")) is dict:
            if source not in (None, "ses"):
                return False
            _ses_row(payload, columns, app_id, arrival, account)
        elif (
            type(payload.get("eventType")) is str
            and payload["eventType"].startswith(_SMS_PREFIXES)
            and "messageId" in payload
        ):
            # The SMS v2 source reads a record with an inbound id as an inbound message.
            if source not in (None, "sms_v2") or (source and "inboundMessageId" in payload):
                return False
            _sms_row(payload, columns, app_id, arrival, account)
        else:
            return False
    except (_DeferredError, *_DOUBTS):
        return False
    return True


# -- the adapter -----------------------------------------------------------------------


class DuckDBColumnarEventIngest:
    """ColumnarEventIngest on the embedded database's ``events`` table.

    Parameters
    ----------
    database
        The database whose ``events`` table (the local EventSink's) receives the rows.
    batch_size
        Lines a batch: one Arrow table and one insert each.
    """

    def __init__(self, database: LocalDatabase, batch_size: int = DEFAULT_BATCH) -> None:
        self._database = database
        self._batch_size = batch_size

    def ingest_lines(
        self,
        lines: Iterable[str],
        *,
        app_id: str,
        arrival_timestamp: int,
        aws_account_id: str | None = None,
        source: str | None = None,
        per_line: Callable[[int, str], Normalised] | None = None,
        keep: Callable[[str], bool] | None = None,
    ) -> ColumnarIngestResult:
        cursor = self._database.cursor()
        (threshold,) = cursor.execute(
            "SELECT current_setting('checkpoint_threshold')"
        ).fetchone() or ("16MiB",)
        # DuckDB checkpoints whenever its log passes the threshold (16 MiB by default:
        # every 15,000 rows or so here), and each checkpoint compresses the new rows and
        # writes the event-id index whole, so a long ingestion spends most of its time in
        # them. A larger threshold for the ingestion checkpoints every few hundred
        # thousand rows instead; one checkpoint at the end leaves the log empty.
        cursor.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        # The rows are acyclic (dicts, lists and strings freed by reference counting),
        # yet the cyclic collector's passes over a batch's growing containers take about
        # a quarter of the time: it is paused while the lines are read.
        collecting = gc.isenabled()
        gc.disable()
        try:
            result = self._ingest(
                lines, app_id, arrival_timestamp, aws_account_id, source, per_line, keep
            )
        finally:
            if collecting:
                gc.enable()
            cursor.execute(f"SET checkpoint_threshold = '{threshold.replace(' ', '')}'")
        self._finish(cursor)
        return result

    def _finish(self, cursor: Any) -> None:
        """One checkpoint after the ingestion: the log is left empty."""
        cursor.execute("CHECKPOINT")

    def _ingest(
        self,
        lines: Iterable[str],
        app_id: str,
        arrival_timestamp: int,
        aws_account_id: str | None,
        source: str | None,
        per_line: Callable[[int, str], Normalised] | None,
        keep: Callable[[str], bool] | None,
    ) -> ColumnarIngestResult:
        result = ColumnarIngestResult()
        arrival_ok = _epoch_ok(arrival_timestamp)
        columns = _Columns(keep)
        pending = 0
        loads = json.loads
        for index, line in enumerate(lines):
            result.lines += 1
            payload: Any = None
            decoded = False
            # The caller's normaliser reads JSON with a depth limit: a line that may nest
            # deeper (more brackets than the limit) is left to it undecoded.
            if per_line is None or line.count("{") + line.count("[") <= MAX_JSON_DEPTH:
                try:
                    payload, decoded = loads(line), True
                except json.JSONDecodeError as exc:
                    if not line.strip():
                        continue
                    if per_line is None:
                        result.rejects.append(line_not_json(index, line, exc))
                        continue
            pending += 1
            if (
                decoded
                and arrival_ok
                and fast_row(payload, columns, app_id, arrival_timestamp, aws_account_id, source)
            ):
                result.accepted += 1
            else:
                result.deferred += 1
                if per_line is not None:
                    normalised = per_line(index, line)
                else:
                    normalised = normalise_payload(
                        payload,
                        app_id=app_id,
                        arrival_timestamp=arrival_timestamp,
                        aws_account_id=aws_account_id,
                        index=index,
                    )
                for record in normalised.records:
                    columns.add_record(record)
                result.accepted += len(normalised.records)
                result.rejects.extend(normalised.rejects)
            if pending >= self._batch_size:
                result.stored += self._write(columns, result)
                columns, pending = _Columns(keep), 0
        result.stored += self._write(columns, result)
        return result

    def _write(self, columns: _Columns, result: ColumnarIngestResult) -> int:
        if not len(columns):
            return 0
        cursor = self._database.cursor()
        cursor.register("incoming_event_columns", columns.table())
        try:
            rows = cursor.execute(
                "INSERT INTO events SELECT * FROM incoming_event_columns "
                "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
            ).fetchall()
        finally:
            cursor.unregister("incoming_event_columns")
        if columns.candidates:
            new = {event_id for (event_id,) in rows}
            result.kept.extend(r for r in columns.candidates if r.event_id in new)
        return len(rows)
