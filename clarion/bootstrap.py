"""Wires services to the ``local`` or ``aws`` adapters, lazily.

Nothing is imported or connected until first asked for, so a Lambda handler that needs
one service pays only for that service's adapters (no duckdb on AWS, no boto3 locally
unless asked).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from clarion.settings import Settings

if TYPE_CHECKING:
    from clarion.adapters.local.database import LocalDatabase
    from clarion.ports import AudienceQuery, ProfileStore, SegmentRepository
    from clarion.services.imports import EndpointImportService
    from clarion.services.segments import SegmentService


class Bootstrap:
    """The composition root: one per process (CLI invocation or Lambda container)."""

    def __init__(self, settings: Settings | None = None, **clients: Any) -> None:
        self.settings = settings or Settings.from_env()
        # Pre-built boto3 clients (tests pass moto-backed ones); keyed by service name.
        self._clients = clients

    # -- shared infrastructure -------------------------------------------------------

    @cached_property
    def local_database(self) -> LocalDatabase:
        from clarion.adapters.local.database import LocalDatabase

        return LocalDatabase(self.settings.home)

    def client(self, service: str) -> Any:
        """A boto3 client with standard retries (or the one injected for ``service``)."""
        if service not in self._clients:
            from clarion.adapters.aws.clients import make_client

            self._clients[service] = make_client(service, self.settings.aws.region)
        return self._clients[service]

    @property
    def is_local(self) -> bool:
        return self.settings.backend == "local"

    # -- ports -------------------------------------------------------------------------

    @cached_property
    def profile_store(self) -> ProfileStore:
        if self.is_local:
            from clarion.adapters.local.profiles import DuckDBProfileStore

            return DuckDBProfileStore(self.local_database)
        from clarion.adapters.aws.profiles import DynamoDBProfileStore

        return DynamoDBProfileStore(self.client("dynamodb"), self.settings.aws.endpoints_table)

    @cached_property
    def segment_repository(self) -> SegmentRepository:
        if self.is_local:
            from clarion.adapters.local.segments import DuckDBSegmentRepository

            return DuckDBSegmentRepository(self.local_database)
        from clarion.adapters.aws.segments import DynamoDBSegmentRepository

        return DynamoDBSegmentRepository(
            self.client("dynamodb"),
            self.settings.aws.definitions_table,
            self.client("s3"),
            self.settings.aws.data_bucket,
        )

    @cached_property
    def audience_query(self) -> AudienceQuery:
        if self.is_local:
            from clarion.adapters.local.audience import DuckDBAudienceQuery

            return DuckDBAudienceQuery(self.local_database)
        from clarion.adapters.aws.audience import AthenaAudienceQuery

        aws = self.settings.aws
        return AthenaAudienceQuery(
            self.client("athena"),
            workgroup=aws.athena_workgroup,
            database=aws.glue_database,
            output_location=aws.athena_output or None,
        )

    # -- services ----------------------------------------------------------------------

    @cached_property
    def import_service(self) -> EndpointImportService:
        from clarion.services.imports import EndpointImportService

        return EndpointImportService(self.profile_store, self.segment_service)

    @cached_property
    def segment_service(self) -> SegmentService:
        from clarion.services.segments import SegmentService

        return SegmentService(self.segment_repository, self.audience_query)
