"""Ports of the audience feature: the profile store, finding endpoints by address,
columnar imports (locally), and the AWS side's endpoint lake (the change feed, its
compaction), import drop zone and import jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Types only: importing a port does not import the domain models it names (Lambda
    # cold starts, docs/deploy.md).
    from clarion.domain.audience.endpoint import ChannelType, Endpoint
    from clarion.domain.audience.erasure import ErasedItem, ErasureSubject
    from clarion.domain.audience.import_formats import ParsedRecord


class ProfileStore(Protocol):
    """The source of truth for endpoints: single reads, batched writes.

    Writes are upserts keyed by endpoint id. ``last_active_ms`` values, when given, are
    kept beside the endpoint for Behavior.Recency (never part of its Pinpoint JSON).
    """

    def put_endpoints(self, endpoints: Sequence[Endpoint]) -> None:
        """Create or replace these endpoints (one batch; adapters chunk as they need)."""
        ...

    def get_endpoints(self, endpoint_ids: Sequence[str]) -> dict[str, Endpoint]:
        """The endpoints that exist among ``endpoint_ids``, keyed by id."""
        ...

    def get_endpoint(self, endpoint_id: str) -> Endpoint | None: ...

    def endpoints_for_user(self, user_id: str) -> list[Endpoint]: ...

    def endpoint_ids_for_users(self, user_ids: Sequence[str]) -> dict[str, set[str]]:
        """The endpoint ids of each of many users (an empty set for a user with none),
        in as few calls as the store allows."""
        ...

    def delete_endpoints(self, endpoint_ids: Sequence[str]) -> None:
        """Delete (tombstone, where history is kept) these endpoints."""
        ...

    def attribute_names(self) -> set[str]:
        """Attribute names in use (``Attributes.X``, ``User.UserAttributes.X``,
        ``Metrics.X``), for the per-project limit."""
        ...

    def record_activity(self, activity_ms: Mapping[str, int]) -> None:
        """Raise each endpoint's last-activity time (epoch ms) to at least the given one."""
        ...

    def set_metrics(self, metrics: Mapping[str, Mapping[str, float]]) -> int:
        """Set metrics on many endpoints at once, in bulk.

        Parameters
        ----------
        metrics
            Endpoint id -> {metric name: value}. Each named metric of an endpoint is set
            (added, or replaced); its other metrics and every other field are kept, as a
            read, merge and ``put_endpoints`` would keep them. Ids of endpoints that do
            not exist are skipped (nothing is created).

        Returns
        -------
        int
            How many endpoints were written.

        Raises
        ------
        ValueError
            A value is not a finite number, or a name is empty (nothing is written).
        """
        ...


class EndpointLocator(Protocol):
    """Finds endpoints by address, for delivery events that carry no endpoint id (mail
    sent without Clarion's tags, an inbound SMS opt-out)."""

    def endpoint_ids_by_address(
        self, addresses: Sequence[tuple[ChannelType, str]]
    ) -> dict[tuple[ChannelType, str], list[str]]:
        """Endpoint ids for each (channel, address); missing pairs have no entry."""
        ...


class EndpointChangeFeed(Protocol):
    """Where changes of the endpoints table go, as rows of the ``endpoint_changes``
    relation: the DirectPut Firehose stream that writes them to S3 as Parquet on AWS.

    Delivery is at least once: a row delivered twice is absorbed by the view's ranking
    on ``change_sequence``.
    """

    def put_rows(self, rows: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
        """Deliver ``rows`` (keyed by the change's stream sequence number, in stream
        order), retrying what the stream refuses. Returns the changes still refused
        after the adapter's retries: sequence number -> reason."""
        ...


class EndpointCompactor(Protocol):
    """Folds the endpoint change feed into a new snapshot partition, so that the
    ``endpoint_latest`` view reads one snapshot and the changes since: the configured
    Athena statement on AWS."""

    def compact(self, snapshot_ms: int, *, timeout_s: float | None = None) -> str:
        """Write the snapshot named ``snapshot_ms`` (epoch ms), waiting at most
        ``timeout_s`` (the adapter's default when None). Returns the id of the query
        that wrote it; raises when it failed or did not finish in time."""
        ...

    def latest_snapshot_ms(self) -> int | None:
        """The newest snapshot written so far (its ``snapshot_ms``), None for none."""
        ...

    def expire_snapshots(self, older_than_ms: int) -> int:
        """Delete the snapshot partitions whose ``snapshot_ms`` is before
        ``older_than_ms``, never the newest one. Returns the objects deleted."""
        ...

    def expire_absorbed_changes(self, written_before_ms: int) -> int:
        """Delete the change objects written before ``written_before_ms`` (epoch ms):
        called only after a successful snapshot absorbed them, so a change is never
        deleted before a snapshot holds it. Returns how many were deleted; raises when
        some could not be."""
        ...


class ImportFileStore(Protocol):
    """Endpoint files dropped for import, and the result written beside each one: any
    bucket an S3 event names, on AWS."""

    def open(self, bucket: str, key: str) -> IO[bytes]:
        """The object's bytes as a stream (never read whole; the caller closes it).
        Raises when the object cannot be read."""
        ...

    def put_json(self, bucket: str, key: str, document: Mapping[str, Any]) -> str:
        """Write ``document`` as indented UTF-8 JSON; returns its URL (``s3://...``)."""
        ...


@dataclass(frozen=True)
class ImportChunk:
    """What a columnar import did with one stretch of a file.

    ``imported`` and ``updated`` count the rows it wrote itself (``written_ids`` are
    their endpoint ids); ``deferred`` are the rows it left to the per-row importer, in
    line order: rows the columns could not prove valid (they may be broken, or merely
    unusual), rows whose outcome depends on rows before them (an endpoint id twice, a
    user near the per-user limit), and rows of stretches it does not read as columns.
    Every row of the file is in exactly one chunk, written or deferred.
    """

    imported: int = 0
    updated: int = 0
    written_ids: Sequence[str] = ()
    deferred: Sequence[ParsedRecord] = field(default_factory=list)


class ColumnarEndpointImport(Protocol):
    """Validates and writes CSV import files as columns (locally: pyarrow and DuckDB),
    leaving to the per-row importer only the rows it cannot decide alone."""

    def import_csv(
        self,
        source: IO[bytes],
        *,
        now: str,
        accepts: Callable[[Sequence[str]], bool],
        batch_size: int,
    ) -> Iterator[ImportChunk]:
        """Import the CSV ``source`` (decompressed, from its first byte), one chunk at a
        time; each chunk's writes are done before it is yielded, and the next one is read
        only after the caller has dealt with its deferred rows.

        Parameters
        ----------
        now
            The import's time: CreationDate and EffectiveDate of rows that give none.
        accepts
            Called once with the header's column names; False (the attribute names would
            go over the project's limit, say) defers every row.
        batch_size
            Deferred rows per chunk where whole stretches are deferred.

        Raises
        ------
        ImportFileError
            Before the first chunk, when the file cannot be imported at all.
        """
        ...


class JobFiles(Protocol):
    """The files of import and export jobs (CreateImportJob's S3Url, CreateExportJob's
    S3UrlPrefix): ``s3://`` URLs on AWS; locally ``file://`` URLs and paths."""

    def list(self, url: str) -> list[str]:
        """The files a URL names: itself when it is a file, else the files under it,
        sorted. Raises FileNotFoundError when there are none, ValueError for a URL this
        backend cannot read."""
        ...

    def open(self, url: str) -> IO[bytes]:
        """One file's bytes as a stream (the caller closes it)."""
        ...

    def write(self, url: str, data: bytes) -> str:
        """Write one file; returns its URL."""
        ...


class PersonalDataEraser(Protocol):
    """Takes a person out of every store that keeps their data besides the profile
    store: event records, send records, dead letters, import files and results, the
    outbox, churn files and reports (the database and files under the home locally; the
    DynamoDB tables, S3 prefixes and the Parquet lake's rewrite workflow on AWS)."""

    def erase(self, subject: ErasureSubject, token: str) -> list[ErasedItem]:
        """Remove ``subject`` everywhere this backend keeps them; records that must stay
        for their aggregates (event records) keep ``token`` in place of the person.
        Returns what was removed where (an item per store and location)."""
        ...

    def compact(self) -> None:
        """Make the erase physical where a store keeps deleted bytes until it is
        rewritten (the local database file); called after the profile store's delete."""


class LakeRewriter(Protocol):
    """The steps of the Parquet lake's erase workflow that touch S3 and Athena's
    results (AWS; docs/deploy.md, "Erasing a person")."""

    @property
    def bucket(self) -> str:
        """The data bucket the lake lives in."""
        ...

    def found_objects(self, query_execution_id: str, prefix: str) -> list[str]:
        """The keys under ``prefix`` that a finished find query (one ``path`` column of
        ``s3://`` URLs) listed, sorted."""
        ...

    def replace_object(self, key: str, staging_prefix: str) -> ErasedItem:
        """Put what an UNLOAD wrote under ``staging_prefix`` in place of ``key`` (the
        first file at ``key``, any others beside it; none: ``key`` is deleted), then
        delete the staging files and every earlier version of ``key``."""
        ...


class ImportJobStarter(Protocol):
    """Starts the import-job state machine, one execution per file of a job (AWS)."""

    def start_file(self, job: Mapping[str, Any], file_url: str) -> str:
        """Start reading one file (an ``s3://`` URL) of the job; ``job`` (``JobId``,
        ``File``, ``Format``, ``SegmentId``) travels in the execution's input. Starting
        the same job and file twice starts one execution. Returns its ARN."""
        ...
