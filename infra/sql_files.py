"""The SQL data files under ``clarion/resources/sql/audience``, rendered for Glue and the
Lambda functions."""

from __future__ import annotations

from infra.paths import SQL_DIR
from infra.schema import ENDPOINT_COLUMNS


def render_sql(file_name: str, **values: str) -> str:
    """The statement in ``clarion/resources/sql/audience/<file_name>`` without its comment lines.

    ``{columns}`` becomes the endpoint column list; other ``{name}`` placeholders are
    replaced by ``values`` (placeholders not given are left for the runtime to fill).
    """
    text = (SQL_DIR / file_name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    sql = "\n".join(lines).strip()
    substitutions = {"columns": ", ".join(name for name, _ in ENDPOINT_COLUMNS), **values}
    for name, value in substitutions.items():
        sql = sql.replace("{" + name + "}", value)
    return sql
