"""Ports of the events feature: where normalised records and rejected input go."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.events.records import EventRecord, Normalised, Reject


class EventSink(Protocol):
    """Where normalised event records go.

    Locally: the ``events`` table of the embedded database, deduplicated on
    ``event_id``. On AWS: the Kinesis data stream (Firehose writes it to the lake).
    """

    def put_records(self, records: Sequence[EventRecord]) -> set[str]:
        """Store or forward ``records``; returns the event ids newly accepted.

        A store that can tell (local) leaves out ids it already holds, so a replayed
        record is not counted or applied twice; a stream returns every id it put.
        Raises when records could not be written after the adapter's retries.
        """
        ...


class DeadLetterSink(Protocol):
    """Where input that could not become an event record goes, with the reason.

    Locally: JSON lines under ``CLARION_HOME/dead-letters/``. On AWS: JSON-lines objects
    under ``dead-letters/`` in the data bucket.
    """

    def put_rejects(self, rejects: Sequence[Reject], *, origin: str) -> str | None:
        """Keep ``rejects`` (raw input, source, position, field problems); ``origin``
        names the input (a file name, ``kinesis``, ``api``). Returns where they were
        written (a path or ``s3://`` URL), or None when there was nothing to write."""
        ...


@dataclass(frozen=True, slots=True)
class StreamDestination:
    """A project's event stream (PutEventStream): the user's Kinesis data stream or
    Firehose delivery stream, and the role Clarion assumes to write to it."""

    stream_arn: str
    role_arn: str
    external_id: str | None = None


class EventForwarder(Protocol):
    """Forwards event-stream records to a project's own stream, as Pinpoint's event
    stream did, so the user's downstream consumers keep working.

    On AWS: Kinesis PutRecords or Firehose PutRecordBatch (by the ARN) with the
    destination's role assumed. Locally: JSON lines in a file named after the stream
    under ``CLARION_HOME/event-streams/`` (what would have been forwarded).
    """

    def forward(self, destination: StreamDestination, records: Sequence[EventRecord]) -> None:
        """Write every record (Pinpoint's event-stream JSON, one per record), retrying
        what the stream refuses; raises when records could not be written."""
        ...


@dataclass
class ColumnarIngestResult:
    """What one columnar ingestion did: lines read, records normalised (``accepted``),
    rows new to the store (``stored``), lines the columns left to the per-record
    normaliser (``deferred``), the rejects, in line order (``index`` is the line's
    position from 0), and the newly stored records whose type the caller asked to
    ``keep``, in line order (``kept``)."""

    lines: int = 0
    accepted: int = 0
    stored: int = 0
    deferred: int = 0
    rejects: list[Reject] = field(default_factory=list)
    kept: list[EventRecord] = field(default_factory=list)


class ColumnarEventIngest(Protocol):
    """Normalises and stores JSON lines of mixed event records as columns (locally:
    pyarrow and DuckDB), leaving to the per-record normaliser only the lines it cannot
    decide alone, so that stored records and rejects are exactly the per-record path's
    (:func:`~clarion.domain.events.normalise.normalise_json_lines` and the local
    EventSink's ``put_records``)."""

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
        """Normalise and store every line (SES, SMS v2, Pinpoint records, PutEvents
        bodies, envelopes of them); blank lines are skipped, and every line that cannot
        be used is rejected with its position and reasons while the others are stored.
        A record repeated within the lines is stored once, its first copy winning.

        Parameters
        ----------
        app_id
            The project for records that name none.
        arrival_timestamp
            Epoch ms of the records' arrival.
        aws_account_id
            For records that carry no account of their own.
        source
            When given (``ses``, ``sms_v2`` or ``pinpoint``), only records of that source
            are made as columns; every other line goes to ``per_line`` (or the
            per-record normaliser).
        per_line
            The normaliser of every line not made as columns (one that is not JSON,
            not of ``source``, or that the columns doubt), called with the line's
            position and text; its records are stored and its rejects reported.
        keep
            Event types whose newly stored records are returned as ``kept`` (their
            first copy, as stored).
        """
        ...
