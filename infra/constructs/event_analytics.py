"""Athena views and saved queries over the events table: campaign metrics by campaign,
treatment, run and day, and event counts by day and type."""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from constructs import Construct

from infra.constructs.audience_catalog import AudienceCatalog, presto_view_text
from infra.constructs.query_workgroup import QueryWorkgroup
from infra.paths import RESOURCES_DIR

# The one SQL source of the metrics: the local backend runs the same files on DuckDB.
ANALYTICS_SQL_DIR = RESOURCES_DIR / "sql" / "analytics"

# The views' output columns, declared once for the runtime and the stacks.
ANALYTICS_COLUMNS_FILE = RESOURCES_DIR / "contracts" / "analytics_columns.json"


def _declared_view_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    declared = json.loads(ANALYTICS_COLUMNS_FILE.read_text(encoding="utf-8"))
    return {
        view: tuple((column["name"], column["type"]) for column in columns)
        for view, columns in declared["views"].items()
    }


# Output columns of each view, in Hive types (the Presto view encoding needs them and
# they must match what the SQL returns; tests/infra runs the SQL to check).
VIEW_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = _declared_view_columns()
VIEW_DESCRIPTIONS = {
    "campaign_metrics": "Campaign metrics by campaign, treatment, run and day (see `grain`)",
    "event_counts": "Distinct events and endpoints by UTC day and event type",
}
# Saved queries: the views filtered as the CLI asks them (``?`` are execution
# parameters: StartQueryExecution's ExecutionParameters).
NAMED_QUERIES = {
    "clarion-campaign-metrics": (
        "Metrics of one campaign at every grain (parameter: campaign id)",
        "SELECT * FROM campaign_metrics WHERE campaign_id = ? ORDER BY grain, treatment_id, "
        "run_id, day",
    ),
    "clarion-event-counts": (
        "Events and endpoints by day and type since a day (parameter: yyyy-MM-dd)",
        "SELECT * FROM event_counts WHERE day >= ? ORDER BY day, event_type",
    ),
}


def analytics_sql(name: str) -> str:
    """The statement of ``clarion/resources/sql/analytics/<name>.sql`` without its comment lines."""
    text = (ANALYTICS_SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";")


class EventAnalytics(Construct):
    """The views ``campaign_metrics`` and ``event_counts`` (Glue views in Athena's
    encoding, as the audience catalog's views: the SQL of ``clarion/resources/sql/analytics``
    unchanged) and the named queries ``clarion-campaign-metrics`` and
    ``clarion-event-counts`` in the Clarion workgroup.

    The views have no parameters: ``campaign_metrics`` covers every campaign (a row per
    campaign and grain); the named queries filter it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalog: AudienceCatalog,
        workgroup: QueryWorkgroup,
        events_table: glue.CfnTable,
    ) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        database = catalog.database_name
        self.views: dict[str, glue.CfnTable] = {}
        for name, columns in VIEW_COLUMNS.items():
            construct_name = "".join(part.title() for part in name.split("_")) + "View"
            view = glue.CfnTable(
                self,
                construct_name,
                catalog_id=account,
                database_name=database,
                table_input=glue.CfnTable.TableInputProperty(
                    name=name,
                    description=VIEW_DESCRIPTIONS[name],
                    table_type="VIRTUAL_VIEW",
                    parameters={"presto_view": "true", "comment": "Presto View"},
                    view_original_text=presto_view_text(analytics_sql(name), database, columns),
                    view_expanded_text="/* Presto View */",
                    storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                        columns=[
                            glue.CfnTable.ColumnProperty(name=column, type=kind)
                            for column, kind in columns
                        ],
                        location="",
                        serde_info=glue.CfnTable.SerdeInfoProperty(),
                    ),
                ),
            )
            view.add_resource_dependency(events_table)
            self.views[name] = view
        self.named_queries: dict[str, athena.CfnNamedQuery] = {}
        for name, (description, sql) in NAMED_QUERIES.items():
            construct_name = "".join(part.title() for part in name.split("-")) + "Query"
            query = athena.CfnNamedQuery(
                self,
                construct_name,
                name=name,
                description=description,
                database=database,
                work_group=workgroup.name,
                query_string=sql,
            )
            for view in self.views.values():
                query.add_resource_dependency(view)
            self.named_queries[name] = query
