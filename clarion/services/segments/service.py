"""Segments: define them in Pinpoint's JSON, version them, compile them to SQL once and
ask the audience query who is in them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from clarion.domain.common.errors import (
    FieldProblem,
    InUseError,
    InvalidRecordError,
    NotFoundError,
)
from clarion.domain.segments.model import (
    ImportFormat,
    SegmentResponse,
    SegmentType,
    validate_segment_response,
    validate_write_request,
)
from clarion.domain.segments.sql import compile_segment, sql_string
from clarion.ports.segments import AudienceQuery, SegmentRepository

# Ids named in one restricted query: Athena takes statements up to 256 KB.
_IDS_PER_QUERY = 1000


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SegmentService:
    """Create, update, read, compile and evaluate segments.

    Parameters
    ----------
    repository
        Where segment versions and imported memberships are kept.
    audience
        Runs the compiled (Trino-dialect) SQL.
    clock
        The current time: creation dates and the end of Behavior.Recency windows.
    """

    def __init__(
        self,
        repository: SegmentRepository,
        audience: AudienceQuery,
        clock: Callable[[], datetime] = _utc_now,
        *,
        users_of: Callable[[str], list[str]] | None = None,
    ) -> None:
        self._repository = repository
        self._audience = audience
        self._clock = clock
        self._users_of = users_of

    # -- imported segments (used by the endpoint importer) ----------------------------

    def create_imported_segment(
        self,
        name: str,
        *,
        import_format: str = "CSV",
        source_url: str | None = None,
        segment_id: str | None = None,
    ) -> str:
        """Create an empty IMPORT segment and return its id.

        Parameters
        ----------
        name
            The segment's Name.
        import_format
            ``CSV`` or ``JSON``: the kind of file the members come from.
        source_url
            Where the file was read from (ImportDefinition.S3Url), when known.
        segment_id
            The segment's id, when the caller derives it (an import job's segment, from
            the job's id): a segment of that id already there is kept, not made again,
            so a retried job never makes two segments.
        """
        if not name:
            raise InvalidRecordError([FieldProblem("Name", "is required")])
        if segment_id is not None:
            try:
                self._load(segment_id, None)
            except NotFoundError:
                pass
            else:
                return segment_id
        now = _iso(self._clock())
        document = {
            "Id": segment_id or uuid.uuid4().hex,
            "Name": name,
            "Version": 1,
            "SegmentType": SegmentType.IMPORT.value,
            "CreationDate": now,
            "LastModifiedDate": now,
            "ImportDefinition": {
                "Format": ImportFormat(import_format).value,
                "Size": 0,
                **({"S3Url": source_url} if source_url else {}),
            },
        }
        segment = validate_segment_response(document)
        self._repository.save_segment(segment.to_pinpoint())
        return segment.id

    def add_imported_members(self, segment_id: str, endpoint_ids: Iterable[str]) -> int:
        """Add endpoints to an IMPORT segment; returns how many were new members.

        Raises
        ------
        NotFoundError
            No such segment.
        InvalidRecordError
            The segment is dimensional (its members come from its definition).
        """
        segment = self._load(segment_id, None)
        if segment.segment_type != SegmentType.IMPORT:
            raise InvalidRecordError(
                [FieldProblem("SegmentType", f"segment {segment_id!r} is not an IMPORT segment")]
            )
        written = self._repository.put_imported_members(segment_id, endpoint_ids)
        if written:
            # Keep ImportDefinition.Size the member count, as Pinpoint reports it.
            document = segment.to_pinpoint()
            definition = document.setdefault("ImportDefinition", {})
            definition["Size"] = int(definition.get("Size", 0)) + written
            document["LastModifiedDate"] = _iso(self._clock())
            self._repository.save_segment(document)
        return written

    # -- definitions -------------------------------------------------------------------

    def create_segment(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Create a dimensional segment from a WriteSegmentRequest body (version 1).

        Raises
        ------
        InvalidRecordError
            The body breaks a rule, or names a source segment that does not exist.
        """
        body = validate_write_request(request)
        if not body.name:
            raise InvalidRecordError([FieldProblem("Name", "is required")])
        now = _iso(self._clock())
        document = {
            **body.to_pinpoint(),
            "Id": uuid.uuid4().hex,
            "Version": 1,
            "SegmentType": SegmentType.DIMENSIONAL.value,
            "CreationDate": now,
            "LastModifiedDate": now,
        }
        return self._store(document)

    def update_segment(self, segment_id: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Store a new version: fields in ``request`` replace the latest version's.

        Raises
        ------
        NotFoundError
            No such segment.
        InvalidRecordError
            The body breaks a rule, or tries to give an IMPORT segment dimensions.
        """
        current = self._load(segment_id, None)
        body = validate_write_request(request)
        given = body.model_dump(by_alias=True, exclude_unset=True, mode="json")
        if current.segment_type == SegmentType.IMPORT:
            problems = [
                FieldProblem(field, "an IMPORT segment's members come from its file")
                for field in ("Dimensions", "SegmentGroups")
                if field in given
            ]
            if problems:
                raise InvalidRecordError(problems)
        document = {
            **current.to_pinpoint(),
            **body.to_pinpoint(),
            "Version": current.version + 1,
            "LastModifiedDate": _iso(self._clock()),
        }
        for field, value in given.items():
            if value is None:  # an explicit null clears the field
                document.pop(field, None)
        return self._store(document)

    def get_segment(self, segment_id: str, version: int | None = None) -> dict[str, Any]:
        """The given version of a segment, or its latest. Raises NotFoundError."""
        return self._load(segment_id, version).to_pinpoint()

    def list_segments(self) -> list[dict[str, Any]]:
        """The latest version of every segment."""
        return self._repository.list_segments()

    def versions(self, segment_id: str) -> list[dict[str, Any]]:
        """Every version of a segment, oldest first. Raises NotFoundError."""
        return self._repository.list_segment_versions(segment_id)

    def delete_segment(self, segment_id: str) -> dict[str, Any]:
        """Delete every version; returns the latest as it was.

        Raises
        ------
        NotFoundError
            No such segment.
        InUseError
            A campaign targets it, or another segment is built on it.
        """
        latest = self.get_segment(segment_id)
        users = [
            f"segment {s['Id']}"
            for s in self._repository.list_segments()
            if s.get("Id") != segment_id and segment_id in _source_ids(s)
        ]
        if self._users_of is not None:
            users += [f"campaign {c}" for c in self._users_of(segment_id)]
        if users:
            raise InUseError(f"segment {segment_id!r} is in use by {', '.join(users)}")
        self._repository.delete_segment(segment_id)
        return latest

    # -- evaluation ----------------------------------------------------------------------

    def compile(
        self, segment_id: str, version: int | None = None, as_of: datetime | None = None
    ) -> str:
        """The segment's Trino-dialect SQL (``SELECT id FROM endpoints WHERE ...``)."""
        segment = self._load(segment_id, version)
        return self._audience.scope(compile_segment(segment, self._load, as_of or self._clock()))

    def preview(self, segment_id: str, version: int | None = None) -> int:
        """How many endpoints the segment holds now."""
        return self._audience.count(self.compile(segment_id, version))

    def estimate(self, request: Mapping[str, Any], sample_size: int = 10) -> dict[str, Any]:
        """Count, SQL and a sample of members of an unsaved WriteSegmentRequest, through
        the same compiler and query as :meth:`preview` (the console's live estimate).

        Raises
        ------
        InvalidRecordError
            The body breaks a rule, or names a source segment that does not exist.
        """
        body = validate_write_request(request)
        now = _iso(self._clock())
        document = {
            **body.to_pinpoint(),
            "Id": "estimate",
            "Name": body.name or "estimate",
            "Version": 1,
            "SegmentType": SegmentType.DIMENSIONAL.value,
            "CreationDate": now,
            "LastModifiedDate": now,
        }
        segment = validate_segment_response(document)
        sql = self._audience.scope(compile_segment(segment, self._load, self._clock()))
        return self._estimate(sql, sample_size)

    def estimate_saved(
        self, segment_id: str, version: int | None = None, sample_size: int = 10
    ) -> dict[str, Any]:
        """Count (equal to :meth:`preview`), SQL and a sample of a stored segment."""
        return self._estimate(self.compile(segment_id, version), sample_size)

    def _estimate(self, sql: str, sample_size: int) -> dict[str, Any]:
        sample = list(islice(self._audience.endpoint_ids(sql), sample_size))
        return {"Count": self._audience.count(sql), "Sql": sql, "Sample": sample}

    def contains(self, segment_id: str, version: int | None, endpoint_id: str) -> bool:
        """Whether the endpoint is in the segment now."""
        quoted = endpoint_id.replace("'", "''")
        sql = f"SELECT id FROM ({self.compile(segment_id, version)}) AS s WHERE id = '{quoted}'"
        return self._audience.count(sql) > 0

    def all_endpoint_ids(self) -> Iterator[str]:
        """The ids of every endpoint of the project, streamed (exports)."""
        return self._audience.endpoint_ids(self._audience.scope("SELECT id FROM endpoints"))

    def members(self, segment_id: str, version: int | None = None) -> Iterator[str]:
        """The ids of the endpoints the segment holds now, streamed."""
        return self._audience.endpoint_ids(self.compile(segment_id, version))

    def members_among(
        self, segment_id: str, endpoint_ids: Iterable[str], version: int | None = None
    ) -> set[str]:
        """Which of ``endpoint_ids`` the segment holds now (one query per thousand ids,
        through the same compiled SQL as :meth:`members`)."""
        return self._restricted(self.compile(segment_id, version), endpoint_ids)

    def matching_dimensions(
        self, dimensions: Mapping[str, Any], endpoint_ids: Iterable[str]
    ) -> set[str]:
        """Which of ``endpoint_ids`` match inline segment ``Dimensions`` (a journey's
        SegmentDimensions condition), compiled as a segment holding only them.

        Raises
        ------
        InvalidRecordError
            The dimensions break a segment rule.
        """
        request = validate_write_request({"Dimensions": dict(dimensions)})
        return self._restricted(compile_segment(request, self._load, self._clock()), endpoint_ids)

    def _restricted(self, sql: str, endpoint_ids: Iterable[str]) -> set[str]:
        ids = list(dict.fromkeys(endpoint_ids))
        found: set[str] = set()
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ", ".join(sql_string(i) for i in ids[start : start + _IDS_PER_QUERY])
            found.update(
                self._audience.endpoint_ids(
                    f"SELECT id FROM (\n{sql}\n) AS segment WHERE id IN ({chunk})"
                )
            )
        return found

    # -- helpers -------------------------------------------------------------------------

    def _load(self, segment_id: str, version: int | None) -> SegmentResponse:
        return validate_segment_response(self._repository.get_segment(segment_id, version))

    def _store(self, document: dict[str, Any]) -> dict[str, Any]:
        segment = validate_segment_response(document)
        # Compiling checks that every source segment exists and that none loops back.
        compile_segment(segment, self._load, self._clock())
        stored = segment.to_pinpoint()
        self._repository.save_segment(stored)
        return stored


def _source_ids(segment: Mapping[str, Any]) -> set[str]:
    """The segments a segment is built on (SegmentGroups' SourceSegments)."""
    groups = (segment.get("SegmentGroups") or {}).get("Groups") or []
    return {
        str(source.get("Id"))
        for group in groups
        for source in group.get("SourceSegments") or []
        if isinstance(source, Mapping)
    }
