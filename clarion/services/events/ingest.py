"""Event ingestion: normalise, store, dead-letter, apply real-time effects, trigger.

One service serves the CLI (files), the ingest Lambda (PutEvents bodies and delivery
records, forwarded to the stream) and the stream consumer (effects and campaign
triggers). Each input record either becomes an event record or a reject naming the
record, the field and the reason; rejects go to the dead-letter sink with the raw input,
and the good records beside them are still processed.
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from clarion.domain.common.errors import FieldProblem
from clarion.domain.common.json_input import JsonInputError, parse_json
from clarion.domain.events.normalise.common import now_ms
from clarion.domain.events.records import (
    EventRecord,
    Normalised,
    Reject,
    reserved_event_problem,
)

if TYPE_CHECKING:
    # The endpoint model and the effects are used when effects are applied, and each
    # normaliser when its source is read (imported there): the ingest function only
    # forwards records, and each of its invocations reads one source.
    from clarion.domain.audience.endpoint import ChannelType, Endpoint, EndpointStatus, OptOut
    from clarion.domain.events.effects import Effect
    from clarion.ports.audience import EndpointLocator, ProfileStore
    from clarion.ports.campaigns import CampaignTrigger
    from clarion.ports.events import ColumnarEventIngest, DeadLetterSink, EventSink


class IngestSource(StrEnum):
    """Input formats of ``clarion events ingest --source``."""

    SES = "ses"
    SMS_V2 = "sms-v2"
    PINPOINT = "pinpoint"


class NoCampaignTrigger:
    """The CampaignTrigger until the campaign engine provides one: hands nothing on."""

    def handle_events(self, records: Sequence[EventRecord]) -> None:
        return None

    def acts_on_no_events(self) -> bool:
        """True: this trigger does nothing with any record."""
        return True


class AllTriggers:
    """Several CampaignTriggers as one: EVENT campaigns, then journeys, each handed
    every batch of new records in turn (one failing fails the batch, which the stream
    retries: both are idempotent)."""

    def __init__(self, *triggers: CampaignTrigger) -> None:
        self.triggers = triggers

    def handle_events(self, records: Sequence[EventRecord]) -> None:
        for trigger in self.triggers:
            trigger.handle_events(records)

    def acts_on_no_events(self) -> bool:
        """Whether every trigger says it would do nothing with any record now (one that
        cannot say is taken to act)."""
        for trigger in self.triggers:
            idle = getattr(trigger, "acts_on_no_events", None)
            if idle is None or not idle():
                return False
        return True


@dataclass
class EffectsSummary:
    """What the real-time effects changed, and what they could not apply."""

    opted_out: list[str] = field(default_factory=list)
    inactivated: list[str] = field(default_factory=list)
    activity: list[str] = field(default_factory=list)
    metrics_updated: list[str] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "opted_out": sorted(self.opted_out),
            "inactivated": sorted(self.inactivated),
            "activity": sorted(self.activity),
            "metrics_updated": sorted(self.metrics_updated),
            "unresolved": self.unresolved,
        }


@dataclass
class IngestResult:
    """The outcome of one ingestion.

    ``accepted`` records were normalised; of them ``stored`` were new to the sink and
    ``duplicates`` were already there (a replay). ``lines`` maps a record's position to
    its line in the input file, when the input was JSON lines.
    """

    accepted: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[Reject] = field(default_factory=list)
    effects: EffectsSummary = field(default_factory=EffectsSummary)
    dead_letters: str | None = None
    lines: list[int] | None = None
    records: list[EventRecord] = field(default_factory=list, repr=False)

    def rejected_items(self) -> list[dict[str, Any]]:
        """One entry per broken rule: where (line or index, and record id), field, reason."""
        items = []
        for reject in self.rejected:
            where: dict[str, Any] = {}
            if reject.index is not None and self.lines is not None:
                where["line"] = self.lines[reject.index]
            else:
                where["index"] = reject.index
            if reject.record_id:
                where["record_id"] = reject.record_id
            where["source"] = reject.source
            for problem in reject.problems:
                items.append({**where, "field": problem.field, "reason": problem.reason})
        return items

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected_items(),
            "effects": self.effects.to_json(),
            "dead_letters": self.dead_letters,
        }


@dataclass(frozen=True)
class ParsedInput:
    """Decoded input records, the rejects of undecodable ones, and line numbers."""

    items: list[tuple[int, Any]]
    rejects: list[Reject]
    lines: list[int] | None


# A JSON line longer than this is rejected unread (a Kinesis record holds at most 1 MB).
MAX_LINE_BYTES = 1024 * 1024


def parse_text(text: str | bytes, source: str) -> ParsedInput:
    """Read a file's text: one JSON document (an object, or an array of records) or JSON
    lines. A line that is not JSON (nor UTF-8, or nests too deep, or is over
    ``MAX_LINE_BYTES``) becomes a reject naming its line; the others are kept. Bytes
    that are not UTF-8 as a whole are read line by line.
    """
    if isinstance(text, bytes):
        with contextlib.suppress(UnicodeDecodeError):  # else read line by line below
            text = text.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    if not text.strip():
        return ParsedInput([], [], None)
    try:
        whole = parse_json(text)
    except JsonInputError:
        whole = None
    else:
        if isinstance(whole, list):
            return ParsedInput(list(enumerate(whole)), [], None)
        if isinstance(whole, dict):
            return ParsedInput([(0, whole)], [], None)
    items: list[tuple[int, Any]] = []
    rejects: list[Reject] = []
    lines: list[int] = []
    pieces: Iterable[str | bytes] = text.splitlines()
    for number, line in enumerate(pieces, start=1):
        if not line.strip():
            continue
        position = len(lines)
        lines.append(number)
        size = len(line) if isinstance(line, bytes) else len(line.encode("utf-8", "replace"))
        if size > MAX_LINE_BYTES:
            problem = FieldProblem("(line)", f"is {size} bytes; the limit is {MAX_LINE_BYTES}")
            rejects.append(Reject(source, position, None, (problem,), None))
            continue
        try:
            items.append((position, parse_json(line)))
        except JsonInputError as exc:
            raw = line if isinstance(line, str) else line.decode("utf-8", "replace")
            rejects.append(Reject(source, position, None, (FieldProblem("(line)", str(exc)),), raw))
    return ParsedInput(items, rejects, lines)


def _remap(rejects: Iterable[Reject], positions: Sequence[int]) -> list[Reject]:
    """Rejects of a sub-list, with ``index`` turned back into the input position."""
    return [replace(r, index=positions[r.index]) if r.index is not None else r for r in rejects]


class EventIngestService:
    """Ingests events.

    Parameters
    ----------
    profiles
        Where real-time effects are applied (OptOut, EndpointStatus, metrics, recency).
    dead_letters
        Where rejects go, with their raw input.
    trigger
        The campaign engine's hand-off, called with each batch of new records.
    sink
        Where records go (the local store, or the Kinesis stream). None for the stream
        consumer, which reads records that are already on the stream.
    locator
        Finds endpoints by address for effects on events without an endpoint id.
    app_id
        The project id for records that name none (mail sent without Clarion's tags).
    apply_effects
        False for the ingest Lambda, which only forwards: the consumer applies effects.
    run_triggers
        Whether new records go to the trigger (by default: when effects are applied).
        The journeys' own stream consumer runs the trigger without the effects.
    columnar
        The columnar ingestion of JSON lines into the sink's store (locally), used by
        :meth:`ingest_text` when ``columnar_allowed`` says so (see there).
    columnar_allowed
        Whether nothing but the endpoint effects needs record objects now: no event
        stream to forward to and no trigger that acts on events. Asked once an
        ingestion; without it the columnar path is not used.
    """

    def __init__(
        self,
        profiles: ProfileStore,
        dead_letters: DeadLetterSink,
        trigger: CampaignTrigger | None = None,
        *,
        sink: EventSink | None = None,
        locator: EndpointLocator | None = None,
        app_id: str = "clarion",
        aws_account_id: str | None = None,
        apply_effects: bool = True,
        run_triggers: bool | None = None,
        forward: Callable[[Sequence[EventRecord]], int] | None = None,
        columnar: ColumnarEventIngest | None = None,
        columnar_allowed: Callable[[], bool] | None = None,
    ) -> None:
        self._columnar = columnar
        self._columnar_allowed = columnar_allowed
        # Where records go on to their project's event stream (the stream consumer on
        # AWS; locally the sink forwards what it stores).
        self._forward = forward
        self._profiles = profiles
        self._dead_letters = dead_letters
        self._trigger = trigger or NoCampaignTrigger()
        self._sink = sink
        self._locator = locator
        self.app_id = app_id
        self._aws_account_id = aws_account_id
        self._apply_effects = apply_effects
        self._run_triggers = apply_effects if run_triggers is None else run_triggers

    # -- inputs ------------------------------------------------------------------------

    def put_events(
        self, body: Any, *, origin: str = "put-events", app_id: str | None = None
    ) -> IngestResult:
        """Ingest a PutEvents request body (Pinpoint's ``EventsRequest``)."""
        from clarion.domain.events.normalise.put_events import normalise_put_events

        normalised = normalise_put_events(
            body, app_id=app_id or self.app_id, aws_account_id=self._aws_account_id
        )
        return self.process(normalised, origin=origin)

    def ingest_records(
        self, items: Sequence[tuple[int, Any]], source: IngestSource | str, *, origin: str
    ) -> IngestResult:
        """Ingest decoded records of one source; ``items`` are (input position, record)."""
        return self.process(self.normalise(items, IngestSource(source)), origin=origin)

    def ingest_text(
        self, text: str | bytes, source: IngestSource | str, *, origin: str
    ) -> IngestResult:
        """Ingest a file's text of one source (JSON document or JSON lines).

        JSON lines go through the columnar ingestion when the service has one (locally)
        and nothing but the endpoint effects needs record objects: no event stream is
        configured for any project (forwarding needs every record), no EVENT campaign
        and no active or paused journey (their triggers look at every record), effects
        and triggers are run, and every line is short enough to be under the line
        limit. The columns store the records; only those of the types the effects act
        on (:data:`~clarion.domain.events.effects.EFFECT_EVENT_TYPES`: opt-outs,
        unsubscribes, complaints, hard bounces, and the session and purchase events
        whose activity and metrics are updated, per endpoint, not for every event) come
        back as records, and the effects and triggers run on them. Every other input
        takes the per-record path. Either way the stored events, the result, the dead
        letters and the endpoints are the same (``result.records`` holds only the
        records that came back, on the columnar path).
        """
        kind = IngestSource(source)
        lines = self._columnar_lines(text)
        if lines is not None:
            return self._ingest_columnar(lines, kind, origin=origin)
        parsed = parse_text(text, _source_name(kind))
        normalised = self.normalise(parsed.items, kind)
        result = self.process(
            Normalised(normalised.records, parsed.rejects + normalised.rejects), origin=origin
        )
        result.lines = parsed.lines
        return result

    def put_text(
        self, text: str | bytes, *, origin: str, app_id: str | None = None
    ) -> IngestResult:
        """``clarion events put``: a PutEvents body, or Pinpoint records as JSON lines."""
        parsed = parse_text(text, "pinpoint")
        if len(parsed.items) == 1 and parsed.lines is None:
            body = parsed.items[0][1]
            if isinstance(body, Mapping) and "BatchItem" in body:
                return self.put_events(body, origin=origin, app_id=app_id)
        kind = IngestSource.PINPOINT
        parsed = parse_text(text, _source_name(kind))
        # The reserved system events are Clarion's own: refused from this path (the
        # trusted one is ``ingest_text``), each with its line and the reason.
        items, forged = [], []
        for position, raw in parsed.items:
            event_type = raw.get("event_type") if isinstance(raw, Mapping) else None
            problem = reserved_event_problem(event_type, "event_type")
            if problem is None:
                items.append((position, raw))
            else:
                forged.append(Reject(kind.value, position, None, (problem,), raw))
        normalised = self.normalise(items, kind)
        result = self.process(
            Normalised(normalised.records, parsed.rejects + forged + normalised.rejects),
            origin=origin,
        )
        result.lines = parsed.lines
        return result

    def _columnar_lines(self, text: str | bytes) -> tuple[list[str], list[int]] | None:
        """The non-blank lines of ``text`` and their numbers, when the columnar path
        gives what :func:`parse_text` and :meth:`process` would (see ingest_text)."""
        if (
            self._columnar is None
            or self._columnar_allowed is None
            or self._sink is None
            or self._forward is not None
            or not self._apply_effects
            or not self._run_triggers
        ):
            return None
        if isinstance(text, bytes):
            try:
                text = text.removeprefix(codecs.BOM_UTF8).decode("utf-8")
            except UnicodeDecodeError:
                return None
        if not text.strip():
            return None
        try:
            whole = parse_json(text)
        except JsonInputError:
            pass  # JSON lines (or broken): read line by line
        else:
            if isinstance(whole, list | dict):
                return None
        pieces = text.splitlines()
        # A UTF-8 character is at most 4 bytes: shorter lines are under the limit.
        if max(map(len, pieces), default=0) > MAX_LINE_BYTES // 4:
            return None
        if not self._columnar_allowed():
            return None
        lines, numbers = [], []
        for number, line in enumerate(pieces, start=1):
            if line.strip():
                lines.append(line)
                numbers.append(number)
        return lines, numbers

    def _ingest_columnar(
        self, text: tuple[list[str], list[int]], kind: IngestSource, *, origin: str
    ) -> IngestResult:
        """:meth:`ingest_text` through the columnar ingestion (see there)."""
        from clarion.domain.events.effects import EFFECT_EVENT_TYPES

        assert self._columnar is not None
        lines, numbers = text
        name = _source_name(kind)
        arrival = now_ms()
        # Rejects in the per-record path's order: undecodable lines first, then the
        # normaliser's (for SMS v2: delivery records, then inbound messages).
        unreadable: list[Reject] = []
        delivery: list[Reject] = []
        inbound: list[Reject] = []
        inbound_ids: set[str] = set()

        def per_line(index: int, line: str) -> Normalised:
            try:
                payload = parse_json(line)
            except JsonInputError as exc:
                problem = FieldProblem("(line)", str(exc))
                unreadable.append(Reject(name, index, None, (problem,), line))
                return Normalised([], [])
            out = self.normalise([(index, payload)], kind, arrival_timestamp=arrival)
            if kind is IngestSource.SMS_V2 and _is_inbound_sms(payload):
                inbound.extend(out.rejects)
                inbound_ids.update(r.event_id for r in out.records)
            else:
                delivery.extend(out.rejects)
            return Normalised(out.records, [])

        done = self._columnar.ingest_lines(
            lines,
            app_id=self.app_id,
            arrival_timestamp=arrival,
            aws_account_id=self._aws_account_id,
            source=name,
            per_line=per_line,
            keep=EFFECT_EVENT_TYPES.__contains__,
        )
        rejects = unreadable + delivery + inbound + done.rejects
        # The per-record path hands on SMS delivery records before inbound messages.
        fresh = sorted(done.kept, key=lambda r: r.event_id in inbound_ids)
        result = IngestResult(
            accepted=done.accepted,
            stored=done.stored,
            duplicates=done.accepted - done.stored,
            rejected=rejects,
            records=fresh,
            lines=numbers,
        )
        result.dead_letters = self._dead_letters.put_rejects(rejects, origin=origin)
        result.effects = self.apply_effects(fresh)
        if fresh:
            self._trigger.handle_events(fresh)
        return result

    def normalise(
        self,
        items: Sequence[tuple[int, Any]],
        source: IngestSource,
        *,
        arrival_timestamp: int | None = None,
    ) -> Normalised:
        """Normalise decoded records of one source; reject indexes are input positions.
        ``arrival_timestamp`` (epoch ms) is now's when not given; Pinpoint records keep
        their own."""
        from clarion.domain.events.normalise.pinpoint import normalise_pinpoint_records
        from clarion.domain.events.normalise.ses import normalise_ses_events
        from clarion.domain.events.normalise.sms import normalise_sms_events, normalise_sms_inbound

        positions = [position for position, _ in items]
        records = [record for _, record in items]
        options: dict[str, Any] = {
            "app_id": self.app_id,
            "aws_account_id": self._aws_account_id,
            "arrival_timestamp": arrival_timestamp,
        }
        if source is IngestSource.SES:
            out = normalise_ses_events(records, **options)
            return Normalised(out.records, _remap(out.rejects, positions))
        if source is IngestSource.PINPOINT:
            out = normalise_pinpoint_records(records)
            return Normalised(out.records, _remap(out.rejects, positions))
        # SMS v2: delivery records and inbound two-way messages (opt-out keywords) alike.
        inbound = [i for i, r in enumerate(records) if _is_inbound_sms(r)]
        inbound_set = set(inbound)
        delivery = [i for i in range(len(records)) if i not in inbound_set]
        first = normalise_sms_events([records[i] for i in delivery], **options)
        second = normalise_sms_inbound([records[i] for i in inbound], **options)
        return Normalised(
            first.records + second.records,
            _remap(first.rejects, [positions[i] for i in delivery])
            + _remap(second.rejects, [positions[i] for i in inbound]),
        )

    # -- the pipeline --------------------------------------------------------------------

    def process(self, normalised: Normalised, *, origin: str) -> IngestResult:
        """Store the records, dead-letter the rejects, apply effects, hand to the trigger.

        Effects and the trigger see only records new to the sink, so a replayed record
        changes nothing twice (with no sink, every record is taken as new).
        """
        records, rejects = normalised
        result = IngestResult(accepted=len(records), rejected=list(rejects), records=records)
        result.dead_letters = self._dead_letters.put_rejects(rejects, origin=origin)
        if self._sink is not None:
            new_ids = self._sink.put_records(records)
            fresh = _first_copies(r for r in records if r.event_id in new_ids)
        else:
            fresh = _first_copies(records)
        result.stored = len(fresh)
        result.duplicates = len(records) - len(fresh)
        if self._apply_effects:
            result.effects = self.apply_effects(fresh)
        if self._run_triggers and fresh:
            self._trigger.handle_events(fresh)
        if self._forward is not None and fresh:
            self._forward(fresh)
        return result

    def apply_effects(self, records: Sequence[EventRecord]) -> EffectsSummary:
        """Apply the real-time effects of ``records`` to their endpoints.

        All changes to one endpoint are made in one read and one write: OptOut ALL
        (unsubscribe, complaint, SMS opt-out), EndpointStatus INACTIVE (hard bounce),
        metric increments (sessions, purchases); then last-activity times are raised.
        An effect whose endpoint cannot be found is reported as unresolved.
        """
        from clarion.domain.events.effects import (
            ActivityEffect,
            OptOutEffect,
            StatusEffect,
            classify_effects,
        )

        summary = EffectsSummary()
        effects = classify_effects(records)
        if not effects:
            return summary
        targets = self._resolve(effects, summary)
        changes: dict[str, _Change] = {}
        activity: dict[str, int] = {}
        for effect, endpoint_ids in targets:
            for endpoint_id in endpoint_ids:
                change = changes.setdefault(endpoint_id, _Change())
                if isinstance(effect, OptOutEffect):
                    change.opt_out = effect.opt_out
                elif isinstance(effect, StatusEffect):
                    change.status = effect.endpoint_status
                elif isinstance(effect, ActivityEffect):
                    activity[endpoint_id] = max(activity.get(endpoint_id, 0), effect.at)
                    for name, amount in effect.metric_increments.items():
                        change.increments[name] = change.increments.get(name, 0.0) + amount
                change.causes.append(effect)
        existing = self._profiles.get_endpoints(list(changes)) if changes else {}
        updated: list[Endpoint] = []
        for endpoint_id, change in changes.items():
            endpoint = existing.get(endpoint_id)
            if endpoint is None:
                for effect in change.causes:
                    summary.unresolved.append(
                        _unresolved(effect, f"endpoint {endpoint_id!r} does not exist")
                    )
                activity.pop(endpoint_id, None)
                continue
            new = change.apply(endpoint)
            if new is not endpoint:
                updated.append(new)
            if change.opt_out is not None and endpoint.opt_out != change.opt_out:
                summary.opted_out.append(endpoint_id)
            if change.status is not None and endpoint.endpoint_status != change.status:
                summary.inactivated.append(endpoint_id)
            if change.increments:
                summary.metrics_updated.append(endpoint_id)
        if updated:
            self._profiles.put_endpoints(updated)
        if activity:
            self._profiles.record_activity(activity)
            summary.activity.extend(activity)
        return summary

    def _resolve(
        self, effects: Sequence[Effect], summary: EffectsSummary
    ) -> list[tuple[Effect, list[str]]]:
        """Each effect with the endpoint ids it applies to."""
        from clarion.domain.events.effects import ActivityEffect, OptOutEffect, StatusEffect

        by_address: list[tuple[ChannelType, str]] = []
        for effect in effects:
            if isinstance(effect, OptOutEffect | StatusEffect) and not effect.target.endpoint_id:
                target = effect.target
                if target.address and target.channel:
                    by_address.append((target.channel, target.address))
        found: dict[tuple[ChannelType, str], list[str]] = {}
        if by_address and self._locator is not None:
            found = self._locator.endpoint_ids_by_address(list(dict.fromkeys(by_address)))
        out: list[tuple[Effect, list[str]]] = []
        for effect in effects:
            if isinstance(effect, ActivityEffect):
                out.append((effect, [effect.endpoint_id]))
                continue
            target = effect.target
            if target.endpoint_id:
                out.append((effect, [target.endpoint_id]))
                continue
            key = (target.channel, target.address) if target.channel and target.address else None
            ids = found.get(key, []) if key else []
            if ids:
                out.append((effect, ids))
            elif self._locator is None:
                summary.unresolved.append(
                    _unresolved(effect, "no endpoint id, and this backend cannot look up addresses")
                )
            else:
                summary.unresolved.append(_unresolved(effect, "no endpoint has this address"))
        return out


@dataclass
class _Change:
    opt_out: OptOut | None = None
    status: EndpointStatus | None = None
    increments: dict[str, float] = field(default_factory=dict)
    causes: list[Effect] = field(default_factory=list)

    def apply(self, endpoint: Endpoint) -> Endpoint:
        update: dict[str, Any] = {}
        if self.opt_out is not None and endpoint.opt_out != self.opt_out:
            update["opt_out"] = self.opt_out
        if self.status is not None and endpoint.endpoint_status != self.status:
            update["endpoint_status"] = self.status
        if self.increments:
            metrics = dict(endpoint.metrics or {})
            for name, amount in self.increments.items():
                metrics[name] = metrics.get(name, 0.0) + amount
            update["metrics"] = metrics
        return endpoint.model_copy(update=update) if update else endpoint


def _unresolved(effect: Effect, reason: str) -> dict[str, Any]:
    from clarion.domain.events.effects import OptOutEffect, StatusEffect

    entry: dict[str, Any] = {"event_id": effect.event_id, "cause": effect.cause, "reason": reason}
    if isinstance(effect, OptOutEffect | StatusEffect) and effect.target.address:
        entry["address"] = effect.target.address
    return entry


def _first_copies(records: Iterable[EventRecord]) -> list[EventRecord]:
    """One record per event id, the first copy (the one the store keeps), in order."""
    seen: set[str] = set()
    out = []
    for record in records:
        if record.event_id not in seen:
            seen.add(record.event_id)
            out.append(record)
    return out


def _is_inbound_sms(record: Any) -> bool:
    return isinstance(record, Mapping) and "inboundMessageId" in record


def _source_name(source: IngestSource) -> str:
    return {"ses": "ses", "sms-v2": "sms_v2", "pinpoint": "pinpoint"}[source.value]
